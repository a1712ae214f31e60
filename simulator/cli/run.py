"""``mcusim run SOURCES... [--board B] [--gdb PORT]``: build C sources for a board and run main()."""
from __future__ import annotations

import json
import sys

from .options import build_options, build_parser, json_parser, memory_model, target_parser


def add_parser(sub) -> None:
    p = sub.add_parser("run", help="build C sources for a board and run main()",
                       parents=[target_parser(), json_parser(), build_parser()])
    p.add_argument("sources", nargs="+", help="C/assembly sources, .o objects and .a libraries")
    p.add_argument("--profile", action="store_true", help="cycles and instructions per function")
    p.add_argument("--gdb", type=int, default=None, metavar="PORT",
                   help="wait for gdb on 127.0.0.1:PORT and run main() under it")
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..machine import Machine
    from ..report.text import render_run

    if args.gdb is not None:
        from ..gdbserver import check_port
        check_port(args.gdb)                 # before the build: a bad port is an argument error
    m = Machine(args.board, ram=args.ram, stack=args.stack, toolchain=args.toolchain,
                max_instructions=args.max_instructions, memory=memory_model(args),
                max_seconds=args.max_seconds, max_output=args.max_output)
    fw = m.build(args.sources, **build_options(args))
    if args.gdb is not None:
        from ..gdbserver import serve
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
