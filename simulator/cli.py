"""``mcusim``: the command line. Every McusimError becomes one message and a non-zero exit."""
from __future__ import annotations

import argparse
import json
import sys

from . import __version__
from .errors import McusimError

EXIT_INTERNAL = 70      # EX_SOFTWARE: a bug in mcusim itself


def _add_target_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--board", default="generic-m7", help="board name (see `mcusim boards`) or a board .toml")
    p.add_argument("--ram", default=None, help="RAM the program may use: 32K, 256K, 0x8000 (default: the board's data RAM)")
    p.add_argument("--stack", default="4K", help="stack size (default 4K)")
    p.add_argument("--toolchain", default="zig", choices=["zig", "gcc"], help="cross compiler (default zig)")
    p.add_argument("--caches", choices=["on", "off"], default="on",
                   help="on: steady state with caches hitting, no wait states (default); "
                        "off: every access pays its memory region's wait states")
    p.add_argument("--max-instructions", type=int, default=2_000_000_000,
                   help="stop a runaway program after this many instructions")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mcusim", description="Cortex-M inference simulator")
    parser.add_argument("--version", action="version", version=f"mcusim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="build C sources for a board and run main()")
    run.add_argument("sources", nargs="+", help="C source files")
    _add_target_options(run)
    run.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME[=VALUE]")
    run.add_argument("-I", dest="include_dirs", action="append", default=[], metavar="DIR")
    run.add_argument("-O", dest="opt", default="2", help="optimisation level (0, 1, 2, 3, s, z)")
    run.add_argument("--profile", action="store_true", help="cycles and instructions per function")
    run.add_argument("--gdb", type=int, default=None, metavar="PORT",
                     help="wait for gdb on 127.0.0.1:PORT and run main() under it")

    boards = sub.add_parser("boards", help="list the boards mcusim knows")
    boards.add_argument("--json", action="store_true")

    from .cli_commands import register_extra_commands
    register_extra_commands(sub)
    return parser


def _parse_defines(items: list[str]) -> dict:
    out = {}
    for item in items:
        name, _, value = item.partition("=")
        out[name] = value if _ else None
    return out


def cmd_run(args) -> int:
    from .machine import Machine
    from .report.text import render_run

    if args.gdb is not None:
        from .gdbserver import check_port
        check_port(args.gdb)                 # before the build: a bad port is an argument error
    m = Machine(args.board, ram=args.ram, stack=args.stack, toolchain=args.toolchain,
                max_instructions=args.max_instructions, caches=args.caches == "on")
    fw = m.build(args.sources, defines=_parse_defines(args.defines), include_dirs=args.include_dirs,
                 opt=f"-O{args.opt}")
    if args.gdb is not None:
        from .gdbserver import serve
        result = serve(fw, args.gdb, announce=sys.stderr)   # streams the program's output as it runs
    else:
        result = fw.run(profile=args.profile)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        sys.stdout.write(result.stdout if args.gdb is None else "")
        if result.stdout and not result.stdout.endswith("\n"):
            sys.stdout.write("\n")
        sys.stdout.flush()
        print(render_run(result), file=sys.stderr)
    code = result.exit_code or 0
    return code if 0 <= code < 256 else 1


def cmd_boards(args) -> int:
    from .boards import list_boards
    from .report.text import render_boards

    boards = list_boards()
    if args.json:
        print(json.dumps([{"name": b.name, "title": b.title, "core": b.core.name, "clock_hz": b.clock_hz,
                           "regions": [{"name": r.name, "kind": r.kind, "origin": r.origin, "size": r.size,
                                        "wait_states": r.wait_states} for r in b.regions]}
                          for b in boards], indent=2))
    else:
        print(render_boards(boards))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {"run": cmd_run, "boards": cmd_boards}
    from .cli_commands import EXTRA_HANDLERS
    handlers.update(EXTRA_HANDLERS)
    try:
        return handlers[args.command](args)
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
        if "MCUSIM_DEBUG" in __import__("os").environ:
            traceback.print_exc()
        print(f"mcusim: internal error: {type(exc).__name__}: {exc} (set MCUSIM_DEBUG=1 for a traceback; "
              "please report it)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
