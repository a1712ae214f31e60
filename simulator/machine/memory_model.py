"""The three memory models a user can pick, as what the cycle accounting charges.

- ``realistic`` (default): the board's caches as its vendor startup enables them
  (``[memory]`` in the board file), cold at reset; misses pay line fills, accesses no cache
  serves pay their region's wait states, unaligned accesses the core's penalty.
- ``ideal``: every access hits; no wait state, no penalty anywhere (the old ``--caches on``).
- ``uncached``: no cache; every access pays its region's wait states (the old ``--caches off``,
  plus the core's unaligned-access penalty, so that uncached >= realistic >= ideal).
"""
from __future__ import annotations

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


def memory_spec(board: Board, memory: str) -> MemorySpec | None:
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
    return MemorySpec(caches, tuple(ranges), ms.unaligned_load, ms.unaligned_store)


def describe(board: Board, memory: str) -> dict:
    """The model and the caches it simulates, for run and analysis JSON."""
    out = {"model": memory, "startup": board.memory.startup if memory == "realistic" else ""}
    out["caches"] = [c.to_dict() for c in board.memory.caches] if memory == "realistic" else []
    return out
