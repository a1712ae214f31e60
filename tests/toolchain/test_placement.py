"""Weights and arena placement in the generated linker script (simulator/toolchain/linker.py)."""
from __future__ import annotations

import dataclasses

import pytest

from simulator.boards import get_board
from simulator.errors import ConfigError
from simulator.toolchain.linker import check_placement, render_linker_script

H7 = get_board("stm32h743")
DTCM = H7.region("dtcm")


def test_default_placement_keeps_weights_in_flash_text_and_arena_in_bss():
    script = render_linker_script(H7, DTCM, 4096)
    text = script[script.index(".text :"):script.index(".ARM.extab")]
    assert "*(.ck_weights)" in text and "R_" not in script
    assert "*(.bss .bss.* COMMON)" in script       # .bss.ck_arena falls in .bss


def test_weights_in_the_data_ram_travel_in_data():
    script = render_linker_script(H7, DTCM, 4096, placement={"weights": "dtcm"})
    data = script[script.index(".data :"):script.index("__data_load")]
    assert "*(.ck_weights)" in data
    text = script[script.index(".text :"):script.index(".ARM.extab")]
    assert "ck_weights" not in text


def test_weights_and_arena_in_other_regions_get_their_own_sections():
    script = render_linker_script(H7, DTCM, 4096, placement={"weights": "axi_sram", "arena": "sram123"})
    assert "R_AXI_SRAM (rw)  : ORIGIN = 0x24000000" in script
    assert "R_SRAM123 (rw)  : ORIGIN = 0x30000000" in script
    assert ".ck_weights : ALIGN(4) { *(.ck_weights) . = ALIGN(4); } > R_AXI_SRAM AT > FLASH" in script
    assert ".ck_arena (NOLOAD) : ALIGN(16) { *(.bss.ck_arena) . = ALIGN(4); } > R_SRAM123" in script
    # the arena's own section comes before .bss, whose .bss.* would otherwise take it
    assert script.index(".ck_arena (NOLOAD)") < script.index(".bss (NOLOAD)")


def test_region_names_are_escaped_in_the_script():
    odd = dataclasses.replace(H7.region("axi_sram"), name="x*/y")
    board = dataclasses.replace(H7, regions=tuple(odd if r.name == "axi_sram" else r for r in H7.regions))
    script = render_linker_script(board, DTCM, 4096, placement={"weights": "x*/y"})
    assert "R_X__Y" in script and "x*/y" not in script


@pytest.mark.parametrize("placement, words", [
    ({"weights": "qspi"}, "has no region 'qspi'"),
    ({"arena": "flash"}, "read-only flash"),
    ({"stack": "dtcm"}, "only weights, arena can be placed"),
])
def test_bad_placements_are_config_errors(placement, words):
    with pytest.raises(ConfigError, match=words):
        check_placement(H7, DTCM, placement)


def test_weights_cannot_go_in_a_flash_that_is_not_the_code_region():
    rp = get_board("rp2040")
    with pytest.raises(ConfigError, match="region 'rom' of board rp2040 is read-only flash"):
        check_placement(rp, rp.region("sram"), {"weights": "rom"})
