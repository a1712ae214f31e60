"""Which accesses need an alignment check (simulator/machine/alignment.py function_sites).

A site right after another is left out only when the first proves it aligned; each case
below breaks one condition of that proof and must keep both sites.
"""
import pytest

from simulator.cycles.testing import assemble
from simulator.machine.alignment import _disassembler, function_sites


def _sites(asm: str) -> list[int]:
    code = assemble(asm, "m7")
    insns = list(_disassembler().disasm(code, 0x1000))
    return [s[0] - 0x1000 for s in function_sites(insns)]


def test_same_base_congruent_offsets_need_one_check():
    assert _sites("ldrd r0, r1, [r2]\n ldrd r4, r5, [r2, #8]\n bx lr") == [0]
    assert _sites("strd r0, r1, [r2, #4]\n strd r4, r5, [r2, #12]\n bx lr") == [0]


@pytest.mark.parametrize("asm", [
    "ldrd r0, r1, [r2]\n ldrd r4, r5, [r3, #8]\n bx lr",             # other base
    "ldrd r2, r3, [r2]\n ldrd r4, r5, [r2, #8]\n bx lr",             # the first loads the base
    "ldrd r0, r1, [r2], #8\n ldrd r4, r5, [r2]\n bx lr",             # writeback moves the base
    "ldm r2!, {r0, r1}\n ldrd r4, r5, [r2]\n bx lr",                 # LDM writeback
    "ldrd r0, r1, [r2]\n b 1f\n1: ldrd r4, r5, [r2, #8]\n bx lr",    # not adjacent
    "cmp r0, #0\n beq 1f\n ldrd r0, r1, [r2]\n1: ldrd r4, r5, [r2, #8]\n bx lr",   # B is a branch target
    "cmp r0, #0\n it eq\n ldrdeq r0, r1, [r2]\n ldrd r4, r5, [r2, #8]\n bx lr",    # A predicated
    "ldrd r0, r1, [r2]\n ldrd r4, r5, [r2, #8]\n tbb [pc, r0]\n bx lr",           # computed branch
])
def test_unproven_pairs_keep_both_checks(asm):
    assert len(_sites(asm)) == 2, asm


def test_sp_based_accesses_are_never_sites():
    assert _sites("ldrd r0, r1, [sp, #8]\n ldm sp, {r0, r1}\n bx lr") == []


def test_predicated_accesses_are_sites():
    # capstone spells them "ldrdeq"/"ldmne.w": the site list must look past the condition
    assert _sites("cmp r0, #0\n ite eq\n ldrdeq r0, r1, [r2]\n ldmne r3, {r0, r1}\n bx lr") == [4, 8]


@pytest.mark.parametrize("board", ["stm32h743", "nrf52840"])
def test_hooking_sites_on_first_run_changes_no_count(monkeypatch, board):
    """A block holding a site is stopped before its first run, retranslated with the hook and
    resumed (machine/checks.py): it must be counted once, as without checks."""
    from simulator.machine import Machine
    from simulator.machine.alignment import AlignmentCheck
    from simulator.machine.checks import NativeChecks
    from simulator.machine.divzero import DivideCheck
    from tests.machine.conftest import FIXTURES
    fw = Machine(board, ram="32K").build([FIXTURES / "faults.c"])
    with_checks = [fw.call(f, 0x20001000) for f in ("read_dword_at", "read_multiple_at")]
    assert all(r.value == 0 for r in with_checks)
    for check in (NativeChecks, AlignmentCheck, DivideCheck):     # the native hook and its sites off
        monkeypatch.setattr(check, "attach", lambda self, emu: None)
    without = [fw.call(f, 0x20001000) for f in ("read_dword_at", "read_multiple_at")]
    assert [(r.cycles, r.instructions) for r in with_checks] == [(r.cycles, r.instructions) for r in without]
