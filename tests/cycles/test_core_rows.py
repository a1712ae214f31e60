"""A core is one row of simulator/boards/cores.toml: every consumer reads it from the loader.

Oracles: the CPUID layout of the Armv6-M/v7-M/v8-M ARM (B3.2.3: implementer 0x41 = Arm, bits
[19:16] 0xF architecture constant on v7/v8, 0xC on v6-M; part number per core from each TRM),
the flags the compiler drivers were given before the row set existed, and the files on disk.
"""
from __future__ import annotations

import pytest

from simulator.boards import get_board
from simulator.boards.cores import get_core, load_cores, timed_cores
from simulator.cycles import validation
from simulator.cycles.debugregs import CPUID
from simulator.cycles.table import TABLE_DIR, canonical_core, load_table
from simulator.cycles.testing import run_snippet
from simulator.errors import ConfigError, NoTimingTable

# part numbers, CPUID[15:4]: M0 DDI 0432C, M0+ DDI 0484C, M3 DDI 0337I, M4 DDI 0439B,
# M7 DDI 0489F, M33 100230
PART = {"m0": 0xC20, "m0plus": 0xC60, "m3": 0xC23, "m4": 0xC24, "m7": 0xC27, "m33": 0xD21}
# the flags hard-coded in cores.toml before fpu/cpu became the row's facts (derived now)
GCC_FLAGS = {
    "m0plus": ("-mcpu=cortex-m0plus", "-mthumb", "-mfloat-abi=soft"),
    "m0": ("-mcpu=cortex-m0", "-mthumb", "-mfloat-abi=soft"),
    "m3": ("-mcpu=cortex-m3", "-mthumb", "-mfloat-abi=soft"),
    "m4": ("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"),
    "m7": ("-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"),
    "m33": ("-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"),
}


def test_every_core_has_a_cited_cpuid_of_its_part():
    assert set(load_cores()) == set(PART)
    for name, core in load_cores().items():
        assert core.cpuid >> 24 == 0x41, name
        assert (core.cpuid >> 4) & 0xFFF == PART[name], name
        assert (core.cpuid >> 16) & 0xF == (0xC if core.arch == "armv6-m" else 0xF), name
        assert "TRM" in core.cpuid_source, name


def test_derived_compiler_flags_are_the_former_literal_ones():
    for name, core in load_cores().items():
        assert core.gcc_flags == GCC_FLAGS[name], name
        assert core.zig_target == ("thumb-freestanding-eabihf" if core.has_fpu else "thumb-freestanding-eabi")


def test_aliases_resolve_to_their_core_and_its_table():
    for name, core in load_cores().items():
        for spelling in (name, *core.aliases, f"  {name.upper()} "):
            assert get_core(spelling) is core
            if core.timing_table:
                assert canonical_core(spelling) == core.timing_table
    with pytest.raises(ConfigError, match="no timing table for core 'm5'"):
        canonical_core("m5")


def test_every_timed_core_has_its_table_and_validation_files():
    assert validation.CORES == ("m7", "m4", "m0plus", "m33")      # the published tables' order
    for name in timed_cores():
        table = load_cores()[name].timing_table
        assert (TABLE_DIR / f"{table}.toml").is_file()
        assert (TABLE_DIR.parent / "validation" / f"{table}.toml").is_file()
        assert load_table(name).name == table
        assert get_core(load_table(name).core).name == name              # the table's own label agrees
        assert validation.load_table(name)[1][0].core == name


@pytest.mark.parametrize("name", ["m0", "m3", "cortex-m3"])
def test_untimed_cores_are_refused_by_name(name):
    with pytest.raises(NoTimingTable) as err:
        load_table(name)
    core = get_core(name)
    assert err.value.core == core.name
    assert core.title in str(err.value) and "does not fit" in str(err.value)


def test_firmware_reads_its_cores_cpuid():
    for board, core in (("generic-m7", "m7"), ("generic-m0plus", "m0plus")):
        assert get_board(board).core.name == core
        code = bytes.fromhex("0148" "0068" "00be" "00bf") + CPUID.to_bytes(4, "little")   # ldr r0,=CPUID; ldr r0,[r0]; bkpt
        _, uc = run_snippet(code, core, debug_registers=True)
        from unicorn.arm_const import UC_ARM_REG_R0
        assert uc.reg_read(UC_ARM_REG_R0) == load_cores()[core].cpuid
