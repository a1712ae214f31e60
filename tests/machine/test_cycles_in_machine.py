"""The cycle model as users meet it: RunResult.cycles, DWT CYCCNT, profiles, cache assumption."""
import pytest

from simulator.machine import Machine

from .conftest import FIXTURES


@pytest.mark.parametrize("memory", ["ideal", "realistic"])
@pytest.mark.parametrize("board", ["rp2040", "nrf52840", "stm32h743", "generic-m33"])
def test_firmware_timing_itself_with_dwt_agrees_with_mcusim(board, memory):
    fw = Machine(board, memory=memory).build([FIXTURES / "dwt.c"])
    r = fw.run(profile=True)
    firmware_says = int(r.stdout.strip())
    timed = r.regions["timed"]
    mcusim_says = timed["cycles"]
    # The marked region holds the two CYCCNT reads plus the marker calls' own few instructions,
    # so it may exceed the firmware's figure by that overhead only: and, with caches, by the
    # line fills of that (cold) marker code, which the region's memory counters bound.
    fills = timed.get("memory", {}).get("i_stall", 0) + timed.get("memory", {}).get("d_stall", 0)
    assert firmware_says > 1000
    assert 0 <= mcusim_says - firmware_says <= 40 + fills, (mcusim_says, firmware_says, fills)
    # work() alone, per the profile, is inside the DWT window.
    assert r.profile["work"]["cycles"] <= firmware_says


def test_cycles_and_time_reported():
    r = Machine("stm32h743").build([FIXTURES / "hello.c"]).run()
    assert r.cycles >= r.instructions // 2     # M7 dual-issues at most two per cycle
    assert r.time_us == pytest.approx(r.cycles / 480.0)
    d = r.to_dict()
    assert d["cycles"] == r.cycles and d["time_us"] == pytest.approx(r.time_us)
    assert d["untimed_classes"] == []


def test_wait_states_apply_without_caches():
    """stm32f746 flash has 7 wait states at 216 MHz (RM0385): with the caches assumed off, the
    same program must take more cycles than with the default steady-state cache hits."""
    cached = Machine("stm32f746", memory="ideal").build([FIXTURES / "dwt.c"]).run()
    uncached = Machine("stm32f746", caches=False).build([FIXTURES / "dwt.c"]).run()
    assert uncached.instructions == cached.instructions
    assert uncached.cycles > 2 * cached.cycles


@pytest.mark.parametrize("board", ["rp2040", "stm32h743"])
def test_native_and_python_engines_agree_on_a_c_program(board):
    native = Machine(board).build([FIXTURES / "dwt.c"]).run(profile=True)
    python = Machine(board, engine="python").build([FIXTURES / "dwt.c"]).run(profile=True)
    assert (native.cycles, native.instructions, native.stdout) == (python.cycles, python.instructions, python.stdout)
    assert native.profile == python.profile


@pytest.mark.parametrize("board", ["stm32h743", "nrf52840", "rp2040"])
@pytest.mark.parametrize("engine", ["native", "python"])
def test_code_placement_across_a_page_boundary_does_not_change_cycles(board, engine):
    """Unicorn splits translation blocks at 1 KB pages; the schedule of a straight-line run
    must not care (it did: +8% on a conv loop that the linker put across a boundary)."""
    # ideal memory: the schedule is under test here; line alignment changes cold I-cache misses
    fw = Machine(board, engine=engine, memory="ideal").build([FIXTURES / "page_straddle.S"])
    inside = fw.call("loop_inside", 1000, profile=True)
    straddling = fw.call("loop_straddling", 1000, profile=True)
    assert inside.value == straddling.value
    assert fw.symbol_address("loop_straddling") // 1024 != (fw.symbol_address("loop_straddling") + 30) // 1024
    assert inside.instructions == straddling.instructions
    assert inside.profile["loop_inside"]["cycles"] == straddling.profile["loop_straddling"]["cycles"]
