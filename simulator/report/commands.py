"""``mcusim report`` and ``mcusim compare``: analysis JSON files in, reports and a CI gate out
(their arguments: simulator/cli/report.py and compare.py).

    mcusim report ANALYSIS.json [--html out.html] [--png-dir DIR] [--markdown out.md]
    mcusim compare OLD.json NEW.json [--fail-on cycles:5%,flash:1%,ram:1%] [--markdown] [--strict]

compare exits 0 within the limits, 1 past one, 2 when a file is unreadable or the two do not match
(or, with --strict, were measured under different contexts)."""
from __future__ import annotations

import sys
from pathlib import Path

from .atomic import write_bytes_atomic, write_text_atomic
from .compare import (FAIL_METRICS, compare_analyses, context_warning, render_comparison_markdown,
                      render_comparison_text, violations)
from .html import render_analysis_html
from .markdown import render_analysis_markdown
from .plots import CHARTS
from .result import load_analysis
from .thresholds import parse_thresholds


EXIT_REGRESSION = 1


def cmd_report(args) -> int:
    a = load_analysis(args.analysis)
    written = []
    if args.png_dir:
        for name, render in CHARTS.items():
            written.append(write_bytes_atomic(Path(args.png_dir) / name, render(a)))
    if args.html:
        written.append(write_text_atomic(args.html, render_analysis_html(a)))
    if args.markdown and args.markdown != "-":
        written.append(write_text_atomic(args.markdown, render_analysis_markdown(a)))
    if args.markdown == "-" or not (args.png_dir or args.html or args.markdown):
        sys.stdout.write(render_analysis_markdown(a))
    for path in written:
        print(f"mcusim: wrote {path}", file=sys.stderr)
    return 0


def cmd_compare(args) -> int:
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

