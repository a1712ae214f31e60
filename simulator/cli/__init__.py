"""``mcusim``: the command line. Every McusimError becomes one message and a non-zero exit.

One module per subcommand (``simulator/cli/<command>.py``), each with ``add_parser(sub)``
that declares its arguments (the shared target options come from :mod:`.options` as parent
parsers) and sets ``handler``, the function that runs it and returns the exit code."""
from __future__ import annotations

import argparse
import os
import sys
import warnings

from .. import __version__
from ..errors import McusimError
from ..npy import CastNote
from . import analyze, boards, compare, export, lib, quantize, report, run, validate

EXIT_INTERNAL = 70      # EX_SOFTWARE: a bug in mcusim itself
COMMANDS = (run, lib, boards, analyze, validate, quantize, report, compare, export)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mcusim", description="Cortex-M inference simulator")
    parser.add_argument("--version", action="version", version=f"mcusim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    kind = "note" if issubclass(category, CastNote) else "warning"
    print(f"mcusim: {kind}: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning     # restored when the block ends
            return args.handler(args)
    except McusimError as exc:
        print(f"mcusim: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("mcusim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug in mcusim: say so in one line, keep the traceback out of the way
        import traceback
        if "MCUSIM_DEBUG" in os.environ:
            traceback.print_exc()
        print(f"mcusim: internal error: {type(exc).__name__}: {exc} (set MCUSIM_DEBUG=1 for a traceback; "
              "please report it)", file=sys.stderr)
        return EXIT_INTERNAL
