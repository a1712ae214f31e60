"""``mcusim report`` and ``mcusim compare``: analysis JSON files in, reports and a CI gate out.

    mcusim report ANALYSIS.json [--html out.html] [--png-dir DIR] [--markdown out.md]
    mcusim compare OLD.json NEW.json [--fail-on cycles:5%,flash:1%,ram:1%] [--markdown] [--strict]

compare exits 0 within the limits, 1 past one, 2 when a file is unreadable or the two do not match
(or, with --strict, were measured under different contexts)."""
from __future__ import annotations

import sys
from pathlib import Path


EXIT_REGRESSION = 1


def register(sub, handlers: dict) -> None:
    rep = sub.add_parser("report", help="render an `mcusim analyze --json` file as HTML, PNG charts, Markdown",
                         description="With no output option, prints the Markdown to stdout.")
    rep.add_argument("analysis", help="ANALYSIS.json written by `mcusim analyze MODEL --json`")
    rep.add_argument("--html", metavar="FILE", help="one self-contained page: summary, layers, charts")
    rep.add_argument("--png-dir", metavar="DIR", help="write layer_cost.png and memory_timeline.png here")
    rep.add_argument("--markdown", metavar="FILE", help="a PR-comment-sized summary ('-' for stdout)")
    handlers["report"] = cmd_report

    cmp = sub.add_parser("compare", help="per-layer and total deltas between two analyses; a CI gate",
                         description="Exit 0: within limits; 1: a total grew past a --fail-on limit; "
                                     "2: a file is unreadable or the analyses are of different models.")
    cmp.add_argument("old", help="baseline ANALYSIS.json")
    cmp.add_argument("new", help="candidate ANALYSIS.json")
    cmp.add_argument("--fail-on", metavar="SPEC", default=None,
                     help="limits on growth of the totals, e.g. cycles:5%%,flash:1%%,ram:1%% "
                          "(cycles fall back to instructions when either analysis has no cycle counts)")
    cmp.add_argument("--markdown", action="store_true", help="print Markdown (for a PR comment) instead of text")
    cmp.add_argument("--strict", action="store_true",
                     help="refuse (exit 2) two analyses measured under different contexts: board, clock, "
                          "toolchain and flags, C library, memory model, kernel library (default: warn)")
    handlers["compare"] = cmd_compare


def cmd_report(args) -> int:
    from .atomic import write_bytes_atomic, write_text_atomic
    from .markdown import render_analysis_markdown
    from .schema import load_analysis

    a = load_analysis(args.analysis)
    written = []
    if args.png_dir:
        from .plots import CHARTS
        for name, render in CHARTS.items():
            written.append(write_bytes_atomic(Path(args.png_dir) / name, render(a)))
    if args.html:
        from .html import render_analysis_html
        written.append(write_text_atomic(args.html, render_analysis_html(a)))
    if args.markdown and args.markdown != "-":
        written.append(write_text_atomic(args.markdown, render_analysis_markdown(a)))
    if args.markdown == "-" or not (args.png_dir or args.html or args.markdown):
        sys.stdout.write(render_analysis_markdown(a))
    for path in written:
        print(f"mcusim: wrote {path}", file=sys.stderr)
    return 0


def cmd_compare(args) -> int:
    from .compare import (FAIL_METRICS, compare_analyses, context_warning, render_comparison_markdown,
                          render_comparison_text, violations)
    from .schema import load_analysis
    from .thresholds import parse_thresholds

    limits = parse_thresholds(args.fail_on, FAIL_METRICS, "--fail-on")
    old, new = load_analysis(args.old), load_analysis(args.new)
    cmp = compare_analyses(old, new, args.old, args.new, strict=args.strict)
    warning = context_warning(cmp)
    if warning:
        print(f"mcusim: warning: {warning}", file=sys.stderr)
    failures = violations(cmp, limits)
    print(render_comparison_markdown(cmp, failures) if args.markdown else render_comparison_text(cmp), end="")
    if not args.markdown:
        print()
    for f in failures:
        print(f"mcusim: regression: {f}", file=sys.stderr)
    return EXIT_REGRESSION if failures else 0

