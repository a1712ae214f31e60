"""Firmware that goes wrong: each way is a typed error with symbol and source line, and
``mcusim run`` exits non-zero with one message and no traceback.

Covers running off a buffer past the RAM limit, a store to unmapped memory, stack overflow,
a runaway loop, unaligned access on M0+, divide by zero with and without CCR.DIV_0_TRP
(simulator/machine/divzero.py), and a kernel writing past its output into the neighbouring
bytes (canary guards, simulator/guards.py).
"""
from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from simulator.errors import DivideByZero
from simulator.guards import GUARD_BYTES, BufferOverrun, Guarded, canary
from simulator.machine import Machine
from simulator.machine.divzero import divide_sites, is_divide

from .conftest import FIXTURES

BAD = FIXTURES / "bad.c"
DIVZERO = FIXTURES / "divzero.c"


def mcusim(*args):
    return subprocess.run([sys.executable, "-m", "simulator.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def line_of(path, snippet: str) -> int:
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if snippet in line:
            return n
    raise AssertionError(f"{snippet!r} not in {path}")


def assert_one_error(p, kind: str, function: str, line: int, file: str = "bad.c") -> str:
    """Exit status 3, one 'mcusim: error:' message naming the fault, function and line."""
    assert p.returncode == 3, p.stderr
    assert "Traceback" not in p.stderr
    heads = [ln for ln in p.stderr.splitlines() if ln.startswith("mcusim:")]
    assert len(heads) == 1, p.stderr
    head = heads[0]
    assert head.startswith(f"mcusim: error: {kind}"), head
    assert re.search(rf" at {function}\+0x[0-9a-f]+ \({file}:{line}\)$", head), head
    assert "=>" in p.stderr            # the faulting instruction, disassembled
    return head


CLI_CASES = [  # (FAULT, board, extra args, message start, function, line snippet, also in message)
    (1, "stm32h743", [], "invalid memory access: write of 4 bytes at 0x20008000", "fill_past_the_end",
     "((volatile uint32_t *)p)[i] = i;", "past the RAM limit (32 KB ends at 0x20008000)"),
    (2, "stm32h743", [], "invalid memory access: write of 4 bytes at 0x60000000", "poke_unmapped",
     "0x60000000u = 1", "not mapped by board stm32h743"),
    (3, "stm32h743", ["--stack", "2K"], "stack overflow in deep", "deep", "frame[n & 63] =", "2 KB"),
    (4, "stm32h743", ["--max-instructions", "100000"], "instruction budget exceeded", "runaway",
     "sink++", "100,000"),
    (5, "rp2040", [], "unaligned access by 'ldr", "load_unaligned", "(p + 1)", "Cortex-M0+"),
    (6, "stm32h743", [], "integer divide by zero with CCR.DIV_0_TRP set", "divide_by", "1000 / d", ""),
    (6, "generic-m4", [], "integer divide by zero with CCR.DIV_0_TRP set", "divide_by", "1000 / d", ""),
]


@pytest.mark.parametrize("fault,board,extra,kind,function,snippet,detail", CLI_CASES,
                         ids=[f"{c[0]}-{c[4]}-{c[1]}" for c in CLI_CASES])
def test_cli_reports_the_fault_once(fault, board, extra, kind, function, snippet, detail):
    p = mcusim("run", BAD, "--board", board, "--ram", "32K", f"-DFAULT={fault}", *extra)
    head = assert_one_error(p, kind, function, line_of(BAD, snippet))
    assert detail in head


def test_cli_source_line_on_a_board_with_flash_at_zero():
    p = mcusim("run", BAD, "--board", "nrf52840", "--ram", "32K", "-DFAULT=2")
    assert_one_error(p, "invalid memory access", "poke_unmapped", line_of(BAD, "0x60000000u = 1"))


def test_cli_clean_exit_for_the_harmless_build():
    p = mcusim("run", BAD, "--board", "stm32h743", "--ram", "32K", "-DFAULT=0")
    assert p.returncode == 0, p.stderr


# ---- divide by zero ----------------------------------------------------------------------

@pytest.fixture(scope="module", params=["nrf52840", "stm32h743", "rp2040"])
def div_fw(request):
    return Machine(request.param, ram="32K", max_instructions=1_000_000).build([DIVZERO], opt="-O1")


def test_division_by_zero_returns_zero_without_the_trap(div_fw):
    # ARMv7-M ARM A7.7.127 / A7.7.195: the result is 0 when CCR.DIV_0_TRP is clear
    assert div_fw.call("divide", 7, 0).value == 0
    assert div_fw.call("divide", -(1 << 31), 0).value == 0
    assert div_fw.call("divide_unsigned", 0xFFFFFFFF, 0).value == 0
    assert div_fw.call("divide_trap_cleared", 7, 0).value == 0
    # the trap does not change ordinary results, nor INT_MIN / -1 (which wraps, no fault)
    assert div_fw.call("divide_trapping", -7, 2).value == -3
    assert div_fw.call("divide_trapping", -(1 << 31), -1).value == -(1 << 31)
    assert div_fw.call("divide_unsigned_trapping", 0xFFFFFFFF, 16).value_u32 == 0x0FFFFFFF


@pytest.mark.parametrize("function", ["divide_trapping", "divide_unsigned_trapping"])
def test_division_by_zero_traps_with_div_0_trp(div_fw, function):
    if div_fw.board.core.arch == "armv6-m":
        # No SDIV/UDIV: compiler-rt's __aeabi_(u)idiv returns 0 for a zero divisor (zig's
        # compiler-rt never calls __aeabi_idiv0), so CCR.DIV_0_TRP has nothing to trap.
        r = div_fw.call(function, 7, 0)
        assert r.value == 0 and r.instructions < 200
        return
    with pytest.raises(DivideByZero, match="CCR.DIV_0_TRP") as exc:
        div_fw.call(function, 7, 0)
    err = exc.value
    assert err.location.startswith(function + "+0x")
    assert err.registers["r1"] == 0
    assert any(ln.startswith("=>") and "div" in ln for ln in err.disassembly)
    lines = [n for n, text in enumerate(DIVZERO.read_text().splitlines(), 1) if "return a / b;" in text]
    assert any(err.location.endswith(f"(divzero.c:{n})") for n in lines), err.location


def test_run_main_traps_on_v7m_and_returns_on_m0plus(div_fw):
    if div_fw.board.core.arch == "armv6-m":
        assert div_fw.run().exit_code == 0       # 100 / 0 == 0, promptly: no hang, no trap
    else:
        with pytest.raises(DivideByZero):
            div_fw.run()


def test_divide_sites_are_found_by_encoding():
    sdiv = (0xFB90 | 0).to_bytes(2, "little") + (0xF0F1).to_bytes(2, "little")   # sdiv r0, r0, r1
    udiv = (0xFBB2).to_bytes(2, "little") + (0xF3F4).to_bytes(2, "little")       # udiv r3, r2, r4
    nop = b"\x00\xbf"
    code = nop + sdiv + nop + nop + udiv + nop
    assert divide_sites([(0x1000, code)]) == [0x1002, 0x100A]
    assert divide_sites([(0x1001, b"\x00" + code)]) == [0x1004, 0x100C]     # odd chunk start
    assert is_divide(0xFB90, 0xF0F1) and is_divide(0xFBBF, 0xFFFF)
    assert not is_divide(0xFB80, 0xF0F1) and not is_divide(0xFB90, 0x00F1)   # SMULL etc.


# ---- canary guards: a kernel writing outside its output ----------------------------------

@pytest.fixture(scope="module")
def harness_fw():
    from tests.helpers.kernel_harness import kernel_sources
    from simulator.guards import guard_defines
    return Machine("stm32h743", ram="64K").build(kernel_sources(), defines=guard_defines())


def test_guard_catches_a_write_past_the_end(harness_fw):
    out = Guarded("conv1/output", (40,), np.int8)
    r = harness_fw.call("h_overrun", out.raw, 40, 3, 0)
    with pytest.raises(BufferOverrun) as exc:
        out.unwrap(r.arrays[0])
    err = exc.value
    assert err.buffer == "conv1/output" and err.side == "after" and err.offset == 40 and err.count == 3
    assert "buffer 'conv1/output' (40 B) overrun" in str(err) and "offset 40" in str(err)


def test_guard_catches_a_write_before_the_start(harness_fw):
    out = Guarded("pool/output", (8, 2), np.int8)
    r = harness_fw.call("h_overrun", out.raw, 16, 0, 2)
    with pytest.raises(BufferOverrun, match="'pool/output' .* underrun") as exc:
        out.unwrap(r.arrays[0])
    assert exc.value.offset == -1 and exc.value.side == "before"


def test_guard_passes_an_exact_fit(harness_fw):
    out = Guarded("output", (33,), np.int8)
    r = harness_fw.call("h_overrun", out.raw, 33, 0, 0)
    assert np.array_equal(out.unwrap(r.arrays[0]), np.arange(33, dtype=np.int8))


def test_guard_pattern_catches_shifted_copies_and_common_fills():
    pat = canary(GUARD_BYTES)
    assert not np.isin(pat, [0x00, 0xFF]).any()
    assert all((np.roll(pat, k) != pat).any() for k in range(1, GUARD_BYTES))
    g = Guarded("x", (4,), np.int32)
    raw = g.raw.copy()
    raw[GUARD_BYTES + 16 + 5] ^= 1
    with pytest.raises(BufferOverrun, match="offset 21"):
        g.check(raw)
