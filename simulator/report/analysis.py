"""An :class:`simulator.analyze.Analysis` as terminal text, in the spirit of stm32ai analyze."""
from __future__ import annotations

from ..escape import term_text
from ..fit import tflm_summary
from ..sizes import format_size
from .text import elide, table


def _n(v) -> str:
    return "-" if v is None else f"{v:,}"


def _bytes(n: int | None) -> str:
    if n is None:
        return "-"
    return f"{n:,} B ({format_size(n)})" if n >= 10 * 1024 else f"{n:,} B"


RAM_NOTES = {"arena": "(activations, planned; one buffer shared by all layers)",
             "scratch": "(largest _get_buffer_size of any layer)",
             "static": "(runtime, output buffer)", "padding": "(alignment gaps between sections, linker)",
             "weights": "(weights copied into this RAM: placement)"}


def _ram_lines(a) -> list[str]:
    """Every part of the RAM total, so that the listed parts add up to it."""
    lines = []
    for name, size in a.ram_parts.items():
        if name == "stack":
            peak = f"{a.stack_peak:,} B" if a.stack_peak is not None else "- (not run)"
            lines.append(f"  stack    {_bytes(size)} reserved, peak used {peak}")
        elif name == "arena" and not a.arena_in_ram:
            lines.append(f"  arena    {_bytes(a.arena)} in {a.placement.get('arena')} (not in this total)")
        elif size or name in ("arena", "scratch", "static"):
            lines.append(f"  {name:<8} {_bytes(size)}   {RAM_NOTES[name]}")
    return lines


def _io_table(a) -> str:
    rows = [[kind, t.index, elide(t.name), "x".join(str(d) for d in t.shape), t.dtype,
             "-" if t.scale is None else f"{t.scale:.6g}", "-" if t.zero_point is None else t.zero_point]
            for kind, ts in (("input", a.inputs), ("output", a.outputs)) for t in ts]
    return table(["", "tensor", "name", "shape", "dtype", "scale", "zero point"], rows, "lrlllrr")


def _summary(a) -> list[str]:
    timing = (f"{a.cycles:,} cycles, {a.latency_ms:.3f} ms at {a.clock_hz / 1e6:g} MHz"
              if a.cycles is not None else "cycles: not modelled (instructions shown)")
    lines = [
        f"model      {term_text(a.model)}",
        f"target     {a.board} ({a.core}, {a.clock_hz / 1e6:g} MHz), toolchain "
        f"{a.toolchain_version or a.toolchain}",
    ] + _kernels_line(a) + [
        f"params     {a.params:,}",
        f"MACC       {a.macc:,}",
        "flash      " + (f"{_bytes(a.flash_total)}: " if a.flash_total is not None else "")
        + f"weights {_bytes(a.flash_weights)}, "
        + (f"code {_bytes(a.flash_code)}" if a.flash_code is not None else "code - (not built)"),
        f"RAM        {_bytes(a.ram_total)} of {_bytes(a.ram_limit)} "
        f"({'fits' if a.fits else 'DOES NOT FIT'})" + ("" if a.ran else ", estimated before linking"),
    ] + _ram_lines(a)
    tflm = tflm_summary(a, _bytes)
    if tflm is not None:
        lines.append(f"TFLM arena {term_text(tflm)}")
    schedule = getattr(a, "schedule", None)
    if schedule is not None and (schedule.chosen != "plain" or len(schedule.candidates) > 1):
        lines.append(f"schedule   {a.schedule_summary}")
    if a.ran:
        lines.append(f"run        {a.instructions:,} instructions; {timing}")
        lines += _memory_lines(a)
        verdict = "yes: every layer equals the NumPy reference" if a.bit_exact else "NO"
        lines.append(f"bit-exact  {verdict}")
    return lines


def _kernels_line(a) -> list[str]:
    """A --kernels library, by name and version (mcusim's own kernels need no line)."""
    lib = (a.context or {}).get("kernel_library") or ""
    if lib.startswith("cross_kernels"):
        return []
    return [f"kernels    {term_text(lib)}; a layer marked [mcusim: ...] runs mcusim's kernel"]


def _memory_lines(a) -> list[str]:
    mem = a.memory or {}
    if not mem:
        return []
    lines = []
    if a.cycles_warm is not None:
        lines.append(f"warm       {a.cycles_warm:,} cycles, {a.latency_warm_ms:.3f} ms "
                     "(second inference; the line above is the first, from reset)")
    caches = ", ".join(f"{c['name']} {format_size(c['size'])} {c['ways']}-way" for c in mem.get("caches", []))
    lines.append(f"memory     {mem.get('model')}" + (f": {caches}" if caches else ""))
    for when in ("cold", "warm"):
        m = mem.get(when)
        if m:
            lines.append(f"  {when:<8} I-cache misses {m['icache_misses']:,}, D-cache misses "
                         f"{m['dcache_misses']:,}, stall cycles {m['stall_cycles']:,} "
                         f"(flash {m['flash_stall_cycles']:,}), unaligned {m['unaligned_accesses']:,}")
    if a.placement:
        lines.append("placement  " + ", ".join(f"{k} in {v}" for k, v in a.placement.items()))
    return lines


def _layers(a) -> str:
    rows = []
    with_memory = a.ran and any(l.memory for l in a.layers)
    for l in a.layers:
        shape = "x".join(str(d) for d in l.output_shape)
        row = [l.index, elide(l.name), l.op, l.kernel, shape, f"{l.macc:,}",
               f"{l.weight_bytes:,}" if l.weight_bytes else "",
               f"{l.scratch_bytes:,}" if l.scratch_bytes else "",
               "-" if not a.ran else
               _n(l.cycles) if a.cycles is not None else _n(l.instructions),
               f"{l.share:.1f}%" if l.share is not None else "-",
               {True: "ok", False: "DIFF", None: "-"}[l.bit_exact]]
        if with_memory:
            m = l.memory or {}
            row += [_n(l.cycles_warm), _n(m.get("icache_misses")), _n(m.get("dcache_misses")),
                    _n(m.get("flash_stall_cycles"))]
        rows.append(row)
    count = "cycles" if a.cycles is not None or not a.ran else "instr"
    head = ["idx", "name", "op", "kernel", "output", "MACC", "weights", "scratch", count, "share", "bits"]
    align = "rlllrrrrrrl"
    if with_memory:
        head += ["warm", "I-miss", "D-miss", "flash stall"]
        align += "rrrr"
    return table(head, rows, align)


def _lines(message: str) -> str:
    # Messages quote tensor names: keep their own line breaks, neutralise the names' controls.
    return "\n".join(term_text(line) for line in message.split("\n"))


def render_analysis(a) -> str:
    out = _summary(a)
    out += ["", _io_table(a), "", _layers(a)]
    if a.overflow:
        out += ["", "RAM overflow (not run): " + _lines(a.overflow)]
    if a.mismatch:
        out += ["", "bit mismatch: " + _lines(a.mismatch)]
    return "\n".join(out)


def render_memory_plan(a) -> str:
    rows = [[t.index, elide(t.name), t.offset, t.offset + t.size, t.size, f"{t.first_op}..{t.last_op}"]
            for t in sorted(a.tensors, key=lambda t: (t.offset, t.first_op))]
    return table(["tensor", "name", "offset", "end", "bytes", "ops"], rows, "rlrrrl")
