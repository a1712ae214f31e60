"""``mcusim boards [--json]``: the boards mcusim knows."""
from __future__ import annotations

import json


def add_parser(sub) -> None:
    p = sub.add_parser("boards", help="list the boards mcusim knows")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run)


def _board_dict(b) -> dict:
    return {"name": b.name, "title": b.title, "core": b.core.name, "clock_hz": b.clock_hz,
            "regions": [{"name": r.name, "kind": r.kind, "origin": r.origin, "size": r.size,
                         "wait_states": r.wait_states} for r in b.regions],
            "memory": {"caches": [c.to_dict() for c in b.memory.caches],
                       "line_fill_cycles": b.memory.fills,
                       "unaligned_load": list(b.memory.unaligned_load),
                       "unaligned_store": list(b.memory.unaligned_store),
                       "startup": b.memory.startup}}


def run(args) -> int:
    from ..boards import list_boards
    from ..report.text import render_boards

    boards = list_boards()
    if args.json:
        print(json.dumps([_board_dict(b) for b in boards], indent=2))
    else:
        print(render_boards(boards))
    return 0
