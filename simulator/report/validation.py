"""A :class:`simulator.validate.Validation` as terminal text, in the spirit of stm32ai validate."""
from __future__ import annotations

from ..escape import term_text


def _pct(v) -> str:
    return "-" if v is None else f"{100 * v:.2f} %"


def _g(v) -> str:
    return "-" if v is None else f"{v:.6g}"


def render_validation(v) -> str:
    c = v.cycle_summary()
    mhz = v.clock_hz / 1e6
    lines = [
        f"model      {term_text(v.model)}",
        f"target     {v.board} ({v.core}, {mhz:g} MHz), toolchain {v.toolchain_version or v.toolchain}, "
        f"memory {v.memory}",
        f"samples    {v.samples:,} on one build, {v.workers} worker(s), {v.wall_seconds:.1f} s",
        f"bit-exact  {v.samples - len(v.mismatches):,} of {v.samples:,} vs the NumPy reference"
        + ("" if not v.mismatches else
           f" (differ: {', '.join(map(str, v.mismatches[:10]))}{' ...' if len(v.mismatches) > 10 else ''})"),
    ]
    if c["min"] is not None:
        lines.append(f"cycles     min {c['min']:,}  median {c['median']:,.0f}  max {c['max']:,} "
                     f"(cold inference; {c['median'] / v.clock_hz * 1e3:.3f} ms median)")
    if v.accuracy is not None:
        lines.append(f"accuracy   {_pct(v.accuracy)} (top-1 vs labels)"
                     + ("" if v.float_accuracy is None else f", float model {_pct(v.float_accuracy)}"))
    if v.metrics is not None:
        m = v.metrics
        lines.append(f"vs float   RMSE {_g(m['rmse'])}  MAE {_g(m['mae'])}  L2r {_g(m['l2r'])}  "
                     f"COS {_g(m['cos'])}")
    return "\n".join(lines)
