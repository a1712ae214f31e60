"""The three memory models a user can pick, as what the cycle accounting charges.

- ``realistic`` (default): the board's caches as its vendor startup enables them
  (``[memory]`` in the board file), cold at reset; misses pay line fills, accesses no cache
  serves pay their region's wait states, unaligned accesses the core's penalty.
- ``ideal``: every access hits; no wait state anywhere (the old ``--caches on``).
- ``uncached``: no cache; every access pays its region's wait states (the old ``--caches off``).
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
    """Regions with the wait states the accounting itself charges: per fetch chunk in the
    static block cost, and per data access in its flat wait hook. Under ``realistic`` the
    memory system charges data accesses; the static cost keeps only the fetch waits of code
    regions no instruction cache serves."""
    out = []
    for r in board.regions:
        w = r.wait_states
        if memory == "ideal":
            fetch = data = 0
        elif memory == "uncached":
            fetch = data = w
        else:
            fetch, data = (0 if board.memory.cache_for(r.name, "instruction") else w), 0
        out.append({"name": r.name, "start": r.origin, "size": r.size, "read_wait": data,
                    "write_wait": data if r.kind == "ram" else 0, "fetch_wait": fetch})
    return out


def memory_spec(board: Board, memory: str) -> MemorySpec | None:
    """What the memory system simulates under ``memory`` (None: nothing, the accounting's
    own wait states are the whole model)."""
    if check_model(memory) != "realistic":
        return None
    ms = board.memory
    caches = tuple(CacheSpec(c.name, c.sets, c.ways, c.line, c.write_policy == "write-back", c.write_allocate)
                   for c in ms.caches)
    index = {c.name: i for i, c in enumerate(ms.caches)}
    ranges = []
    for r in board.regions:
        ic, dc = ms.cache_for(r.name, "instruction"), ms.cache_for(r.name, "data")
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
