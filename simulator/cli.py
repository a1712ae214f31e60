"""``mcusim``: the command line. Every McusimError becomes one message and a non-zero exit."""
from __future__ import annotations

import argparse
import json
import sys
import warnings

from . import __version__
from .errors import McusimError
from .limits import DEFAULT_MAX_INSTRUCTIONS, DEFAULT_MAX_OUTPUT, DEFAULT_MAX_SECONDS, MAX_INSTRUCTIONS

EXIT_INTERNAL = 70      # EX_SOFTWARE: a bug in mcusim itself


def _int_arg(text: str) -> int:
    try:
        return int(text.replace("_", ""), 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


def _float_arg(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def _add_target_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--board", default="generic-m7", help="board name (see `mcusim boards`) or a board .toml")
    p.add_argument("--ram", default=None, help="RAM the program may use: 32K, 256K, 0x8000 (default: the board's data RAM)")
    p.add_argument("--stack", default="4K", help="stack size (default 4K)")
    p.add_argument("--toolchain", default="zig", choices=["zig", "gcc"], help="cross compiler (default zig)")
    p.add_argument("--memory", choices=["realistic", "ideal", "uncached"], default=None,
                   help="memory model: realistic = the board's caches from cold, misses and line "
                        "fills charged (default); ideal = every access hits; uncached = every access "
                        "pays its region's wait states")
    p.add_argument("--caches", choices=["on", "off"], default=None,
                   help="deprecated: on = --memory ideal, off = --memory uncached")
    p.add_argument("--max-instructions", type=_int_arg, default=DEFAULT_MAX_INSTRUCTIONS,
                   help="stop a runaway program after this many instructions "
                        f"(1 to {MAX_INSTRUCTIONS:.0e}; default {DEFAULT_MAX_INSTRUCTIONS:,})")
    p.add_argument("--max-seconds", type=_float_arg, default=DEFAULT_MAX_SECONDS,
                   help=f"stop the emulated run after this much wall-clock time "
                        f"(default {DEFAULT_MAX_SECONDS:g} s)")
    p.add_argument("--max-output", type=_int_arg, default=DEFAULT_MAX_OUTPUT,
                   help=f"stop the run when its output passes this many bytes "
                        f"(default {DEFAULT_MAX_OUTPUT:,})")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mcusim", description="Cortex-M inference simulator")
    parser.add_argument("--version", action="version", version=f"mcusim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="build C sources for a board and run main()")
    run.add_argument("sources", nargs="+", help="C/assembly sources, .o objects and .a libraries")
    _add_target_options(run)
    _add_build_options(run)
    run.add_argument("--profile", action="store_true", help="cycles and instructions per function")
    run.add_argument("--gdb", type=int, default=None, metavar="PORT",
                     help="wait for gdb on 127.0.0.1:PORT and run main() under it")

    lib = sub.add_parser("lib", help="compile C sources for a board's core into a static library (.a)")
    lib.add_argument("sources", nargs="+", help="C/assembly sources")
    lib.add_argument("-o", dest="output", required=True, metavar="LIB.a", help="the archive to write")
    _add_target_options(lib)
    _add_build_options(lib)

    boards = sub.add_parser("boards", help="list the boards mcusim knows")
    boards.add_argument("--json", action="store_true")

    from .cli_commands import register_extra_commands
    register_extra_commands(sub)
    return parser


def _add_build_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME[=VALUE]")
    p.add_argument("-I", dest="include_dirs", action="append", default=[], metavar="DIR")
    p.add_argument("-O", dest="opt", default="2", help="optimisation level (0, 1, 2, 3, s, z, g)")
    p.add_argument("-l", dest="libraries", action="append", default=[], metavar="NAME", help="link libNAME.a")
    p.add_argument("-L", dest="library_dirs", action="append", default=[], metavar="DIR",
                   help="search DIR for -l libraries")
    p.add_argument("--cflag", dest="cflags", action="append", default=[], metavar="FLAG",
                   help="extra compiler flag, e.g. --cflag=-ffast-math (repeat for more)")
    p.add_argument("--ldflag", dest="ldflags", action="append", default=[], metavar="FLAG",
                   help="extra linker flag, e.g. --ldflag=-Wl,--defsym=FOO=1 (repeat for more)")
    p.add_argument("--linker-script", default=None, metavar="FILE",
                   help="output-section statements added to the board's linker script (after .bss)")


def _build_options(args) -> dict:
    return dict(defines=_parse_defines(args.defines), include_dirs=args.include_dirs, opt=f"-O{args.opt}",
                extra_flags=args.cflags, link_flags=args.ldflags, libraries=args.libraries,
                library_dirs=args.library_dirs, linker_script=args.linker_script)


def _parse_defines(items: list[str]) -> dict:
    out = {}
    for item in items:
        name, _, value = item.partition("=")
        out[name] = value if _ else None
    return out


def memory_model(args) -> str:
    """--memory, or what the deprecated --caches meant (with a note on stderr)."""
    from .errors import ConfigError
    from .machine.memory_model import DEFAULT_MODEL, from_caches_flag

    if args.caches is None:
        return args.memory or DEFAULT_MODEL
    if args.memory is not None:
        raise ConfigError("give --memory or the deprecated --caches, not both")
    model = from_caches_flag(args.caches)
    print(f"mcusim: note: --caches {args.caches} is deprecated; it means --memory {model}", file=sys.stderr)
    return model


def cmd_run(args) -> int:
    from .machine import Machine
    from .report.text import render_run

    if args.gdb is not None:
        from .gdbserver import check_port
        check_port(args.gdb)                 # before the build: a bad port is an argument error
    m = Machine(args.board, ram=args.ram, stack=args.stack, toolchain=args.toolchain,
                max_instructions=args.max_instructions, memory=memory_model(args),
                max_seconds=args.max_seconds, max_output=args.max_output)
    fw = m.build(args.sources, **_build_options(args))
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


def cmd_lib(args) -> int:
    from .machine import Machine

    m = Machine(args.board, ram=args.ram, stack=args.stack, toolchain=args.toolchain)
    opts = _build_options(args)
    for unused in ("link_flags", "libraries", "library_dirs", "linker_script"):
        opts.pop(unused)
    out = m.build_library(args.sources, args.output, **opts)
    print(f"wrote {out} for {m.board.core.name} ({m.toolchain.ident})", file=sys.stderr)
    return 0


def cmd_boards(args) -> int:
    from .boards import list_boards
    from .report.text import render_boards

    boards = list_boards()
    if args.json:
        print(json.dumps([{"name": b.name, "title": b.title, "core": b.core.name, "clock_hz": b.clock_hz,
                           "regions": [{"name": r.name, "kind": r.kind, "origin": r.origin, "size": r.size,
                                        "wait_states": r.wait_states} for r in b.regions],
                           "memory": {"caches": [c.to_dict() for c in b.memory.caches],
                                      "line_fill_cycles": b.memory.fills,
                                      "unaligned_load": list(b.memory.unaligned_load),
                                      "unaligned_store": list(b.memory.unaligned_store),
                                      "startup": b.memory.startup}}
                          for b in boards], indent=2))
    else:
        print(render_boards(boards))
    return 0


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"mcusim: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {"run": cmd_run, "boards": cmd_boards, "lib": cmd_lib}
    from .cli_commands import EXTRA_HANDLERS
    handlers.update(EXTRA_HANDLERS)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning     # restored when the block ends
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
