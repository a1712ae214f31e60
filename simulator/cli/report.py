"""``mcusim report ANALYSIS.json [--html F] [--png-dir D] [--markdown F]`` (simulator/report/commands.py)."""
from __future__ import annotations


def add_parser(sub) -> None:
    from ..report.commands import cmd_report

    p = sub.add_parser("report", help="render an `mcusim analyze --json` file as HTML, PNG charts, Markdown",
                       description="With no output option, prints the Markdown to stdout.")
    p.add_argument("analysis", help="ANALYSIS.json written by `mcusim analyze MODEL --json`")
    p.add_argument("--html", metavar="FILE", help="one self-contained page: summary, layers, charts")
    p.add_argument("--png-dir", metavar="DIR", help="write layer_cost.png and memory_timeline.png here")
    p.add_argument("--markdown", metavar="FILE", help="a PR-comment-sized summary ('-' for stdout)")
    p.set_defaults(handler=cmd_report)
