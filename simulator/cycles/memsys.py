"""The memory system as the cycle accounting sees it: a plain spec, and its two simulators.

:class:`MemorySpec` is what a board's memory description becomes for one memory model
(``simulator/machine/memory_model.py`` builds it): caches by geometry, and per address range
which cache serves its instruction fetches and data accesses, the cycles one line fill costs,
and the wait states of an access no cache serves. :class:`NativeMemory` simulates it in C
(``native/memsys.c``), :class:`RefMemory` in Python (slow, the oracle: same LRU policy, same
counters, used by ``PyAccounting``).
"""
from __future__ import annotations

import ctypes
from dataclasses import dataclass

from unicorn import UC_HOOK_MEM_READ, UC_HOOK_MEM_WRITE

COUNTERS = ("i_hits", "i_misses", "d_hits", "d_misses", "i_stall", "d_stall", "writebacks",
            "unaligned", "unaligned_stall")


@dataclass(frozen=True)
class CacheSpec:
    name: str
    sets: int
    ways: int
    line: int
    write_back: bool = False
    write_allocate: bool = False


@dataclass(frozen=True)
class RangeSpec:
    name: str
    start: int
    size: int
    icache: int = -1          # index into MemorySpec.caches, -1 = none
    dcache: int = -1
    fill: int = 0             # cycles per line fill
    read_wait: int = 0        # per data access where no D-cache serves the range
    write_wait: int = 0

    @property
    def end(self) -> int:
        return self.start + self.size


@dataclass(frozen=True)
class MemorySpec:
    caches: tuple[CacheSpec, ...] = ()
    ranges: tuple[RangeSpec, ...] = ()
    unaligned_load: tuple[int, int, int] = (0, 0, 0)
    unaligned_store: tuple[int, int, int] = (0, 0, 0)

    def hooked_ranges(self) -> list[RangeSpec]:
        """Ranges whose data accesses need the hook: those behind a data cache or with wait
        states. The others keep Unicorn's fast path, and their unaligned accesses are not
        charged: covering every range only for the unaligned penalty cost ~20 % of run time
        for ~0.7 % of the cycles, and unicorn 2.1.4 mis-executes some code (a BL that starts
        its callee at the second instruction) once read hooks cover both the code region and
        the stack's RAM (tests/machine/test_unicorn_defects.py; docs/cycle-model.md)."""
        return [r for r in self.ranges if r.dcache >= 0 or r.read_wait or r.write_wait]

    @property
    def empty(self) -> bool:
        return not self.caches and not self.hooked_ranges()


def unaligned_cost(table, address: int, size: int) -> int:
    """Mirror of unaligned_cost() in memsys.c: [halfword, word at +2, word at +1/+3]."""
    if size == 2:
        return table[0] if address & 1 else 0
    if size == 4:
        off = address & 3
        return 0 if off == 0 else table[1] if off == 2 else table[2]
    return 0


class RefCache:
    """A set-associative LRU cache in plain Python: the definition memsys.c is tested against."""

    def __init__(self, spec: CacheSpec):
        self.spec = spec
        self.shift = spec.line.bit_length() - 1
        self.sets: list[list[int]] = [[] for _ in range(spec.sets)]   # most recent last
        self.dirty: set[int] = set()
        self.writebacks = 0

    def access(self, address: int, write: bool = False) -> bool:
        """True on a hit. A miss allocates the line (evicting the least recently used way),
        except a write miss without write-allocate."""
        line = address >> self.shift
        ways = self.sets[line & (self.spec.sets - 1)]
        if line in ways:
            ways.remove(line)
            ways.append(line)
            if write and self.spec.write_back:
                self.dirty.add(line)
            return True
        if write and not self.spec.write_allocate:
            return False
        if len(ways) == self.spec.ways:
            victim = ways.pop(0)
            if victim in self.dirty:
                self.dirty.discard(victim)
                self.writebacks += 1
        ways.append(line)
        if write and self.spec.write_back:
            self.dirty.add(line)
        return False


class RefMemory:
    """The memory system in Python, for ``PyAccounting``: mirrors ms_fetch / ms_mem_hook."""

    def __init__(self, spec: MemorySpec):
        self.spec = spec
        self.reset()

    def reset(self) -> None:
        self.caches = [RefCache(c) for c in self.spec.caches]
        self.c = dict.fromkeys(COUNTERS, 0)
        self.stalls = dict.fromkeys((r.name for r in self.spec.ranges), 0)

    def _range(self, address: int) -> RangeSpec | None:
        return next((r for r in self.spec.ranges if r.start <= address < r.end), None)

    def fetch(self, address: int, size: int) -> int:
        r = self._range(address)
        if not size or r is None or r.icache < 0:
            return 0
        cache = self.caches[r.icache]
        stall = 0
        for line in range(address >> cache.shift, ((address + size - 1) >> cache.shift) + 1):
            if cache.access(line << cache.shift):
                self.c["i_hits"] += 1
            else:
                self.c["i_misses"] += 1
                stall += r.fill
        self.c["i_stall"] += stall
        self.stalls[r.name] += stall
        return stall

    def data(self, address: int, size: int, write: bool) -> int:
        stall = unaligned_cost(self.spec.unaligned_store if write else self.spec.unaligned_load, address, size)
        if stall:
            self.c["unaligned"] += 1
            self.c["unaligned_stall"] += stall
        r = self._range(address)
        if r is not None:
            wait = 0
            if r.dcache >= 0:
                cache = self.caches[r.dcache]
                for line in range(address >> cache.shift, ((address + max(size, 1) - 1) >> cache.shift) + 1):
                    if cache.access(line << cache.shift, write):
                        self.c["d_hits"] += 1
                    else:
                        self.c["d_misses"] += 1
                        if not write or cache.spec.write_allocate:
                            wait += r.fill
            else:
                wait = r.write_wait if write else r.read_wait
            self.c["d_stall"] += wait
            self.stalls[r.name] += wait
            stall += wait
        return stall

    def counters(self) -> dict:
        out = dict(self.c)
        out["writebacks"] = sum(c.writebacks for c in self.caches)
        out.update({f"stall:{name}": v for name, v in self.stalls.items()})
        return out


class MemCounters(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in COUNTERS]


class NativeMemory:
    """The memory system in C (native/memsys.c), charged into a native :class:`Accounting`."""

    def __init__(self, lib, spec: MemorySpec):
        self.lib = lib
        self.spec = spec
        _prototypes(lib)
        self.st = lib.ms_new()
        if not self.st:
            raise MemoryError("memsys: cannot allocate its state")
        self._c = ctypes.cast(self.st, ctypes.POINTER(MemCounters)).contents
        for c in spec.caches:
            if lib.ms_add_cache(self.st, c.sets, c.ways, c.line, int(c.write_back), int(c.write_allocate)) < 0:
                raise ValueError(f"memsys: cannot build cache {c}")
        for r in spec.ranges:
            if lib.ms_add_region(self.st, r.start, r.size, r.icache, r.dcache, r.fill, r.read_wait, r.write_wait):
                raise ValueError("memsys: too many memory regions")
        lib.ms_set_unaligned(self.st, *spec.unaligned_load, *spec.unaligned_store)

    def free(self) -> None:
        if self.st:
            self._c = MemCounters.from_buffer_copy(self._c)     # keep the last counts readable
            self.lib.ms_free(self.st)
            self.st = None

    def reset(self) -> None:
        self.lib.ms_reset(self.st)

    def access(self, cache: int, address: int, write: bool = False) -> bool:
        """One access to cache ``cache`` that charges nothing (for tests against RefCache)."""
        return self.lib.ms_access(self.st, cache, address, int(write)) == 1

    def counters(self) -> dict:
        """COUNTERS, plus ``stall:<range>``: stall cycles spent on each memory range."""
        out = {name: getattr(self._c, name) for name in COUNTERS}
        if self.st:
            n = len(self.spec.ranges)
            buf = (ctypes.c_uint64 * max(n, 1))()
            self.lib.ms_region_stalls(self.st, buf, n)
            self._stalls = list(buf[:n])
        out.update({f"stall:{r.name}": v for r, v in zip(self.spec.ranges, getattr(self, "_stalls", ()))})
        return out


_DONE: set[int] = set()


def _prototypes(lib) -> None:
    if id(lib) in _DONE:
        return
    vp, u64, u32, i32 = ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint32, ctypes.c_int32
    lib.ms_new.restype = vp
    lib.ms_new.argtypes = []
    lib.ms_free.argtypes = [vp]
    lib.ms_add_cache.argtypes = [vp, u32, u32, u32, i32, i32]
    lib.ms_add_cache.restype = ctypes.c_int
    lib.ms_add_region.argtypes = [vp, u64, u64, i32, i32, i32, i32, i32]
    lib.ms_add_region.restype = ctypes.c_int
    lib.ms_set_unaligned.argtypes = [vp] + [i32] * 6
    lib.ms_set_accounting.argtypes = [vp, vp]
    lib.ms_reset.argtypes = [vp]
    lib.ms_access.argtypes = [vp, i32, u64, i32]
    lib.ms_access.restype = ctypes.c_int
    lib.ms_region_stalls.argtypes = [vp, ctypes.POINTER(u64), u32]
    lib.ms_region_stalls.restype = u32
    lib.mc_set_memsys.argtypes = [vp, vp]
    lib.ms_fetch.argtypes = [vp, u64, u32]
    lib.ms_fetch.restype = u64
    _DONE.add(id(lib))


HOOK_DATA = UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE
__all__ = ["CacheSpec", "RangeSpec", "MemorySpec", "RefCache", "RefMemory", "NativeMemory", "COUNTERS",
           "HOOK_DATA", "unaligned_cost"]
