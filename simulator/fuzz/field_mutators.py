"""Field mutators (structure-aware, in place): one field site overwritten with a hostile value."""
from __future__ import annotations

from .seeds import SeedModel
from .sites import Site, _hostile_value, _write_site


def _patch_fields(rng, data: bytes, sites: list[Site], pick) -> bytes:
    out = bytearray(data)
    chosen = [s for s in sites if pick(s)] or sites
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        site = rng.choice(chosen)
        _write_site(out, site, _hostile_value(rng, site.kind, site.pos, len(out)))
    return bytes(out)


def field_any(rng, seed: SeedModel) -> bytes:
    return _patch_fields(rng, seed.data, seed.sites, lambda s: True)


def field_offsets(rng, seed: SeedModel) -> bytes:
    """Offsets pointing out of the buffer, backwards, at themselves; vector counts too big."""
    return _patch_fields(rng, seed.data, seed.sites, lambda s: s.kind in ("uoffset", "count"))


def field_vtables(rng, seed: SeedModel) -> bytes:
    return _patch_fields(rng, seed.data, seed.sites, lambda s: "vtable" in s.label)


def field_dims(rng, seed: SeedModel) -> bytes:
    """Huge, negative and zero dimensions; ranks made large through the count."""
    return _patch_fields(rng, seed.data, seed.sites, lambda s: ".shape" in s.label)


def field_refs(rng, seed: SeedModel) -> bytes:
    """Tensor refs of ops and of the subgraph, buffer indices, opcode indices."""
    keys = (".inputs", ".outputs", "inputs[", "outputs[", ".buffer", ".opcode_index")
    return _patch_fields(rng, seed.data, seed.sites,
                         lambda s: s.label.startswith(("inputs", "outputs")) or any(k in s.label for k in keys))


def field_quant(rng, seed: SeedModel) -> bytes:
    return _patch_fields(rng, seed.data, seed.sites,
                         lambda s: any(k in s.label for k in (".scale", ".zero_point", ".quantized_dim")))


def field_types_and_options(rng, seed: SeedModel) -> bytes:
    def pick(s: Site) -> bool:
        option = s.label.startswith("operators[") and s.kind in ("i32", "i8", "u8", "f32")
        return option or s.label.endswith((".type", "builtin_code", ".deprecated"))
    return _patch_fields(rng, seed.data, seed.sites, pick)


def field_external_buffers(rng, seed: SeedModel) -> bytes:
    """External (offset/size) buffers with offsets and sizes out of the file, or both kinds."""
    return _patch_fields(rng, seed.external, seed.external_sites,
                         lambda s: s.label.startswith("buffers[") and s.kind == "u64")
