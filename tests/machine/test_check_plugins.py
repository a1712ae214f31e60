"""The machine's checks are plug-ins (simulator/machine/stop.py): a check added to an emulator
is attached to its engine, may halt the run from a hook and describe its stop; site scans are
cached per image by the check that owns them; every fault the emulator or the native hook can
name has its own entry in faults.py's table."""
from __future__ import annotations

import pytest
from unicorn import UC_HOOK_CODE

from simulator import errors as E
from simulator.machine import Machine, emulator, faults
from simulator.machine.alignment import AlignmentCheck
from simulator.machine.checks import _FAULT_DETAIL
from simulator.machine.stop import Check, SiteCache, Stop

from .conftest import FIXTURES


@pytest.fixture(scope="module")
def fw():
    return Machine("stm32h743", ram="32K").build([FIXTURES / "faults.c"])


class _StopAtSymbol(Check):
    """Halts when ``symbol`` starts, and describes that stop as a HardFault of its own."""

    def __init__(self, address: int):
        self.address = address
        self.attached = 0

    def attach(self, emu) -> None:
        self.attached += 1
        emu.uc.hook_add(UC_HOOK_CODE, self._hit, emu, self.address, self.address)

    def _hit(self, uc, address, size, emu) -> None:
        emu.halt(Stop("fault", "plug-in", pc=address, registers=emu.registers()))

    def describe(self, emu, stop, located):
        return E.HardFault("stopped by the test's check", **located) if stop.detail == "plug-in" else None


def test_an_added_check_halts_the_run_and_describes_its_stop(fw):
    emu = fw.emulator()
    target = fw.symbol_address("read_word_at") & ~1
    check = _StopAtSymbol(target)
    emu.add_check(check)
    assert check.attached == 1 and emu.plugins[-1] is check
    stop = emu.run(target, fw.layout.stack_top, until=fw.symbol_address("__ck_call_return"), budget=10_000)
    assert (stop.kind, stop.detail, stop.pc) == ("fault", "plug-in", target)
    err = faults.fault_error(emu, stop)
    assert isinstance(err, E.HardFault) and str(err).startswith("stopped by the test's check")
    assert err.pc == target and err.location.startswith("read_word_at")


def test_the_first_halt_wins(fw):
    emu = fw.emulator()
    emu.halt(Stop("budget"))
    emu.halt(Stop("wfi"))
    assert emu.stop.kind == "budget"


def test_sites_are_scanned_once_per_image_by_their_check(fw, monkeypatch):
    scans = []
    cache = SiteCache(lambda image: scans.append(image) or [(0x1234, 0, 0, 4, False)])
    monkeypatch.setattr(AlignmentCheck, "sites", cache)
    first, second = fw.emulator(), fw.emulator()
    assert scans == [fw.image]
    assert first.checks.alignment_sites == second.checks.alignment_sites == [0x1234]
    assert not [a for a in vars(fw.image) if a.startswith("_mcusim")]     # nothing stored on the image


def test_every_fault_detail_has_its_own_description():
    named = set(emulator._EXCEPTION_DETAIL.values()) | set(_FAULT_DETAIL.values()) | {"memory", "unaligned"}
    assert named <= set(faults._BY_DETAIL)
    assert set(faults._BY_KIND) == {"budget", "wallclock", "output", "wfi", "breakpoint"}
