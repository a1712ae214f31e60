"""Board memory systems as data: every bundled board's table, and impossible ones refused at load."""
from __future__ import annotations

import pytest

from simulator.boards import get_board, list_boards
from simulator.boards.memory import parse_memory
from simulator.errors import BoardError

# (board, cache name) -> (size, ways, line, serves), as the vendors' manuals give them
PUBLISHED = {
    ("stm32h743", "icache"): (16384, 2, 32, ("instruction",)),
    ("stm32h743", "dcache"): (16384, 4, 32, ("data",)),
    ("stm32f746", "icache"): (4096, 2, 32, ("instruction",)),
    ("stm32f746", "dcache"): (4096, 4, 32, ("data",)),
    ("rp2040", "xip"): (16384, 2, 8, ("instruction", "data")),
}


def test_every_board_loads_with_a_memory_description():
    boards = list_boards()
    assert len(boards) >= 8
    for b in boards:
        ms = b.memory
        assert ms.startup, b.name
        for c in ms.caches:
            assert c.source and c.sets * c.ways * c.line == c.size
            assert all(r in ms.fills and ms.sources[f"fill:{r}"] for r in c.regions), (b.name, c.name)
        if ms.has_unaligned_penalty:
            assert ms.sources["unaligned"], b.name


@pytest.mark.parametrize("key", sorted(PUBLISHED))
def test_cache_geometry_matches_the_manuals(key):
    board, name = key
    cache = next(c for c in get_board(board).memory.caches if c.name == name)
    assert (cache.size, cache.ways, cache.line, cache.serves) == PUBLISHED[key]


def test_tcms_are_not_cached_and_flash_is():
    h7 = get_board("stm32h743").memory
    for tcm in ("itcm", "dtcm"):
        assert h7.cache_for(tcm, "instruction") is None and h7.cache_for(tcm, "data") is None
    assert h7.cache_for("flash", "instruction").name == "icache"
    assert h7.cache_for("flash", "data").name == "dcache"
    nrf = get_board("nrf52840").memory
    assert nrf.cache_for("flash", "instruction") is not None and nrf.cache_for("flash", "data") is None


def test_m7_unaligned_loads_cost_and_m0plus_has_no_penalty():
    assert get_board("stm32h743").memory.unaligned_load == (3, 3, 3)
    assert get_board("nrf52840").memory.unaligned_load == (1, 1, 2)
    assert not get_board("rp2040").memory.has_unaligned_penalty


BASE = """
name = "odd"
title = "a board with a memory system"
core = "m7"
clock_hz = 100_000_000
code_region = "flash"
ram_regions = ["sram"]

[[regions]]
name = "flash"
kind = "flash"
origin = 0x0800_0000
size = "64K"

[[regions]]
name = "sram"
kind = "ram"
origin = 0x2000_0000
size = "64K"

[memory]
startup = "test"
"""

CACHE = """
[[memory.caches]]
name = "dcache"
serves = ["data"]
size = "{size}"
ways = {ways}
line = {line}
regions = [{regions}]
{extra}
"""
FILL = """
[[memory.fills]]
region = "{region}"
cycles = 4
"""


def _board(tmp_path, body: str):
    path = tmp_path / "odd.toml"
    path.write_text(BASE + body)
    return get_board(str(path))


def _cache(size="4K", ways=4, line=32, regions='"flash"', extra=""):
    return CACHE.format(size=size, ways=ways, line=line, regions=regions, extra=extra)


def test_a_sound_description_loads(tmp_path):
    b = _board(tmp_path, _cache() + FILL.format(region="flash"))
    assert b.memory.caches[0].sets == 32 and b.memory.fills == {"flash": 4}


@pytest.mark.parametrize("body, words", [
    (_cache(ways=0) + FILL.format(region="flash"), "0 ways"),
    (_cache(line=24) + FILL.format(region="flash"), "not a power of two"),
    (_cache(size="128K") + FILL.format(region="flash"), "larger than the 65536 B"),
    (_cache(size="3K") + FILL.format(region="flash"), "power-of-two number of sets"),
    (_cache(regions='"qspi"') + FILL.format(region="flash"), "unknown region"),
    (_cache(), "no line-fill cost"),
    (_cache() + FILL.format(region="nowhere"), "unknown region 'nowhere'"),
    (_cache(extra='replacement = "random"') + FILL.format(region="flash"), "not modelled"),
    (_cache().replace('serves = ["data"]', 'serves = ["data", "dma"]'), "serves must list"),
    (_cache() + _cache().replace('"dcache"', '"other"') + FILL.format(region="flash"), "served by two caches"),
    (FILL.format(region="flash") + '[memory.unaligned]\nload = [1, 2]\n', "three cycle counts"),
])
def test_impossible_memory_systems_are_a_named_board_error(tmp_path, body, words):
    with pytest.raises(BoardError, match="odd.toml") as err:
        _board(tmp_path, body)
    assert words in str(err.value)


def test_a_board_without_a_memory_table_has_no_caches():
    ms = parse_memory("x.toml", None, [])
    assert ms.caches == () and not ms.has_unaligned_penalty
