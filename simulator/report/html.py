"""An :class:`~simulator.report.result.Analysis` as one self-contained HTML page: summary, per-layer table,
and both charts as inline base64 PNGs (no external assets: the file can be mailed or archived by CI)."""
from __future__ import annotations

import base64

from ..escape import html_text as escape
from .markdown import NAME_COLUMN, io_rows, layer_rows, summary_rows
from .plots import CHARTS, PlotsUnavailable
from .schema import SCHEMA

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:980px;color:#222}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.85rem}td,th{padding:.25rem .6rem;border-bottom:1px solid #ddd}
th{text-align:left;background:#f4f4f4}td.r,th.r{text-align:right;font-variant-numeric:tabular-nums}
tr.diff td{background:#fde8e8}
span.name{display:inline-block;max-width:18rem;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;vertical-align:bottom}img{max-width:100%;border:1px solid #eee}.note{color:#777;font-size:.85rem}
"""
CHART_TITLES = {"layer_cost.png": "Cost per layer", "memory_timeline.png": "Arena over time (tensor lifetimes)",
                "schedule_timeline.png": "Arena over the layers, per schedule"}


def _table(headers: list[str], rows: list[list], align: str, diff_col: int | None = None,
           name_col: int | None = None) -> str:
    """``name_col``: a column of (possibly 120-character) names, cut to the column's width with
    an ellipsis by CSS; the whole name shows on hover (title attribute)."""
    def cls(a):
        return ' class="r"' if a == "r" else ""

    def cell(i, c, a):
        if i == name_col:
            # an inline-block span: max-width on a table cell itself is not honoured everywhere
            return f'<td title="{escape(str(c))}"><span class="name">{escape(str(c))}</span></td>'
        return f"<td{cls(a)}>{escape(str(c))}</td>"

    head = "".join(f"<th{cls(a)}>{escape(str(h))}</th>" for h, a in zip(headers, align))
    body = []
    for row in rows:
        marked = diff_col is not None and row[diff_col] == "DIFF"
        cells = "".join(cell(i, c, a) for i, (c, a) in enumerate(zip(row, align)))
        row_class = ' class="diff"' if marked else ""
        body.append(f"<tr{row_class}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _charts(a) -> str:
    try:
        images = {name: render(a) for name, render in CHARTS.items()}
    except PlotsUnavailable as exc:
        return f'<p class="note">Charts omitted: {escape(str(exc))}</p>'
    return "".join(f"<h2>{escape(CHART_TITLES[name])}</h2>"
                   f'<img alt="{escape(CHART_TITLES[name])}" src="data:image/png;base64,'
                   f'{base64.b64encode(png).decode("ascii")}">' for name, png in images.items())


def render_analysis_html(a) -> str:
    headers, rows, align = layer_rows(a)
    io_head, io, io_align = io_rows(a)
    title = f"mcusim: {a.model} on {a.board}"
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
             f"<h1>{escape(title)}</h1>",
             _table(["", ""], summary_rows(a, marks=False), "ll"),
             "<h2>Inputs and outputs</h2>", _table(io_head, io, io_align, name_col=2),
             "<h2>Layers</h2>", _table(headers, rows, align, diff_col=len(headers) - 1, name_col=NAME_COLUMN),
             _charts(a),
             f'<p class="note">schema {escape(SCHEMA)}; toolchain '
             f'{escape((a.context or {}).get("toolchain") or a.toolchain)}</p>',
             "</body></html>"]
    return "\n".join(parts) + "\n"
