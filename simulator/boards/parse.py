"""Reading a board TOML file as untrusted input: every key's type and range checked at load.

A board file may come from anyone, so nothing in it reaches the emulator unchecked: numbers are
integers (never booleans or floats) within the ranges below, regions are page-aligned, inside
the part of the address map a board may describe, and do not overlap, and every name the board
refers to exists and has the right kind. A violation is a :class:`BoardError` naming the file
and the key (``regions[2].origin``).
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

from ..escape import BOARD_NAME
from ..errors import BoardError, ConfigError
from ..sizes import parse_size

MAX_FILE_BYTES = 64 << 10            # board files are 1-3 KB; 64 regions fit in 20 KB; bounds TOML parse time
MAX_REGIONS = 64
PAGE = 0x400                         # unicorn maps ARM memory in 1 KiB pages
# ARMv7-M ARM B3.1 "The system address map": 0xE0000000 upwards is the Private Peripheral
# Bus and vendor system space; mcusim maps its own SCS/DWT pages there, so a board's regions
# must end below it. Each architectural region (Code, SRAM, ...) is 0.5 GB: no memory is larger.
MAP_END = 0xE000_0000
MAX_REGION_SIZE = 0x2000_0000
MAX_CLOCK_HZ = 10_000_000_000        # 10 GHz: far above any Cortex-M, below any overflow
MAX_WAIT_STATES = 255
NAME = BOARD_NAME                    # names reach linker scripts and C comments: simulator/escape.py
REGION_KINDS = ("flash", "ram")


class _Reader:
    """Typed access to one table of the file; errors name the file and the key path."""

    def __init__(self, path: Path, table, where: str = ""):
        self.path, self.where = path, where
        if not isinstance(table, dict):
            self.fail(f"expected a table, got {type(table).__name__}")
        self.table = table

    def fail(self, message: str, key: str | None = None):
        at = ".".join(p for p in (self.where, key or "") if p)
        raise BoardError(f"{self.path}: {at + ': ' if at else ''}{message}")

    def _get(self, key: str, default=...):
        if key in self.table:
            return self.table[key]
        if default is ...:
            self.fail("missing", key)
        return default

    def text(self, key: str, default=..., pattern: re.Pattern | None = None) -> str:
        v = self._get(key, default)
        if not isinstance(v, str):
            self.fail(f"expected a string, got {type(v).__name__}", key)
        if pattern is not None and not pattern.fullmatch(v):
            self.fail(f"{v[:40]!r} is not an identifier (letters, digits, '_', '.', '-'; "
                      "at most 64 characters)", key)
        return v

    def integer(self, key: str, lo: int, hi: int, default=...) -> int:
        v = self._get(key, default)
        if isinstance(v, bool) or not isinstance(v, int):
            self.fail(f"expected an integer, got {type(v).__name__} {v!r}"[:120], key)
        if not lo <= v <= hi:
            self.fail(f"{v} is out of range ({lo}..{hi})", key)
        return v

    def size(self, key: str) -> int:
        v = self._get(key)
        try:
            n = parse_size(v, what="size")
        except ConfigError as exc:
            self.fail(str(exc), key)
        if n > MAX_REGION_SIZE or n % PAGE:
            self.fail(f"{n:#x} must be a multiple of {PAGE:#x} and at most {MAX_REGION_SIZE:#x}", key)
        return n

    def names(self, key: str) -> list[str]:
        v = self._get(key)
        if not isinstance(v, list) or not v or not all(isinstance(x, str) for x in v):
            self.fail("expected a non-empty list of region names", key)
        if len(set(v)) != len(v):
            self.fail("names a region twice", key)
        return v


def read_board_table(path: Path) -> dict:
    """The TOML document of a board file, or a BoardError (unreadable, too big, not TOML)."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise BoardError(f"{path}: cannot read board description: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise BoardError(f"{path}: larger than {MAX_FILE_BYTES} bytes: not a board description")
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BoardError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise BoardError(f"{path}: malformed TOML: {exc}") from None
    except RecursionError:
        raise BoardError(f"{path}: malformed TOML: nested too deeply") from None


def parse_regions(path: Path, items) -> list[dict]:
    """The ``[[regions]]`` array: each one checked, then all of them against each other."""
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_REGIONS:
        raise BoardError(f"{path}: regions: expected 1 to {MAX_REGIONS} [[regions]] tables")
    out = []
    for i, item in enumerate(items):
        r = _Reader(path, item, f"regions[{i}]")
        region = dict(name=r.text("name", pattern=NAME), kind=r.text("kind"),
                      origin=r.integer("origin", 0, MAP_END - PAGE), size=r.size("size"),
                      wait_states=r.integer("wait_states", 0, MAX_WAIT_STATES, default=0),
                      source=r.text("source", default=""))
        if region["kind"] not in REGION_KINDS:
            r.fail(f"{region['kind'][:20]!r} is not one of {', '.join(REGION_KINDS)}", "kind")
        if region["origin"] % PAGE:
            r.fail(f"{region['origin']:#x} is not a multiple of {PAGE:#x}", "origin")
        if region["origin"] + region["size"] > MAP_END:
            r.fail(f"ends at {region['origin'] + region['size']:#x}, past {MAP_END:#x} "
                   "(the system space, ARMv7-M ARM B3.1)", "size")
        out.append(region)
    _check_disjoint(path, out)
    return out


def _check_disjoint(path: Path, regions: list[dict]) -> None:
    names = [r["name"] for r in regions]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise BoardError(f"{path}: regions[{i}].name: {name!r} is used twice")
    ordered = sorted(range(len(regions)), key=lambda k: regions[k]["origin"])
    for a, b in zip(ordered, ordered[1:]):
        ra, rb = regions[a], regions[b]
        if ra["origin"] + ra["size"] > rb["origin"]:
            raise BoardError(f"{path}: regions[{b}] ({rb['name']}) at {rb['origin']:#x} overlaps "
                             f"regions[{a}] ({ra['name']}, {ra['origin']:#x}..{ra['origin'] + ra['size']:#x})")


def parse_board_fields(path: Path, d, core_names) -> dict:
    """All top-level fields of a board file, checked; the regions as dicts."""
    top = _Reader(path, d)
    core = top.text("core")
    if core not in core_names:
        top.fail(f"unknown core {core[:20]!r} (known: {', '.join(core_names)})", "core")
    regions = parse_regions(path, top._get("regions"))
    kinds = {r["name"]: r["kind"] for r in regions}
    code_region = top.text("code_region")
    if code_region not in kinds:
        top.fail(f"no region named {code_region[:40]!r}", "code_region")
    ram_regions = top.names("ram_regions")
    for name in ram_regions:
        if kinds.get(name) != "ram":
            top.fail(f"{name[:40]!r} is not a region of kind \"ram\"", "ram_regions")
    return dict(name=top.text("name", pattern=NAME), title=top.text("title"), core=core,
                clock_hz=top.integer("clock_hz", 1, MAX_CLOCK_HZ), regions=regions,
                code_region=code_region, ram_regions=tuple(ram_regions),
                caches=top.text("caches", default=""), source=top.text("source", default=""))
