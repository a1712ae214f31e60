"""What every command prints besides its report: the one-line status on a terminal while it
works, and the one-line reason for a non-zero exit of an analysis."""
from __future__ import annotations

import sys


def terminal_progress():
    """A one-line, self-overwriting status on stderr when it is a terminal; None otherwise
    (logs and pipes get only the report)."""
    if not sys.stderr.isatty():
        return None
    width = [0]

    def show(text: str) -> None:
        line = f"mcusim: {text} ..."
        sys.stderr.write("\r" + line.ljust(width[0]))
        sys.stderr.flush()
        width[0] = max(width[0], len(line))

    def done() -> None:
        if width[0]:
            sys.stderr.write("\r" + " " * width[0] + "\r")
            sys.stderr.flush()

    show.done = done
    return show


def print_error(text: str) -> None:
    print(f"mcusim: error: {text}", file=sys.stderr)


def print_analysis_diagnosis(a, brief: bool) -> None:
    """Why an analysis did not pass (RAM overflow, bit mismatch), on stderr. ``brief``: the
    report above already explains it (text mode), so point at it in one line; otherwise
    (JSON on stdout) the whole explanation goes here."""
    if a.overflow:
        print_error(f"does not fit: needs {a.ram_total} B, limit {a.ram_limit} B (RAM overflow above)"
                    if brief else a.overflow)
    elif a.mismatch:
        print_error("bit mismatch (details above)" if brief else a.mismatch)


def terminal_bar(what: str, width: int = 30):
    """``bar(done, total)``: a self-overwriting progress bar on stderr when it is a terminal;
    None otherwise. ``bar.done()`` clears it."""
    line = terminal_progress()
    if line is None:
        return None

    def bar(done: int, total: int) -> None:
        filled = width * done // max(total, 1)
        line(f"{what} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")

    bar.done = line.done
    return bar
