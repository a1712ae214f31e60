"""The three memory models a user can pick, as what the cycle accounting charges.

- ``realistic`` (default): the board's caches as its vendor startup enables them
  (``[memory]`` in the board file), cold at reset; misses pay line fills, accesses no cache
  serves pay their region's wait states, unaligned accesses the core's penalty.
- ``ideal``: every access hits; no wait state, no penalty anywhere (the old ``--caches on``).
- ``uncached``: no cache; every access pays its region's wait states (the old ``--caches off``,
  plus the core's unaligned-access penalty, so that uncached >= realistic >= ideal).
"""
from __future__ import annotations

import dataclasses

from ..boards import Board
from ..cycles.memsys import CacheSpec, MemorySpec, RangeSpec
from ..errors import ConfigError

MODELS = ("realistic", "ideal", "uncached")
DEFAULT_MODEL = "realistic"
CACHES_ALIASES = {"on": "ideal", "off": "uncached"}     # the deprecated --caches on|off


def check_model(memory: str) -> str:
    if memory not in MODELS:
        raise ConfigError(f"unknown memory model {memory!r}; choose one of {', '.join(MODELS)}")
    return memory


def from_caches_flag(caches: bool | str) -> str:
    """The memory model the deprecated ``caches`` option meant."""
    if isinstance(caches, str):
        if caches not in CACHES_ALIASES:
            raise ConfigError(f"--caches {caches!r}: use on or off (deprecated: use --memory)")
        return CACHES_ALIASES[caches]
    return "ideal" if caches else "uncached"


def accounting_regions(board: Board, memory: str) -> list[dict]:
    """Regions with the fetch wait states the accounting's static block cost charges (per fetch
    chunk). Data-access time is the memory system's (:func:`memory_spec`), so no data waits here.
    ``ideal``: none; ``uncached``: every region's; ``realistic``: only code regions that no
    instruction cache serves."""
    out = []
    for r in board.regions:
        if memory == "ideal":
            fetch = 0
        elif memory == "uncached":
            fetch = r.wait_states
        else:
            fetch = 0 if board.memory.cache_for(r.name, "instruction") else r.wait_states
        out.append({"name": r.name, "start": r.origin, "size": r.size, "read_wait": 0,
                    "write_wait": 0, "fetch_wait": fetch})
    return out


def memory_spec(board: Board, memory: str, stack_region: str | None = None) -> MemorySpec | None:
    """What the memory system simulates under ``memory`` (None: nothing).

    ``realistic``: the board's caches; an access no cache serves pays its region's wait states.
    ``uncached``: no cache; every data access pays its region's wait states. Both charge the
    core's unaligned-access penalty (a cost of the access, not of a cache), ``ideal`` nothing."""
    if check_model(memory) == "ideal":
        return None
    ms = board.memory
    cached = memory == "realistic"
    caches = tuple(CacheSpec(c.name, c.sets, c.ways, c.line, c.write_policy == "write-back", c.write_allocate)
                   for c in ms.caches) if cached else ()
    index = {c.name: i for i, c in enumerate(ms.caches)}
    ranges = []
    for r in board.regions:
        ic = ms.cache_for(r.name, "instruction") if cached else None
        dc = ms.cache_for(r.name, "data") if cached else None
        ranges.append(RangeSpec(r.name, r.origin, r.size, icache=index[ic.name] if ic else -1,
                                dcache=index[dc.name] if dc else -1, fill=ms.fills.get(r.name, 0),
                                read_wait=0 if dc else r.wait_states,
                                write_wait=0 if dc or r.kind != "ram" else r.wait_states))
    return MemorySpec(caches, tuple(_spare_the_stack(ranges, board, stack_region)),
                      ms.unaligned_load, ms.unaligned_store)


def _spare_the_stack(ranges: list[RangeSpec], board: Board, stack_region: str | None) -> list[RangeSpec]:
    """unicorn 2.1.4 mis-executes calls once data-read hooks cover both the code region and the
    RAM holding the stack (docs/cycle-model.md, "Known problems"; reproduced by
    tests/machine/test_unicorn_defects.py). When both would be hooked, the stack's region keeps
    Unicorn's fast path: its data accesses are charged as cache hits (no wait states), a
    documented optimism, never a wrong execution."""
    def hooked(r: RangeSpec) -> bool:
        return r.dcache >= 0 or bool(r.read_wait) or bool(r.write_wait)
    code = next((r for r in ranges if r.name == board.code_region), None)
    if stack_region is None or code is None or not hooked(code) or stack_region == board.code_region:
        return ranges
    return [dataclasses.replace(r, dcache=-1, read_wait=0, write_wait=0) if r.name == stack_region and hooked(r)
            else r for r in ranges]


def describe(board: Board, memory: str) -> dict:
    """The model and the caches it simulates, for run and analysis JSON."""
    out = {"model": memory, "startup": board.memory.startup if memory == "realistic" else ""}
    out["caches"] = [c.to_dict() for c in board.memory.caches] if memory == "realistic" else []
    return out
