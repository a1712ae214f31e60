"""``mcusim compare OLD.json NEW.json [--fail-on SPEC] [--markdown] [--strict]`` (simulator/report/commands.py)."""
from __future__ import annotations


def add_parser(sub) -> None:
    from ..report.commands import cmd_compare

    p = sub.add_parser("compare", help="per-layer and total deltas between two analyses; a CI gate",
                       description="Exit 0: within limits; 1: a total grew past a --fail-on limit; "
                                   "2: a file is unreadable or the analyses are of different models.")
    p.add_argument("old", help="baseline ANALYSIS.json")
    p.add_argument("new", help="candidate ANALYSIS.json")
    p.add_argument("--fail-on", metavar="SPEC", default=None,
                   help="limits on growth of the totals, e.g. cycles:5%%,flash:1%%,ram:1%% "
                        "(cycles fall back to instructions when either analysis has no cycle counts)")
    p.add_argument("--markdown", action="store_true", help="print Markdown (for a PR comment) instead of text")
    p.add_argument("--strict", action="store_true",
                   help="refuse (exit 2) two analyses measured under different contexts: board, clock, "
                        "toolchain and flags, C library, memory model, kernel library (default: warn)")
    p.set_defaults(handler=cmd_compare)
