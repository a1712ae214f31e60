"""An :class:`simulator.analyze.Analysis` as terminal text, in the spirit of stm32ai analyze."""
from __future__ import annotations

from ..sizes import format_size
from .text import table


def _n(v) -> str:
    return "-" if v is None else f"{v:,}"


def _bytes(n: int) -> str:
    return f"{n:,} B ({format_size(n)})" if n >= 10 * 1024 else f"{n:,} B"


def _summary(a) -> list[str]:
    timing = (f"{a.cycles:,} cycles, {a.latency_ms:.3f} ms at {a.clock_hz / 1e6:g} MHz"
              if a.cycles is not None else "cycles: not modelled (instructions shown)")
    lines = [
        f"model      {a.model}",
        f"target     {a.board} ({a.core}, {a.clock_hz / 1e6:g} MHz), toolchain "
        f"{a.toolchain_version or a.toolchain}",
        f"params     {a.params:,}",
        f"MACC       {a.macc:,}",
        f"flash      {_bytes(a.flash_total)}: weights {_bytes(a.flash_weights)}, "
        + (f"code {_bytes(a.flash_code)}" if a.ran else "code - (not built)"),
        f"RAM        {_bytes(a.ram_total)} of {_bytes(a.ram_limit)} "
        f"({'fits' if a.fits else 'DOES NOT FIT'})",
        f"  arena    {_bytes(a.arena)}   (activations, planned; one buffer shared by all layers)",
        f"  scratch  {_bytes(a.scratch)}   (largest _get_buffer_size of any layer)",
        f"  stack    {_bytes(a.stack_size)} reserved, peak used "
        + (f"{a.stack_peak:,} B" if a.ran else "- (not run)"),
        f"  static   {_bytes(a.ram_static)}   (runtime, output buffer, alignment)",
    ]
    schedule = getattr(a, "schedule", None)
    if schedule is not None and (schedule.chosen != "plain" or len(schedule.candidates) > 1):
        lines.append(f"schedule   {a.schedule_summary}")
    if a.ran:
        lines.append(f"run        {a.instructions:,} instructions; {timing}")
        verdict = "yes: every layer equals the NumPy reference" if a.bit_exact else "NO"
        lines.append(f"bit-exact  {verdict}")
    return lines


def _layers(a) -> str:
    rows = []
    for l in a.layers:
        shape = "x".join(str(d) for d in l.output_shape)
        rows.append([l.index, l.op, l.kernel, shape, f"{l.macc:,}",
                     f"{l.scratch_bytes:,}" if l.scratch_bytes else "",
                     "-" if not a.ran else
                     _n(l.cycles) if a.cycles is not None else _n(l.instructions),
                     f"{l.share:.1f}%" if a.ran else "-",
                     ("ok" if l.bit_exact else "DIFF") if a.ran else "-"])
    count = "cycles" if a.cycles is not None else "instr"
    return table(["idx", "op", "kernel", "output", "MACC", "scratch", count, "share", "bits"],
                 rows, "rllrrrrrl")


def render_analysis(a) -> str:
    out = _summary(a)
    out.append("")
    out.append(_layers(a))
    if a.overflow:
        out += ["", "RAM overflow (not run): " + a.overflow]
    if a.mismatch:
        out += ["", "bit mismatch: " + a.mismatch]
    return "\n".join(out)


def render_memory_plan(a) -> str:
    rows = [[t.index, t.name, t.offset, t.offset + t.size, t.size, f"{t.first_op}..{t.last_op}"]
            for t in sorted(a.tensors, key=lambda t: (t.offset, t.first_op))]
    return table(["tensor", "name", "offset", "end", "bytes", "ops"], rows, "rlrrrl")
