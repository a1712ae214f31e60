"""Boards and cores as data: one TOML file per board, ``cores.toml`` for the cores (cores.py).

A board names its core, clock and memory regions (each with wait states and the source of
its numbers). Only what a board describes is mapped in the emulator, so a stray access faults.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePath

from ..errors import BoardError, ConfigError
from ..escape import BOARD_NAME
from ..sizes import format_size, parse_size
from .cores import Core, get_core, load_cores, timed_cores  # noqa: F401 (the core loader)
from .memory import MemorySystem, parse_memory
from .parse import parse_board_fields, read_board_table

BOARD_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Region:
    name: str
    kind: str            # "flash" or "ram"
    origin: int
    size: int
    wait_states: int
    source: str

    @property
    def end(self) -> int:
        return self.origin + self.size

    def contains(self, addr: int) -> bool:
        return self.origin <= addr < self.end


@dataclass(frozen=True)
class Board:
    name: str
    title: str
    core: Core
    clock_hz: int
    regions: tuple[Region, ...]
    code_region: str
    ram_regions: tuple[str, ...]
    caches: str
    source: str
    path: str = field(default="", compare=False)
    memory: MemorySystem = field(default_factory=MemorySystem, compare=False)   # see memory.py

    def region(self, name: str) -> Region:
        for r in self.regions:
            if r.name == name:
                return r
        raise BoardError(f"board {self.name}: no region named {name!r}")

    def region_at(self, addr: int) -> Region | None:
        return next((r for r in self.regions if r.contains(addr)), None)

    @property
    def flash(self) -> Region:
        return self.region(self.code_region)

    @property
    def default_ram(self) -> Region:
        return self.region(self.ram_regions[0])

    def pick_ram_region(self, limit: int) -> Region:
        """The first RAM region, in the board's preference order, that can hold ``limit`` bytes."""
        for name in self.ram_regions:
            r = self.region(name)
            if r.size >= limit:
                return r
        biggest = max((self.region(n) for n in self.ram_regions), key=lambda r: r.size)
        raise ConfigError(
            f"--ram {format_size(limit)} does not fit board {self.name}: its largest RAM region "
            f"'{biggest.name}' has {format_size(biggest.size)}")


def _parse_board(path: Path) -> Board:
    """A board file, every key checked (boards/parse.py): a BoardError names the file and key."""
    cores = load_cores()
    table = read_board_table(path)
    f = parse_board_fields(path, table, list(cores))
    regions = tuple(Region(**r) for r in f.pop("regions"))
    board = Board(core=cores[f.pop("core")], regions=regions, path=str(path),
                  memory=parse_memory(str(path), table.get("memory"), regions), **f)
    _check_names(path, board)
    return board


def _check_names(path: Path, board: Board) -> None:
    """Board and region names reach the linker script, generated C and reports: only a plain
    identifier is accepted (they are escaped there too)."""
    names = [("board name", board.name)] + [("region name", r.name) for r in board.regions]
    for what, name in names:
        if not isinstance(name, str) or not BOARD_NAME.fullmatch(name):
            raise BoardError(f"{path}: {what} {str(name)[:80]!r} is not an identifier "
                             f"(letters, digits, '_', '.', '-'; at most 64 characters)")


@lru_cache(maxsize=None)
def _builtin_boards() -> dict[str, Board]:
    return {b.name: b for b in (_parse_board(p) for p in sorted(BOARD_DIR.glob("*.toml"))
                                 if p.name != "cores.toml")}


def list_boards() -> list[Board]:
    return list(_builtin_boards().values())


def get_board(name_or_path: str | Board) -> Board:
    """A board by name (``stm32h743``) or by path to a TOML description of the same form."""
    if isinstance(name_or_path, Board):
        return name_or_path
    if not isinstance(name_or_path, (str, PurePath)):
        raise ConfigError(f"board must be a board name or a path to a board .toml, got "
                          f"{type(name_or_path).__name__} {name_or_path!r}"[:160])
    boards = _builtin_boards()
    if name_or_path in boards:
        return boards[name_or_path]
    p = Path(name_or_path)
    if p.suffix == ".toml" and p.is_file():
        return _parse_board(p)
    raise ConfigError(f"unknown board {name_or_path!r}; known boards: {', '.join(sorted(boards))}")
