"""An :class:`~simulator.report.result.Analysis` or a comparison as GitHub-flavoured Markdown, for a PR comment."""
from __future__ import annotations

from ..escape import md_text
from ..fit import tflm_summary
from ..sizes import format_size
from .schema import cost_metric
from .text import elide


def _n(v) -> str:
    return "–" if v is None else f"{v:,}"


def _bytes(n) -> str:
    # below 10 KiB the byte count says it all ("2,600 B (2600 B)" repeated it)
    return "–" if n is None else (f"{n:,} B ({format_size(n)})" if n >= 10 * 1024 else f"{n:,} B")


def _cell(text) -> str:
    # Every cell may hold a name from the model or the analysis JSON: escaped, one line.
    return md_text(text)


def md_table(headers: list[str], rows: list[list], align: str) -> str:
    """``align``: one of 'l'/'r' per column."""
    marks = {"l": ":---", "r": "---:"}
    lines = ["| " + " | ".join(_cell(h) for h in headers) + " |",
             "|" + "|".join(marks[a] for a in align) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _verdict(a, marks: bool) -> str:
    # Emoji marks read well on a pull request; a standalone HTML page may lack the font.
    if not a.fits:
        text, mark = "does not fit the RAM limit (not run)", "❌ "
    elif a.bit_exact is False:
        text, mark = "not bit-exact", "❌ "
    elif a.bit_exact is None:
        text, mark = "not run", "⚠️ "
    else:
        text, mark = "fits, bit-exact", "✅ "
    return (mark if marks else "") + text


def _ram(a) -> str:
    parts = []
    for name, size in a.ram_parts.items():
        if name == "stack":
            peak = "not run" if a.stack_peak is None else f"peak {_bytes(a.stack_peak)}"
            parts.append(f"stack {_bytes(size)} ({peak})")
        elif name == "arena" and not a.arena_in_ram:
            parts.append(f"arena {_bytes(a.arena)} in {a.placement.get('arena')} (not counted)")
        elif size or name in ("arena", "scratch", "static"):
            parts.append(f"{name} {_bytes(size)}")
    return f"{_bytes(a.ram_total)} of {_bytes(a.ram_limit)} = " + " + ".join(parts)


def _latency(a) -> str:
    if a.cycles is None:
        return "not run" if not a.ran else "not modelled"
    return f"{a.cycles:,} cycles = {a.latency_ms:.3f} ms at {a.clock_hz / 1e6:g} MHz"


def summary_rows(a, marks: bool = True) -> list[list[str]]:
    """(label, value) pairs shared by the Markdown (with emoji marks) and HTML summaries."""
    ctx = a.context or {}
    return [
        ["model", a.model],
        ["target", f"{a.board} ({a.core}, {a.clock_hz / 1e6:g} MHz), {ctx.get('toolchain') or a.toolchain}"],
        ["memory model", f"{ctx.get('memory_model') or '–'}, cycles of the {ctx.get('pass', 'cold')} inference"],
        ["result", _verdict(a, marks)],
        ["latency", _latency(a)],
        ["instructions", _n(a.instructions)],
        ["params / MACC", f"{a.params:,} / {a.macc:,}"],
        ["flash", f"{_bytes(a.flash_total)}: weights {_bytes(a.flash_weights)}, code {_bytes(a.flash_code)}"],
        ["RAM", _ram(a)],
    ] + ([["TFLite Micro arena", tflm]] if (tflm := tflm_summary(a, _bytes)) else [])


def io_rows(a) -> tuple[list[str], list[list], str]:
    """The input and output tensors as a caller feeds and reads them."""
    rows = [[kind, t.index, t.name, "x".join(str(d) for d in t.shape), t.dtype,
             "–" if t.scale is None else f"{t.scale:.6g}", "–" if t.zero_point is None else t.zero_point]
            for kind, ts in (("input", a.inputs), ("output", a.outputs)) for t in ts]
    return ["", "tensor", "name", "shape", "dtype", "scale", "zero point"], rows, "lrlllrr"


NAME_COLUMN = 1                 # layer_rows' name column (elided in Markdown, hover in HTML)


def layer_rows(a) -> tuple[list[str], list[list], str]:
    metric = cost_metric(a)
    headers = ["#", "name", "op", "kernel", "output", "MACC", "weights", metric, "share", "bits"]
    rows = []
    for layer in a.layers:
        bits = {True: "ok", False: "DIFF", None: "–"}[layer.bit_exact]
        share = "–" if layer.share is None else f"{layer.share:.1f}%"
        rows.append([layer.index, layer.name, layer.op, layer.kernel,
                     "x".join(str(d) for d in layer.output_shape), f"{layer.macc:,}",
                     _bytes(layer.weight_bytes) if layer.weight_bytes else "–",
                     _n(getattr(layer, metric)), share, bits])
    return headers, rows, "rlllrrrrrl"


def render_analysis_markdown(a) -> str:
    headers, rows, align = layer_rows(a)
    for row in rows:
        row[NAME_COLUMN] = elide(row[NAME_COLUMN])
    io_head, io, io_align = io_rows(a)
    out = [f"### mcusim: {md_text(a.model)} on {md_text(a.board)}", "",
           md_table(["", "value"], summary_rows(a), "ll"), "",
           md_table(io_head, io, io_align), "",
           "<details><summary>per-layer cost</summary>", "",
           md_table(headers, rows, align), "", "</details>"]
    if a.ran and cost_metric(a) == "instructions":
        out += ["", "_No cycle model for this run: costs are instruction counts._"]
    return "\n".join(out) + "\n"
