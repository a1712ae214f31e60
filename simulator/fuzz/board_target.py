"""Fuzz target ``board``: mutated copies of the bundled board files through the board loader.

Contract (simulator/boards/parse.py): any file ends in a Board whose regions the emulator can
map (page-aligned, disjoint, below the system space: checked here by mapping them in a fresh
Unicorn, with the SCS/DWT pages mcusim adds) or a BoardError naming the file; nothing else.

Mutations: one value of the parsed document replaced with a hostile one (wrong type, negative,
zero, huge, unaligned, 4096M, NaN, a table), a key deleted, regions made to overlap, emptied or
multiplied, ram_regions/code_region naming nothing or the wrong kind; or text damage (truncation,
flips, nesting 100,000 deep, a file over the size bound). The document is written back with a
small TOML emitter (:func:`to_toml`).
"""
from __future__ import annotations

import copy
import json
import math
from pathlib import Path

from ..boards import BOARD_DIR, _parse_board
from ..boards.parse import MAP_END
from ..errors import BoardError
from .targets import Target

_SEEDS: list[tuple[str, dict, str]] = []

HOSTILE = [-5, -1, 0, 1, 3, 0x2000_0001, 0xFFFF_F000, 0xE000_0000, 2**31, 2**32, 2**32 + 1, 2**63 - 1,
           -(2**63), 1.5, math.nan, math.inf, True, False, "", "x", "4096M", "0", "-1K", "1K", "0x400",
           "512M", "3G", "\n", "a" * 200, [], ["flash"], {}, {"a": 1}]


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return ("nan" if math.isnan(v) else repr(v)) if isinstance(v, float) else str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def to_toml(doc: dict) -> str:
    """TOML for the shapes board files have: scalars and lists on top, [[regions]] tables."""
    lines = [f"{json.dumps(k)} = {_value(v)}" for k, v in doc.items()
             if not (k == "regions" and isinstance(v, list) and v and all(isinstance(r, dict) for r in v))]
    regions = doc.get("regions")
    if isinstance(regions, list) and regions and all(isinstance(r, dict) for r in regions):
        for r in regions:
            lines += ["", "[[regions]]"] + [f"{json.dumps(k)} = {_value(v)}" for k, v in r.items()]
    return "\n".join(lines) + "\n"


def seeds() -> list[tuple[str, dict, str]]:
    if not _SEEDS:
        import tomllib
        for p in sorted(BOARD_DIR.glob("*.toml")):
            if p.name != "cores.toml":
                text = p.read_text()
                _SEEDS.append((p.stem, tomllib.loads(text), text))
    return _SEEDS


def _m_value(rng, doc):
    keys = [k for k in doc if k != "regions"]
    doc[rng.choice(keys)] = rng.choice(HOSTILE)


def _m_region_value(rng, doc):
    r = rng.choice(doc["regions"])
    r[rng.choice(["name", "kind", "origin", "size", "wait_states", "source"])] = rng.choice(HOSTILE)


def _m_delete(rng, doc):
    target = doc if rng.random() < 0.5 else rng.choice(doc["regions"])
    if target:
        del target[rng.choice(sorted(target))]


def _m_overlap(rng, doc):
    a, b = rng.choice(doc["regions"]), rng.choice(doc["regions"])
    b["origin"] = a["origin"] + rng.choice([0, 0x400, 0x800])


def _m_regions(rng, doc):
    choice = rng.randrange(5)
    if choice == 0:
        doc["regions"] = []
    elif choice == 1:
        doc["regions"] = doc["regions"] * rng.choice([2, 40])
    elif choice == 2:
        doc["regions"].append(rng.choice(HOSTILE))
    elif choice == 3:
        doc["regions"][0]["origin"] = MAP_END - 0x400
    else:
        doc["regions"] = [dict(r, origin=0x100_0000 * i, size="16M") for i, r in enumerate(doc["regions"] * 8)]


def _m_names(rng, doc):
    key = rng.choice(["ram_regions", "code_region"])
    names = [r.get("name") for r in doc["regions"]]
    doc[key] = rng.choice([[], ["nowhere"], [names[0]], names, names * 2, "nowhere", names[0], 7, [7]])


STRUCTURED = {"value": _m_value, "region_value": _m_region_value, "delete": _m_delete,
              "overlap": _m_overlap, "regions": _m_regions, "names": _m_names}


def _t_truncate(rng, text):
    return text[:rng.randrange(len(text))]


def _t_flip(rng, text):
    raw = bytearray(text.encode())
    for _ in range(rng.choice([1, 2, 8])):
        raw[rng.randrange(len(raw))] = rng.randrange(256)
    return bytes(raw)


def _t_nesting(rng, text):
    n = rng.choice([100, 1000, 20_000])
    return text + "\nx = " + "[" * n + "]" * n + "\n"


def _t_huge(rng, text):
    return text + "# padding\n" * rng.choice([1, 8_000])


TEXTUAL = {"truncate": _t_truncate, "flip": _t_flip, "nesting": _t_nesting, "huge": _t_huge}


def make(rng) -> tuple[str, bytes]:
    _name, doc, text = rng.choice(seeds())
    if rng.random() < 0.75:
        name = rng.choice(sorted(STRUCTURED))
        doc = copy.deepcopy(doc)
        for _ in range(rng.choice([1, 1, 2])):
            try:
                STRUCTURED[name](rng, doc)
            except (TypeError, ValueError, KeyError, IndexError, AttributeError):
                pass                  # an earlier mutation left nothing this one applies to
        out = to_toml(doc)
    else:
        name = rng.choice(sorted(TEXTUAL))
        out = TEXTUAL[name](rng, text)
    return name, out if isinstance(out, bytes) else out.encode("utf-8", "surrogatepass")


def map_regions(board) -> None:
    """Map the board as the emulator would (raises UcError where it could not)."""
    from unicorn import UC_ARCH_ARM, UC_MODE_THUMB, Uc
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)
    for r in board.regions:
        uc.mem_map(r.origin, r.size)
    uc.mem_map(0xE000_0000, 0x1000)          # DWT (engine.map_debug_registers)
    uc.mem_map(0xE000_E000, 0x1000)          # SCS


def judge(data: bytes, workdir: Path) -> tuple[str, str]:
    path = workdir / "board.toml"
    path.write_bytes(data)
    try:
        board = _parse_board(path)
    except BoardError as exc:
        if not str(exc).startswith(f"{path}: "):
            return "bad_message", f"does not name the file: {exc}"
        return "rejected", str(exc)
    map_regions(board)
    if board.clock_hz <= 0 or any(not 0 <= r.wait_states < 2**32 for r in board.regions):
        return "bad_message", f"accepted clock {board.clock_hz} / wait states"
    board.default_ram, board.flash               # the names it refers to resolve
    return "accepted", ""


TARGET = Target("board", make, judge, suffix=".toml", setup=seeds)
