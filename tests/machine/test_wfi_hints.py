"""WFI, WFE, YIELD and SEV have defined semantics on every core (issue 10, item 8).

WFE/YIELD/SEV are hints and execute as NOPs: the code after them runs (unicorn used to end
the run on WFE/YIELD, blaming the next instruction). WFI waits for an interrupt that mcusim
never delivers, so it ends the run as WaitForInterrupt at the WFI (it used to end it silently,
as if main() had returned).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simulator.errors import WaitForInterrupt
from simulator.machine import Machine

from .conftest import FIXTURES

REPO = Path(__file__).resolve().parents[2]
# M0+ (ARMv6-M), M4 (ARMv7E-M), M7 (ARMv7E-M, dual issue), M33 (ARMv8-M Mainline)
HINT_BOARDS = ["rp2040", "nrf52840", "stm32h743", "generic-m33"]


@pytest.fixture(scope="module", params=HINT_BOARDS)
def fw(request):
    m = Machine(request.param, ram="32K", max_instructions=1_000_000)
    return m.build([FIXTURES / "hints.c", FIXTURES / "wfi_nosize.S"])


@pytest.mark.parametrize("fn, value", [("after_wfe", 12), ("after_yield", 13), ("after_sev", 14)])
def test_wfe_yield_sev_run_as_nops(fw, fn, value):
    r = fw.call(fn, 10)
    assert r.value == value                  # the code after the hint ran
    assert r.instructions < 20


def test_sev_wfe_yield_loop_completes(fw):
    r = fw.call("sev_wfe_loop", 50)
    assert r.value == 50
    assert r.instructions >= 50 * 3          # the hints themselves are counted as instructions


def test_wfi_in_a_call_is_a_located_wait_for_interrupt(fw):
    with pytest.raises(WaitForInterrupt) as exc:
        fw.call("sleeps", 10)
    err = exc.value
    assert err.location.startswith("sleeps+0x") and "hints.c:" in err.location
    assert "WFI in sleeps" in str(err) and "delivers none" in str(err)
    assert any(line.startswith("=>") and "wfi" in line for line in err.disassembly)
    assert err.pc is not None and err.registers["pc"] == err.pc


def test_wfi_in_main_ends_the_run_with_what_it_printed(fw):
    with pytest.raises(WaitForInterrupt) as exc:
        fw.run()
    assert exc.value.stdout == "before\n"            # "after" never printed, and not exit 0
    assert "WFI in main" in str(exc.value)


def test_wfi_outside_any_sized_function_is_still_named(fw):
    with pytest.raises(WaitForInterrupt) as exc:
        fw.call("bare_wfi", 1)
    err = exc.value
    assert err.pc == fw.symbol_address("bare_wfi") + 2          # the WFI, not the PC after it
    assert "wfi_nosize.S:10" in err.location


def test_cli_run_exits_3_not_0(tmp_path):
    p = subprocess.run([sys.executable, "-m", "simulator.cli", "run", str(FIXTURES / "hints.c"),
                        "--board", "rp2040"], capture_output=True, text=True, timeout=300,
                       cwd=REPO)
    assert p.returncode == 3, (p.returncode, p.stderr)
    assert p.stderr.startswith("mcusim: error: WFI in main")
    assert "Traceback" not in p.stderr
