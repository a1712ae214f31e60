"""Data-dependent SDIV/UDIV timing (simulator/cycles/divide.py, native/checks.c).

Cortex-M4 rule (m4.toml [params], div_min 2, div_max 12): cycles = 2 + ceil(10 q / 32) with
q = max(0, clz(|divisor|) - clz(|dividend|) + 1); a zero divisor takes 2. The expected figures
below are worked by hand from that rule, each derivation beside it. M7 and M33 publish no
operand-dependent figure: their divides keep the fixed 7 whatever the operands.
"""
import pytest

from simulator.cycles import native
from simulator.cycles.divide import DivideRule, divide_cycles
from simulator.machine import Machine

from .conftest import FIXTURES

M4 = DivideRule(div_min=2, div_max=12, static=7)

# (dividend, divisor, signed, cycles)
HAND = [
    (100, 7, False, 4),             # clz(7)=29, clz(100)=25: q=5, ceil(50/32)=2 -> 4
    (5, 10, False, 2),              # clz(10)=28, clz(5)=29: q=0 -> 2 (quotient 0)
    (6, 3, False, 3),               # clz(3)=30, clz(6)=29: q=2, ceil(20/32)=1 -> 3
    (0x10000, 0x100, False, 5),     # clz 23 - clz 15 + 1 = 9, ceil(90/32)=3 -> 5
    (1 << 20, 3, False, 9),         # clz(3)=30, clz(2^20)=11: q=20, ceil(200/32)=7 -> 9
    (0xFFFFFFFF, 1, False, 12),     # clz(1)=31, clz=0: q=32, ceil(320/32)=10 -> 12
    (7, 0, False, 2),               # zero divisor: div_min
    (-1000, 3, True, 5),            # |n|=1000 clz 22, clz(3)=30: q=9, ceil(90/32)=3 -> 5
    (1000, -3, True, 5),            # magnitudes, as above
    (-(1 << 31), -1, True, 12),     # |INT_MIN| = 2^31 clz 0, |-1| clz 31: q=32 -> 12
    (-3, 1000, True, 2),            # q = 22 - 30 + 1 < 0 -> 0 -> 2
    (0x7FFFFFFF, 2, True, 12),      # clz 30 - clz 1 + 1 = 30, ceil(300/32)=10 -> 12
]


@pytest.mark.parametrize("n, d, signed, cycles", HAND)
def test_rule_python_and_c_give_the_hand_worked_cycles(n, d, signed, cycles):
    assert divide_cycles(n, d, signed, M4) == cycles
    c = native.library().ck_divide_cycles(n & 0xFFFFFFFF, d & 0xFFFFFFFF, int(signed), M4.div_min, M4.div_max)
    assert c == cycles


@pytest.fixture(scope="module")
def m4_firmwares():
    # memory="ideal": the subject is the operand rule; the nRF52840 flash cache would add
    # fetch stalls that differ between the two calls compared
    return {engine: Machine("nrf52840", ram="32K", engine=engine, memory="ideal").build([FIXTURES / "divide.c"], opt="-O1")
            for engine in ("native", "python")}


@pytest.mark.parametrize("engine", ["native", "python"])
def test_m4_divide_costs_follow_the_operands(m4_firmwares, engine):
    fw = m4_firmwares[engine]
    base = fw.call("udiv_once", 5, 10)          # 2 cycles by the rule
    for n, d, signed, cycles in HAND:
        r = fw.call("sdiv_once" if signed else "udiv_once", n, d)
        assert r.instructions == base.instructions
        assert r.cycles - base.cycles == cycles - 2, (n, d, signed)


def test_m4_native_and_python_engines_agree(m4_firmwares):
    for n, d, signed, _ in HAND:
        name = "sdiv_once" if signed else "udiv_once"
        got = [m4_firmwares[e].call(name, n, d).cycles for e in ("native", "python")]
        assert got[0] == got[1], (name, n, d, got)


@pytest.mark.parametrize("board", ["stm32h743", "generic-m33"])
def test_cores_without_a_published_rule_keep_the_fixed_charge(board):
    fw = Machine(board, ram="32K").build([FIXTURES / "divide.c"], opt="-O1")
    cycles = {fw.call("udiv_once", n, d).cycles for n, d in [(5, 10), (0xFFFFFFFF, 1), (100, 7)]}
    assert len(cycles) == 1
