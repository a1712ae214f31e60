"""``mcusim lib SOURCES... -o LIB.a [--board B]``: a static library for a board's core."""
from __future__ import annotations

import sys

from .options import build_options, build_parser, json_parser, target_parser

LINK_ONLY = ("link_flags", "libraries", "library_dirs", "linker_script")


def add_parser(sub) -> None:
    p = sub.add_parser("lib", help="compile C sources for a board's core into a static library (.a)",
                       parents=[target_parser(), json_parser(), build_parser()])
    p.add_argument("sources", nargs="+", help="C/assembly sources")
    p.add_argument("-o", dest="output", required=True, metavar="LIB.a", help="the archive to write")
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..machine import Machine

    m = Machine(args.board, ram=args.ram, stack=args.stack, toolchain=args.toolchain)
    opts = build_options(args)
    for unused in LINK_ONLY:
        opts.pop(unused)
    out = m.build_library(args.sources, args.output, **opts)
    print(f"wrote {out} for {m.board.core.name} ({m.toolchain.ident})", file=sys.stderr)
    return 0
