"""Board files are untrusted: every number and the structure are checked at load, and a bad file
is a BoardError naming the file and the key (simulator/boards/parse.py; issue 10, item 9)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from simulator.boards import BOARD_DIR, _parse_board, list_boards
from simulator.errors import BoardError
from simulator.fuzz.board_target import map_regions

BASE = (BOARD_DIR / "generic-m4.toml").read_text()
SRAM = "0x2000_0000"


def _board(tmp_path, text: str):
    path = tmp_path / "b.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("old, new, key", [
    (f"origin = {SRAM}", "origin = 0x0800_0000", "overlaps"),                       # on the flash
    (f"origin = {SRAM}", "origin = 0x2000_0001", "regions[1].origin"),             # unaligned
    ('size = "1M"', 'size = "4096M"', "regions[0].size"),
    ('size = "1M"', 'size = "1000"', "regions[0].size"),                           # not a page multiple
    (f"origin = {SRAM}", "origin = 0xDFFF_F000", "regions[1].size"),                # into system space
    ('ram_regions = ["sram"]', "ram_regions = []", "ram_regions"),
    ('ram_regions = ["sram"]', 'ram_regions = ["flash"]', "ram_regions"),
    ('ram_regions = ["sram"]', 'ram_regions = ["sram", "sram"]', "ram_regions"),
    ('code_region = "flash"', 'code_region = "nowhere"', "code_region"),
    ("clock_hz = 100_000_000", "clock_hz = 0", "clock_hz"),
    ("clock_hz = 100_000_000", "clock_hz = -5", "clock_hz"),
    ("clock_hz = 100_000_000", "clock_hz = 1.5e8", "clock_hz"),
    ("clock_hz = 100_000_000", 'clock_hz = "fast"', "clock_hz"),
    ("wait_states = 0", "wait_states = 4294967301", "regions[0].wait_states"),     # 2^32 + 5
    ("wait_states = 0", "wait_states = -1", "regions[0].wait_states"),
    ("wait_states = 0", "wait_states = true", "regions[0].wait_states"),
    ('kind = "ram"', 'kind = "rom"', "regions[1].kind"),
    ('name = "sram"', 'name = "flash"', "used twice"),
    ('name = "generic-m4"', 'name = "a*/\\n#include"', "name"),
    ('core = "m4"', 'core = ["m4"]', "core"),
])
def test_bad_value_is_a_board_error_naming_file_and_key(tmp_path, old, new, key):
    assert old in BASE, old
    path = _board(tmp_path, BASE.replace(old, new, 1))
    with pytest.raises(BoardError) as info:
        _parse_board(path)
    assert str(info.value).startswith(f"{path}: ") and key in str(info.value), str(info.value)


@pytest.mark.parametrize("text, words", [
    ("x = " + "[" * 10_000 + "]" * 10_000, "nested too deeply"),
    ("name = ", "malformed TOML"),
    ("# pad\n" * 20_000, "larger than"),
    ("regions = 5", "missing"),
    (BASE + '[[regions]]\nname = "r"\nkind = "ram"\norigin = 0\nsize = "1K"\n' * 70, "expected 1 to 64"),
])
def test_structure_is_checked(tmp_path, text, words):
    path = _board(tmp_path, text)
    with pytest.raises(BoardError, match=words):
        _parse_board(path)


def test_not_utf8_is_a_board_error(tmp_path):
    path = tmp_path / "b.toml"
    path.write_bytes(b"name = \"\xff\"\n")
    with pytest.raises(BoardError, match="not UTF-8"):
        _parse_board(path)


def test_every_bundled_board_loads_and_maps():
    boards = list_boards()
    assert len(boards) >= 8
    for b in boards:
        map_regions(b)                          # the oracle the fuzzer uses: unicorn accepts them


def test_cli_reports_a_bad_board_in_one_line(tmp_path):
    path = _board(tmp_path, BASE.replace('size = "1M"', 'size = "4096M"', 1))
    p = subprocess.run([sys.executable, "-m", "simulator.cli", "run", "x.c", "--board", str(path)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [f"mcusim: error: {path}: regions[0].size: 0x100000000 must be "
                                             "a multiple of 0x400 and at most 0x20000000"]
