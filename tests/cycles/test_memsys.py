"""The native cache (native/memsys.c) against the Python reference cache (RefCache), and both
against hand-worked LRU sequences."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.cycles import native
from simulator.cycles.memsys import CacheSpec, MemorySpec, NativeMemory, RangeSpec, RefCache, RefMemory


def _native(spec: CacheSpec) -> NativeMemory:
    return NativeMemory(native.library(), MemorySpec(caches=(spec,)))


def test_two_way_lru_evicts_the_least_recently_used_line():
    """One set (64 B, 2 ways, 32-B lines): A, B, A, C evicts B (used longer ago than A)."""
    spec = CacheSpec("t", sets=1, ways=2, line=32)
    a, b, c = 0x000, 0x100, 0x200
    want = [False, False, True, False, True, False]        # A B A C A B
    for cache in (RefCache(spec), _native(spec)):
        got = [cache.access(x) if isinstance(cache, RefCache) else cache.access(0, x)
               for x in (a, b, a, c, a, b)]
        assert got == want


def test_bytes_of_one_line_hit_and_sets_are_independent():
    spec = CacheSpec("t", sets=4, ways=1, line=16)
    ref, nat = RefCache(spec), _native(spec)
    seq = [0x00, 0x0F, 0x10, 0x1F, 0x40, 0x00]    # 0x40 maps to set 0 and evicts line 0
    want = [False, True, False, True, False, False]
    assert [ref.access(x) for x in seq] == want
    assert [nat.access(0, x) for x in seq] == want


def test_write_without_allocate_does_not_fill():
    spec = CacheSpec("t", sets=2, ways=2, line=32, write_back=False, write_allocate=False)
    for access in (RefCache(spec).access, lambda x, w=False, n=_native(spec): n.access(0, x, w)):
        assert access(0x40, True) is False
        assert access(0x40) is False          # the write did not bring the line in
        assert access(0x40) is True


geometry = st.tuples(st.sampled_from([1, 2, 4, 8, 64]), st.sampled_from([1, 2, 4]),
                     st.sampled_from([8, 16, 32]), st.booleans(), st.booleans())
streams = st.lists(st.tuples(st.integers(0, 1 << 14), st.booleans()), min_size=1, max_size=400)


@settings(max_examples=150, deadline=None)
@given(geometry, streams)
def test_native_and_reference_caches_agree_on_random_streams(geo, stream):
    sets, ways, line, write_back, write_allocate = geo
    spec = CacheSpec("t", sets, ways, line, write_back, write_allocate)
    ref, nat = RefCache(spec), _native(spec)
    got_ref = [ref.access(addr, write) for addr, write in stream]
    got_nat = [nat.access(0, addr, write) for addr, write in stream]
    assert got_nat == got_ref
    assert nat.counters()["writebacks"] == ref.writebacks


def _spec_two_ranges() -> MemorySpec:
    caches = (CacheSpec("i", 8, 2, 32), CacheSpec("d", 4, 4, 32, write_back=True, write_allocate=True))
    ranges = (RangeSpec("flash", 0x0800_0000, 1 << 20, icache=0, dcache=1, fill=10),
              RangeSpec("sram", 0x2000_0000, 1 << 16, read_wait=2, write_wait=1))
    return MemorySpec(caches, ranges, unaligned_load=(1, 1, 2), unaligned_store=(1, 1, 2))


accesses = st.lists(st.tuples(st.sampled_from(["fetch", "read", "write"]),
                              st.sampled_from([0x0800_0000, 0x2000_0000]),
                              st.integers(0, 4096), st.sampled_from([1, 2, 4, 20])), max_size=200)


@settings(max_examples=100, deadline=None)
@given(accesses)
def test_native_and_reference_memory_systems_charge_the_same(ops):
    """Fetches (a block's byte range) and data accesses through the whole memory system: the
    same stalls and counters in C (called here through ms_fetch and the hook) and in Python."""
    import ctypes
    spec = _spec_two_ranges()
    lib = native.library()
    nat, ref = NativeMemory(lib, spec), RefMemory(spec)
    lib.ms_mem_hook.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint64, ctypes.c_int,
                                ctypes.c_int64, ctypes.c_void_p]
    for kind, base, offset, size in ops:
        addr = base + offset
        if kind == "fetch":
            assert lib.ms_fetch(nat.st, addr, size) == ref.fetch(addr, size)
        else:
            size = min(size, 4) if size != 20 else 4
            lib.ms_mem_hook(None, 17 if kind == "write" else 16, addr, size, 0, nat.st)
            ref.data(addr, size, kind == "write")
    assert nat.counters() == ref.counters()


def test_the_memory_system_counts_what_happened():
    """Hand-worked: two fetches of one 40-byte block (two lines, cold then warm), one unaligned
    word read from SRAM (no cache: 2 wait states + 2 unaligned), one flash read miss then hit."""
    ref = RefMemory(_spec_two_ranges())
    assert ref.fetch(0x0800_0010, 40) == 20          # lines 0x..00 and 0x..20: two misses x 10
    assert ref.fetch(0x0800_0010, 40) == 0
    assert ref.data(0x2000_0001, 4, False) == 2 + 2
    assert ref.data(0x0800_1000, 4, False) == 10
    assert ref.data(0x0800_1004, 4, False) == 0
    c = ref.counters()
    assert (c["i_misses"], c["i_hits"], c["d_misses"], c["d_hits"]) == (2, 2, 1, 1)
    assert (c["i_stall"], c["d_stall"], c["unaligned"], c["unaligned_stall"]) == (20, 12, 1, 2)
    assert c["stall:flash"] == 30 and c["stall:sram"] == 2


@pytest.mark.parametrize("bad", [dict(sets=3), dict(ways=0), dict(line=24)])
def test_native_refuses_impossible_geometry(bad):
    spec = CacheSpec("t", **{**dict(sets=4, ways=2, line=32), **bad})
    with pytest.raises(ValueError):
        _native(spec)
