"""Fuzzing the ``.tflite`` importer: mutators over real models, and a harness that holds
:func:`simulator.frontend.load_tflite` to its contract.

The contract, for any bytes at all: a :class:`ir.Graph` that is internally consistent, or a
:class:`ModelError` whose message is non-empty and names the file; within a time limit and a
memory bound. Anything else is a finding.

Three families of mutation, each a function ``(rng, seed) -> bytes`` in :data:`MUTATORS`:

- bytes: bit flips, byte sets, truncation, garbage appended, chunks deleted or duplicated;
- fields: the model is walked with our own flatbuffer reader to find where every field lives
  (offsets, vtables, vector counts, shape dims, buffer indices, tensor refs, quantization
  arrays, option values) and one of them is overwritten with a hostile value;
- graph: the model is read into a Graph, one fact is changed (a huge or negative dimension,
  a dangling or circular tensor ref, quantization arrays of the wrong length, a constant
  whose buffer no longer matches its shape ...) and it is written back with ``save_tflite``.

    report = fuzz(cases=500, seed=0)
    assert not report.findings, report.summary()

Each case is reproducible alone: case ``i`` of seed ``s`` draws from ``Random(f"{s}:{i}")``.
"""
from __future__ import annotations

import copy
import math
import random
import signal
import struct
import tempfile
import threading
import time
import tracemalloc
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import ModelError
from .frontend import load_tflite, save_tflite
from .frontend import schema
from .frontend.flatbuf import Buffer, Table
from .frontend.schema import F
from .ir import Graph

MODELS_DIR = Path(__file__).resolve().parents[1] / "models"
DEFAULT_TIME_LIMIT_S = 2.0
DEFAULT_MEMORY_LIMIT = 200 * 1024 * 1024

OK_OUTCOMES = ("graph", "model_error")
FINDING_OUTCOMES = ("crash", "hang", "memory", "bad_message", "bad_graph")


# ---- where every field of a model lives ---------------------------------------------------

@dataclass(frozen=True)
class Site:
    """One field of a flatbuffer: byte position, kind (how to write it) and a label."""
    pos: int
    kind: str       # u8 i8 u16 i32 u32 i64 u64 f32 uoffset count
    label: str


_WIDTH = {"u8": 1, "i8": 1, "u16": 2, "i32": 4, "u32": 4, "uoffset": 4, "count": 4,
          "i64": 8, "u64": 8, "f32": 4}
_PACK = {"u8": "<B", "i8": "<b", "u16": "<H", "i32": "<i", "u32": "<I", "uoffset": "<I",
         "count": "<I", "i64": "<q", "u64": "<Q", "f32": "<f"}
_OPTION_KIND = {"int32": "i32", "float32": "f32", "bool": "u8", "padding": "i8",
                "activation": "i8", "weights_format": "i8", "tensor_type": "i8"}


class _SiteWalker:
    """Walks a well-formed model with our bounds-checked reader, recording field positions."""

    def __init__(self, data: bytes):
        self.buf = Buffer(data)
        self.sites: list[Site] = [Site(0, "uoffset", "root")]

    # The walker reuses the reader's private, bounds-checked field lookup (Table._field,
    # _vtable, _num_fields) so that a site is exactly where the reader will look.
    def _pos(self, t: Table, fid: int, width: int) -> int | None:
        return t._field(fid, width, f"field {fid}")

    def table(self, t: Table, label: str) -> None:
        self.sites.append(Site(t.pos, "i32", f"{label} (vtable soffset)"))
        for k in range(t._num_fields + 2):
            self.sites.append(Site(t._vtable + 2 * k, "u16", f"{label} vtable[{k}]"))

    def scalar(self, t: Table, fid: int, kind: str, label: str) -> None:
        pos = self._pos(t, fid, _WIDTH[kind])
        if pos is not None:
            self.sites.append(Site(pos, kind, label))

    def vector(self, t: Table, fid: int, kind: str | None, label: str) -> tuple[int, int] | None:
        pos = self._pos(t, fid, 4)
        if pos is None:
            return None
        self.sites.append(Site(pos, "uoffset", f"{label} (offset)"))
        start = self.buf.follow(pos, label)
        count = self.buf.u32(start, label)
        self.sites.append(Site(start, "count", f"{label} (count)"))
        if kind is not None:
            for i in range(min(count, 64)):
                self.sites.append(Site(start + 4 + _WIDTH[kind] * i, kind, f"{label}[{i}]"))
        return start + 4, count

    def sub(self, t: Table, fid: int, label: str) -> Table | None:
        pos = self._pos(t, fid, 4)
        if pos is None:
            return None
        self.sites.append(Site(pos, "uoffset", f"{label} (offset)"))
        child = t.table(fid, label)
        self.table(child, label)
        return child

    def tables(self, t: Table, fid: int, label: str) -> list[Table]:
        vec = self.vector(t, fid, None, label)
        if vec is None:
            return []
        out = t.tables(fid, label)
        for i, child in enumerate(out):
            self.sites.append(Site(vec[0] + 4 * i, "uoffset", f"{label}[{i}] (offset)"))
            self.table(child, f"{label}[{i}]")
        return out

    def walk(self) -> list[Site]:
        model = self.buf.root()
        self.table(model, "model")
        self.scalar(model, F.MODEL_VERSION, "u32", "version")
        for i, oc in enumerate(self.tables(model, F.MODEL_OPERATOR_CODES, "operator_codes")):
            self.scalar(oc, F.OPCODE_DEPRECATED_BUILTIN, "i8", f"operator_codes[{i}].deprecated")
            self.scalar(oc, F.OPCODE_BUILTIN, "i32", f"operator_codes[{i}].builtin_code")
        for i, b in enumerate(self.tables(model, F.MODEL_BUFFERS, "buffers")):
            self.vector(b, F.BUFFER_DATA, None, f"buffers[{i}].data")
            self.scalar(b, F.BUFFER_OFFSET, "u64", f"buffers[{i}].offset")
            self.scalar(b, F.BUFFER_SIZE, "u64", f"buffers[{i}].size")
        for sg in self.tables(model, F.MODEL_SUBGRAPHS, "subgraphs")[:1]:
            self._subgraph(sg)
        return self.sites

    def _subgraph(self, sg: Table) -> None:
        self.vector(sg, F.SUBGRAPH_INPUTS, "i32", "inputs")
        self.vector(sg, F.SUBGRAPH_OUTPUTS, "i32", "outputs")
        for i, t in enumerate(self.tables(sg, F.SUBGRAPH_TENSORS, "tensors")):
            where = f"tensors[{i}]"
            self.vector(t, F.TENSOR_SHAPE, "i32", f"{where}.shape")
            self.scalar(t, F.TENSOR_TYPE, "i8", f"{where}.type")
            self.scalar(t, F.TENSOR_BUFFER, "u32", f"{where}.buffer")
            q = self.sub(t, F.TENSOR_QUANT, f"{where}.quantization")
            if q is not None:
                self.vector(q, F.QUANT_SCALE, "f32", f"{where}.scale")
                self.vector(q, F.QUANT_ZERO_POINT, "i64", f"{where}.zero_point")
                self.scalar(q, F.QUANT_DIM, "i32", f"{where}.quantized_dimension")
        for i, op in enumerate(self.tables(sg, F.SUBGRAPH_OPERATORS, "operators")):
            where = f"operators[{i}]"
            self.scalar(op, F.OP_OPCODE_INDEX, "u32", f"{where}.opcode_index")
            self.vector(op, F.OP_INPUTS, "i32", f"{where}.inputs")
            self.vector(op, F.OP_OUTPUTS, "i32", f"{where}.outputs")
            self.scalar(op, F.OP_OPTIONS_TYPE, "u8", f"{where}.builtin_options_type")
            opts = self.sub(op, F.OP_OPTIONS, f"{where}.builtin_options")
            type_value = op.scalar(F.OP_OPTIONS_TYPE, "uint8", 0, "t")
            name = schema.options_type_name(type_value)
            if opts is None or name not in schema.OPTION_TABLES:
                continue
            for fid, (fname, kind, _default) in enumerate(schema.OPTION_TABLES[name]):
                if kind == "int_vector":
                    self.vector(opts, fid, "i32", f"{where}.{fname}")
                else:
                    self.scalar(opts, fid, _OPTION_KIND[kind], f"{where}.{fname}")


def field_sites(data: bytes) -> list[Site]:
    """Every field position of a well-formed .tflite model (raises on a malformed one)."""
    return _SiteWalker(data).walk()


def _hostile_value(rng: random.Random, kind: str, pos: int, size: int):
    if kind == "f32":
        return rng.choice([math.nan, math.inf, -math.inf, 0.0, -1.0, 1e-45, 3.4e38, -0.0])
    if kind in ("u8", "i8"):
        v = rng.choice([0, 1, 127, 128, 255, 5, 8, 11, 17, rng.randrange(256)])
        return v if kind == "u8" else (v - 256 if v > 127 else v)
    if kind == "u16":
        return rng.choice([0, 1, 2, 3, 4, 5, 0xFFFF, 0x8000, rng.randrange(64), rng.randrange(1 << 16)])
    if kind == "i32":
        return rng.choice([0, -1, 1, -2, 9, 255, 65535, 1 << 16, 1 << 24, (1 << 31) - 1, -(1 << 31),
                           rng.randrange(-300, 300), rng.randrange(-(1 << 31), 1 << 31)])
    if kind == "i64":
        return rng.choice([-(1 << 63), (1 << 63) - 1, 128, -129, 255, 256, -1, 1 << 40])
    if kind == "u64":
        return rng.choice([0, 1, 2, size - 1, size, size + 1, (1 << 64) - 1, 1 << 63, 1 << 32,
                           rng.randrange(size + 64)])
    # u32, count, uoffset: values that point at, just past, far past, or before the data
    return rng.choice([0, 1, 2, 3, 4, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFC,
                       size, size - pos, size - pos - 2, size - pos + 4, (size - pos) // 2,
                       rng.randrange(max(size - pos, 1)), rng.randrange(1 << 32)]) % (1 << 32)


def _write_site(data: bytearray, site: Site, value) -> None:
    struct.pack_into(_PACK[site.kind], data, site.pos, value)


# ---- seed models ------------------------------------------------------------------------

@dataclass
class SeedModel:
    name: str
    data: bytes
    graph: Graph
    sites: list[Site]
    external: bytes = b""                 # the same graph with external buffers
    external_sites: list[Site] = field(default_factory=list)


def load_seeds(paths=None) -> list[SeedModel]:
    paths = sorted(Path(p) for p in paths) if paths else sorted(MODELS_DIR.glob("*.tflite"))
    seeds = []
    for p in paths:
        data = p.read_bytes()
        graph = load_tflite(data, name=p.stem)
        external = save_tflite(graph, external_buffers=True)
        seeds.append(SeedModel(p.stem, data, graph, field_sites(data), external,
                               field_sites(external)))
    return seeds


# ---- byte mutators ----------------------------------------------------------------------

def bit_flips(rng, seed: SeedModel) -> bytes:
    data = bytearray(seed.data)
    for _ in range(rng.choice([1, 1, 2, 4, 8, 32])):
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return bytes(data)


def byte_sets(rng, seed: SeedModel) -> bytes:
    data = bytearray(seed.data)
    for _ in range(rng.choice([1, 2, 4, 16])):
        data[rng.randrange(len(data))] = rng.choice([0x00, 0xFF, 0x7F, 0x80, 0x01, rng.randrange(256)])
    return bytes(data)


def header_bytes(rng, seed: SeedModel) -> bytes:
    """Damage the first 64 bytes: root offset, identifier, root vtable."""
    data = bytearray(seed.data)
    for _ in range(rng.choice([1, 2, 3])):
        data[rng.randrange(min(64, len(data)))] = rng.randrange(256)
    return bytes(data)


def truncate(rng, seed: SeedModel) -> bytes:
    n = len(seed.data)
    cut = rng.choice([0, 1, 4, 7, 8, 12, rng.randrange(n), rng.randrange(n), n - 1, n - 4])
    return seed.data[:max(cut, 0)]


def append_garbage(rng, seed: SeedModel) -> bytes:
    return seed.data + bytes(rng.randrange(256) for _ in range(rng.choice([1, 3, 64, 1000])))


def delete_chunk(rng, seed: SeedModel) -> bytes:
    n = len(seed.data)
    start = rng.randrange(n)
    return seed.data[:start] + seed.data[start + rng.choice([1, 2, 4, 16, 256]):]


def duplicate_chunk(rng, seed: SeedModel) -> bytes:
    n = len(seed.data)
    start = rng.randrange(n)
    chunk = seed.data[start:start + rng.choice([4, 16, 64])]
    at = rng.randrange(n)
    return seed.data[:at] + chunk + seed.data[at:]


def random_bytes(rng, seed: SeedModel) -> bytes:
    """Not a model at all; sometimes with the right identifier."""
    body = bytes(rng.randrange(256) for _ in range(rng.choice([0, 3, 8, 16, 100])))
    return body[:4] + b"TFL3" + body[8:] if rng.random() < 0.5 and len(body) >= 8 else body


# ---- field mutators (structure-aware, in place) -----------------------------------------

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


# ---- graph mutators (read, change one fact, write back with save_tflite) ------------------

def _tensor_choice(rng, g: Graph, const: bool | None = None):
    pool = [t for t in g.tensors if const is None or t.is_const == const] or g.tensors
    return rng.choice(pool)


def g_dims(rng, g: Graph) -> None:
    t = _tensor_choice(rng, g)
    shape = list(t.shape) or [1]
    i = rng.randrange(len(shape))
    shape[i] = rng.choice([0, -1, -(1 << 31), (1 << 31) - 1, 1 << 20, 65536, shape[i] + 1])
    if rng.random() < 0.2:
        shape = shape + [1] * rng.choice([5, 8, 20])
    t.shape = tuple(shape)


def g_buffer_size(rng, g: Graph) -> None:
    t = _tensor_choice(rng, g, const=True)
    if t.data is None:
        return
    flat = t.data.reshape(-1)
    t.data = flat[:rng.randrange(max(flat.size, 1))] if rng.random() < 0.5 else np.concatenate([flat, flat[:3]])


def g_dtype(rng, g: Graph) -> None:
    t = _tensor_choice(rng, g)
    t.dtype = rng.choice(["int8", "int16", "int32", "float32", "int64", "uint8", "bool", "float16"])
    if t.data is not None and rng.random() < 0.5:
        with np.errstate(all="ignore"):          # wrapping casts are the point of the mutation
            t.data = t.data.astype(t.dtype)


def g_dangling_ref(rng, g: Graph) -> None:
    n = len(g.tensors)
    bad = rng.choice([n, n + 1, -2, -1, 1 << 30, -(1 << 31)])
    target = rng.choice(["op_in", "op_out", "graph_in", "graph_out"])
    if target.startswith("op") and g.ops:
        op = rng.choice(g.ops)
        refs = op.inputs if target == "op_in" else op.outputs
        if refs:
            refs[rng.randrange(len(refs))] = bad
            return
    refs = g.inputs if target == "graph_in" else g.outputs
    if refs and rng.random() < 0.7:
        refs[0] = bad
    else:
        refs.append(bad)


def g_circular_ref(rng, g: Graph) -> None:
    """An op consuming its own output, or the first op consuming the last one's output."""
    if not g.ops:
        return
    if rng.random() < 0.5:
        op = rng.choice(g.ops)
        if op.inputs and op.outputs:
            op.inputs[0] = op.outputs[0]
    else:
        first, last = g.ops[0], g.ops[-1]
        if first.inputs and last.outputs:
            first.inputs[0] = last.outputs[0]
        g.inputs = list(g.outputs)


def g_quant_length(rng, g: Graph) -> None:
    t = _tensor_choice(rng, g)
    if t.quant is None:
        return
    q = copy.copy(t.quant)
    n = rng.choice([0, 2, 3, q.scale.size + 1, max(q.scale.size - 1, 0)])
    what = rng.random()
    if what < 0.4:
        q.scale = np.resize(q.scale, n) if n else np.zeros(0)
    elif what < 0.8:
        q.zero_point = np.resize(q.zero_point, n) if n else np.zeros(0, np.int64)
    else:
        q.axis = rng.choice([-1, len(t.shape), 99, -(1 << 31)])
    t.quant = q


def g_quant_values(rng, g: Graph) -> None:
    t = _tensor_choice(rng, g)
    if t.quant is None:
        return
    q = copy.copy(t.quant)
    if rng.random() < 0.5:
        q.scale = q.scale.copy()
        q.scale[rng.randrange(q.scale.size)] = rng.choice([0.0, -1.0, math.nan, math.inf, 1e-300, 1e300])
    else:
        q.zero_point = q.zero_point.copy()
        q.zero_point[rng.randrange(q.zero_point.size)] = rng.choice([128, -129, 255, 256, 1 << 40, -(1 << 62)])
    t.quant = q


def g_options(rng, g: Graph) -> None:
    ops = [op for op in g.ops if op.options]
    if not ops:
        return
    op = rng.choice(ops)
    name = rng.choice(sorted(op.options))
    value = op.options[name]
    if isinstance(value, bool):
        op.options[name] = not value
    elif isinstance(value, int):
        op.options[name] = rng.choice([0, -1, -(1 << 31), (1 << 31) - 1, 1 << 16])
    elif isinstance(value, float):
        op.options[name] = rng.choice([0.0, -1.0, math.nan, math.inf])
    elif isinstance(value, list):
        op.options[name] = [rng.choice([-1, 0, 1 << 30, -(1 << 31)]) for _ in range(rng.choice([0, 1, 9]))]


def g_opcode(rng, g: Graph) -> None:
    if g.ops:
        rng.choice(g.ops).opcode = rng.choice(sorted(schema.BUILTIN_CODES))


def g_drop(rng, g: Graph) -> None:
    """Remove a tensor or an op without renumbering: every later ref is now off by one."""
    if rng.random() < 0.5 and len(g.tensors) > 1:
        del g.tensors[rng.randrange(len(g.tensors))]
    elif g.ops:
        del g.ops[rng.randrange(len(g.ops))]
        if rng.random() < 0.5:
            g.ops = []


GRAPH_MUTATIONS = {"dims": g_dims, "buffer_size": g_buffer_size, "dtype": g_dtype,
                   "dangling_ref": g_dangling_ref, "circular_ref": g_circular_ref,
                   "quant_length": g_quant_length, "quant_values": g_quant_values,
                   "options": g_options, "opcode": g_opcode, "drop": g_drop}


class WriterRejected(Exception):
    """save_tflite refused the mutated graph; the case falls back to a byte mutation."""


def _graph_mutator(mutate):
    def mutator(rng, seed: SeedModel) -> bytes:
        g = copy.deepcopy(seed.graph)
        for t in g.tensors:                     # deepcopy shares nothing; data stays read-only
            if t.data is not None:
                t.data = t.data.copy()
        mutate(rng, g)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                return save_tflite(g, external_buffers=rng.random() < 0.2)
        except Exception as err:                # the writer is not under test here
            raise WriterRejected(f"{type(err).__name__}: {err}") from None
    mutator.__name__ = "graph_" + mutate.__name__[2:]
    return mutator


MUTATORS = {
    "bit_flips": bit_flips, "byte_sets": byte_sets, "header_bytes": header_bytes,
    "truncate": truncate, "append_garbage": append_garbage, "delete_chunk": delete_chunk,
    "duplicate_chunk": duplicate_chunk, "random_bytes": random_bytes,
    "field_any": field_any, "field_offsets": field_offsets, "field_vtables": field_vtables,
    "field_dims": field_dims, "field_refs": field_refs, "field_quant": field_quant,
    "field_types_and_options": field_types_and_options,
    "field_external_buffers": field_external_buffers,
    **{f"graph_{k}": _graph_mutator(fn) for k, fn in GRAPH_MUTATIONS.items()},
}
_STACKABLE = ("bit_flips", "byte_sets", "field_any", "field_offsets", "truncate")


def make_case(seeds: list[SeedModel], seed: int, index: int) -> tuple[str, str, bytes]:
    """Case ``index`` of run ``seed``: (mutator name(s), seed model name, bytes)."""
    rng = random.Random(f"{seed}:{index}")
    model = rng.choice(seeds)
    name = rng.choice(sorted(MUTATORS))
    try:
        data = MUTATORS[name](rng, model)
    except WriterRejected:
        name += "(rejected)+bit_flips"
        data = bit_flips(rng, model)
    if rng.random() < 0.15:          # stack a second mutation on the first one's output
        second = rng.choice(_STACKABLE)
        stacked = SeedModel(model.name, data, model.graph, model.sites if data == model.data else [])
        if second.startswith("field") and not stacked.sites:
            second = "byte_sets"
        data = MUTATORS[second](rng, stacked) if data else data
        name += "+" + second
    return name, model.name, data


# ---- the harness: one case under a time limit and a memory bound -------------------------

class CaseTimeout(BaseException):
    """Raised in the main thread by the watchdog; a BaseException so no handler swallows it."""


@dataclass
class CaseResult:
    outcome: str                   # one of OK_OUTCOMES or FINDING_OUTCOMES
    seconds: float
    peak_bytes: int
    detail: str = ""               # error message, or the traceback of a crash
    fallback: bool = False         # a ModelError from the reader's defence-in-depth branch


def check_graph(g: Graph) -> str:
    """Why an imported Graph is inconsistent, or "" when it is fine."""
    n = len(g.tensors)
    for i, t in enumerate(g.tensors):
        if t.index != i:
            return f"tensor {i} has index {t.index}"
        if any(d < 0 for d in t.shape):
            return f"tensor {i} has shape {t.shape}"
        if t.data is not None and t.data.size != t.num_elements:
            return f"tensor {i}: data of {t.data.size} elements for shape {t.shape}"
        q = t.quant
        if q is not None:
            if q.scale.size != q.zero_point.size or q.scale.size == 0:
                return f"tensor {i}: {q.scale.size} scales, {q.zero_point.size} zero points"
            if q.scale.size > 1 and not (0 <= q.axis < len(t.shape) and t.shape[q.axis] == q.scale.size):
                return f"tensor {i}: per-channel quantization does not match the shape"
            if not np.all(np.isfinite(q.scale) & (q.scale > 0)):
                return f"tensor {i}: scale {q.scale}"
    for ref in g.inputs + g.outputs:
        if not 0 <= ref < n:
            return f"graph refers to tensor {ref} of {n}"
    for op in g.ops:
        if any(not -1 <= r < n for r in op.inputs) or any(not 0 <= r < n for r in op.outputs):
            return f"{op.describe()} refers to a tensor out of range"
    return ""


def _arm_watchdog(seconds: float):
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        return None

    def fire(_signum, _frame):
        raise CaseTimeout()
    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    return previous


def _disarm_watchdog(previous) -> None:
    if previous is not None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_case(path: Path, *, time_limit: float = DEFAULT_TIME_LIMIT_S,
             memory_limit: int = DEFAULT_MEMORY_LIMIT, trace_memory: bool = True) -> CaseResult:
    """Load ``path`` with load_tflite and judge the outcome against the contract."""
    path_text = str(path)
    traced_here = trace_memory and not tracemalloc.is_tracing()
    if traced_here:                     # traced only while loading: the mutators run untraced
        tracemalloc.start()
    if trace_memory:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
    previous = _arm_watchdog(time_limit)
    t0 = time.perf_counter()
    graph = err = None
    try:
        try:
            graph = load_tflite(path)
        finally:
            _disarm_watchdog(previous)
    except CaseTimeout:
        return CaseResult("hang", time.perf_counter() - t0, 0, f"no result after {time_limit} s")
    except ModelError as exc:
        err = exc
    except BaseException as exc:                  # anything else breaks the contract
        if isinstance(exc, KeyboardInterrupt):
            raise
        return CaseResult("crash", time.perf_counter() - t0, 0,
                          "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    finally:
        if traced_here:
            peak = tracemalloc.get_traced_memory()[1] - base
            tracemalloc.stop()
        elif trace_memory:
            peak = tracemalloc.get_traced_memory()[1] - base
        else:
            peak = 0
    seconds = time.perf_counter() - t0
    if seconds > time_limit:
        return CaseResult("hang", seconds, peak, f"took {seconds:.2f} s (limit {time_limit} s)")
    if peak > memory_limit:
        return CaseResult("memory", seconds, peak, f"allocated {peak:,} B (limit {memory_limit:,} B)")
    if err is not None:
        text = str(err)
        if not text.strip() or path_text not in text or err.path != path_text:
            return CaseResult("bad_message", seconds, peak, f"message does not name the file: {text!r}")
        fallback = text.startswith(f"{path_text}: malformed model (")
        return CaseResult("model_error", seconds, peak, text, fallback=fallback)
    problem = check_graph(graph)
    if problem:
        return CaseResult("bad_graph", seconds, peak, problem)
    return CaseResult("graph", seconds, peak)


# ---- a whole run ------------------------------------------------------------------------

@dataclass
class Finding:
    index: int
    outcome: str
    mutator: str
    model: str
    detail: str
    reproducer: str = ""


@dataclass
class FuzzReport:
    cases: int = 0
    seed: int = 0
    counts: dict = field(default_factory=dict)          # outcome -> n
    by_mutator: dict = field(default_factory=dict)      # mutator -> {outcome: n}
    fallbacks: int = 0
    findings: list = field(default_factory=list)
    seconds: float = 0.0
    peak_bytes: int = 0
    peak_case: int = -1
    slowest_seconds: float = 0.0
    slowest_case: int = -1
    slowest_mutator: str = ""

    @property
    def cases_per_second(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0

    def count(self, outcome: str) -> int:
        return self.counts.get(outcome, 0)

    def to_dict(self) -> dict:
        return {"cases": self.cases, "seed": self.seed, "outcomes": self.counts,
                "crashes": self.count("crash"), "hangs": self.count("hang"),
                "memory": self.count("memory"), "bad_messages": self.count("bad_message"),
                "bad_graphs": self.count("bad_graph"), "defence_in_depth_errors": self.fallbacks,
                "seconds": round(self.seconds, 3), "cases_per_second": round(self.cases_per_second, 1),
                "peak_bytes": self.peak_bytes, "peak_case": self.peak_case,
                "slowest_seconds": round(self.slowest_seconds, 4), "slowest_case": self.slowest_case,
                "slowest_mutator": self.slowest_mutator, "by_mutator": self.by_mutator,
                "findings": [vars(f) for f in self.findings]}

    def summary(self) -> str:
        lines = [f"{self.cases} cases (seed {self.seed}) in {self.seconds:.1f} s, "
                 f"{self.cases_per_second:.0f} cases/s",
                 "  " + ", ".join(f"{k}: {v}" for k, v in sorted(self.counts.items())),
                 f"  crashes: {self.count('crash')}, hangs: {self.count('hang')}, over memory: "
                 f"{self.count('memory')}, bad messages: {self.count('bad_message')}, "
                 f"inconsistent graphs: {self.count('bad_graph')}",
                 f"  defence-in-depth ModelErrors (an unchecked path caught late): {self.fallbacks}",
                 f"  peak memory of one case: {self.peak_bytes / 1e6:.2f} MB (case {self.peak_case})",
                 f"  slowest case: {self.slowest_seconds * 1e3:.1f} ms (case {self.slowest_case}, "
                 f"{self.slowest_mutator})"]
        for f in self.findings[:10]:
            first = f.detail.strip().splitlines()[-1] if f.detail.strip() else ""
            lines.append(f"  {f.outcome} case {f.index} [{f.mutator} on {f.model}]: {first}"
                         + (f" -> {f.reproducer}" if f.reproducer else ""))
        return "\n".join(lines)


def fuzz(cases: int, seed: int = 0, *, seeds: list[SeedModel] | None = None,
         time_limit: float = DEFAULT_TIME_LIMIT_S, memory_limit: int = DEFAULT_MEMORY_LIMIT,
         save_dir: Path | None = None, max_saved: int = 5, trace_memory: bool = True,
         workdir: Path | None = None) -> FuzzReport:
    """Run ``cases`` mutated models through load_tflite; save the first findings' inputs."""
    seeds = seeds or load_seeds()
    report = FuzzReport(cases=cases, seed=seed)
    with tempfile.TemporaryDirectory(prefix="mcusim-fuzz-", dir=workdir) as tmp:
        path = Path(tmp) / "case.tflite"
        t0 = time.perf_counter()
        try:
            for i in range(cases):
                mutator, model, data = make_case(seeds, seed, i)
                path.write_bytes(data)
                res = run_case(path, time_limit=time_limit, memory_limit=memory_limit,
                               trace_memory=trace_memory)
                _record(report, i, mutator, model, data, res, save_dir, max_saved)
        finally:
            report.seconds = time.perf_counter() - t0
    return report


def _record(report: FuzzReport, i: int, mutator: str, model: str, data: bytes, res: CaseResult,
            save_dir: Path | None, max_saved: int) -> None:
    report.counts[res.outcome] = report.counts.get(res.outcome, 0) + 1
    row = report.by_mutator.setdefault(mutator.split("+")[0].replace("(rejected)", ""), {})
    row[res.outcome] = row.get(res.outcome, 0) + 1
    report.fallbacks += res.fallback
    if res.peak_bytes > report.peak_bytes:
        report.peak_bytes, report.peak_case = res.peak_bytes, i
    if res.seconds > report.slowest_seconds:
        report.slowest_seconds, report.slowest_case, report.slowest_mutator = res.seconds, i, mutator
    if res.outcome in FINDING_OUTCOMES or res.fallback:
        finding = Finding(i, res.outcome if not res.fallback else "fallback", mutator, model, res.detail)
        saved = sum(1 for f in report.findings if f.reproducer)
        if save_dir is not None and saved < max_saved:
            save_dir = Path(save_dir)
            save_dir.mkdir(parents=True, exist_ok=True)
            stem = f"{finding.outcome}-seed{report.seed}-case{i}"
            (save_dir / f"{stem}.tflite").write_bytes(data)
            (save_dir / f"{stem}.txt").write_text(
                f"mutator: {mutator}\nmodel: {model}\noutcome: {finding.outcome}\n\n{res.detail}\n")
            finding.reproducer = str(save_dir / f"{stem}.tflite")
        report.findings.append(finding)


def replay(path: Path, **kw) -> CaseResult:
    """Judge one saved input (a reproducer) against the contract."""
    return run_case(Path(path), **kw)


__all__ = ["MUTATORS", "CaseResult", "FuzzReport", "SeedModel", "Site", "check_graph",
           "field_sites", "fuzz", "load_seeds", "make_case", "replay", "run_case"]
