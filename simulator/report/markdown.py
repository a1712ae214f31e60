"""An analysis (``mcusim.analysis/1`` dict) or a comparison as GitHub-flavoured Markdown, for a PR comment."""
from __future__ import annotations

from ..escape import md_text
from ..sizes import format_size
from .schema import cost_metric


def _n(v) -> str:
    return "–" if v is None else f"{v:,}"


def _bytes(n) -> str:
    return "–" if n is None else (f"{n:,} B ({format_size(n)})" if n >= 1024 else f"{n:,} B")


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


def _verdict(a: dict, marks: bool) -> str:
    # Emoji marks read well on a pull request; a standalone HTML page may lack the font.
    if not a["fits"]:
        text, mark = "does not fit the RAM limit", "❌ "
    elif a["bit_exact"] is False:
        text, mark = "not bit-exact", "❌ "
    elif a["bit_exact"] is None:
        text, mark = "not run", "⚠️ "
    else:
        text, mark = "fits, bit-exact", "✅ "
    return (mark if marks else "") + text


def summary_rows(a: dict, marks: bool = True) -> list[list[str]]:
    """(label, value) pairs shared by the Markdown (with emoji marks) and HTML summaries."""
    ram, flash = a["ram_bytes"], a["flash_bytes"]
    timing = (f"{a['cycles']:,} cycles = {a['latency_ms']:.3f} ms at {a['clock_hz'] / 1e6:g} MHz"
              if a["cycles"] is not None and a["latency_ms"] is not None else "not modelled")
    return [
        ["model", a["model"]],
        ["target", f"{a['board']} ({a['core']}, {a['clock_hz'] / 1e6:g} MHz), {a['toolchain']}"],
        ["result", _verdict(a, marks)],
        ["latency", timing],
        ["instructions", _n(a["instructions"])],
        ["params / MACC", f"{a['params']:,} / {a['macc']:,}"],
        ["flash", f"{_bytes(flash['total'])}: weights {_bytes(flash['weights'])}, code {_bytes(flash['code'])}"],
        ["RAM", f"{_bytes(ram['total'])} of {_bytes(a['ram_limit_bytes'])}: arena {_bytes(ram['arena'])}, "
                f"scratch {_bytes(ram['scratch'])}, stack peak {_bytes(ram['stack_peak'])}, "
                f"static {_bytes(ram['static'])}"],
    ]


def layer_rows(a: dict) -> tuple[list[str], list[list], str]:
    metric = cost_metric(a)
    headers = ["#", "name", "op", "kernel", "output", "MACC", metric, "share", "bits"]
    rows = []
    for layer in a["layers"]:
        bits = {True: "ok", False: "DIFF", None: "–"}[layer["bit_exact"]]
        share = "–" if layer["share"] is None else f"{layer['share']:.1f}%"
        rows.append([layer["index"], layer["name"], layer["op"], layer["kernel"],
                     "x".join(str(d) for d in layer["output_shape"]), f"{layer['macc']:,}",
                     _n(layer[metric]), share, bits])
    return headers, rows, "rlllrrrrl"


def render_analysis_markdown(a: dict) -> str:
    headers, rows, align = layer_rows(a)
    out = [f"### mcusim: {md_text(a['model'])} on {md_text(a['board'])}", "",
           md_table(["", "value"], summary_rows(a), "ll"), "",
           "<details><summary>per-layer cost</summary>", "",
           md_table(headers, rows, align), "", "</details>"]
    if cost_metric(a) == "instructions":
        out += ["", "_No cycle model for this run: costs are instruction counts._"]
    return "\n".join(out) + "\n"
