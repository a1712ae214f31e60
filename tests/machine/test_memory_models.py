"""The three memory models on real programs: ordering, cold vs warm, counters, both engines."""
from pathlib import Path
import pytest

from simulator.errors import ConfigError
from simulator.machine import Machine

from .conftest import FIXTURES

TABLE = FIXTURES / "table_sum.c"       # an 8 KB flash table summed twice: regions "first", "second"
BOARDS = ["stm32h743", "stm32f746", "nrf52840", "rp2040"]


def _run(board, memory, engine="native"):
    return Machine(board, memory=memory, engine=engine).build([TABLE]).run()


@pytest.mark.parametrize("board", BOARDS)
def test_uncached_costs_at_least_realistic_which_costs_at_least_ideal(board):
    runs = {m: _run(board, m) for m in ("ideal", "realistic", "uncached")}
    assert len({r.instructions for r in runs.values()}) == 1
    assert len({r.stdout for r in runs.values()}) == 1
    assert runs["uncached"].cycles > runs["realistic"].cycles > runs["ideal"].cycles
    assert runs["realistic"].memory["model"] == "realistic"
    assert runs["ideal"].memory == {"model": "ideal", "startup": "", "caches": []}


@pytest.mark.parametrize("board", ["stm32h743", "rp2040"])
def test_a_table_that_fits_the_cache_misses_once_then_hits(board):
    """8 KB of table: H743's 16 KB D-cache and RP2040's 16 KB XIP cache hold it after one pass."""
    r = _run(board, "realistic")
    first, second = r.regions["first"], r.regions["second"]
    line = 32 if board == "stm32h743" else 8
    assert first["memory"]["d_misses"] >= 8192 // line          # every line once, cold
    assert second["memory"]["d_misses"] == 0
    assert first["cycles"] > second["cycles"]
    # the second pass costs what the ideal model says, plus only the unaligned penalty
    ideal = _run(board, "ideal").regions["second"]["cycles"]
    assert second["cycles"] == ideal + second["memory"]["unaligned_stall"] + second["memory"]["i_stall"]


def test_a_table_larger_than_the_cache_misses_on_every_pass():
    """F746's D-cache is 4 KB: the 8 KB table streams through it both times."""
    r = _run("stm32f746", "realistic")
    assert r.regions["first"]["memory"]["d_misses"] >= 256
    assert r.regions["second"]["memory"]["d_misses"] >= 256


def test_line_fills_cost_what_the_board_file_says():
    r = _run("rp2040", "realistic")
    m = r.regions["first"]["memory"]
    assert m["d_stall"] == 56 * m["d_misses"] and m["i_stall"] == 56 * m["i_misses"]
    assert m["stall:flash"] == m["d_stall"] + m["i_stall"]


def test_unaligned_word_loads_pay_the_cores_penalty():
    """One unaligned LDR per row (256 rows per pass): +3 cycles each on the M7 (jnk0le's
    measurement), +2 on the M4 for a byte-aligned word (M4 TRM 3.3.2); ARMv6-M has none
    (the compiler reads bytes, unaligned LDR would fault)."""
    for board, each in (("stm32h743", 3), ("nrf52840", 2)):
        m = _run(board, "realistic").regions["first"]["memory"]
        assert m["unaligned"] == 256 and m["unaligned_stall"] == 256 * each
    assert _run("rp2040", "realistic").regions["first"]["memory"]["unaligned"] == 0


@pytest.mark.parametrize("board", ["stm32h743", "nrf52840", "rp2040"])
@pytest.mark.parametrize("memory", ["realistic", "uncached"])
def test_native_and_python_memory_systems_agree_on_a_program(board, memory):
    native, python = _run(board, memory), _run(board, memory, engine="python")
    assert (native.cycles, native.instructions) == (python.cycles, python.instructions)
    assert native.memory == python.memory
    assert native.regions == python.regions


def test_the_deprecated_caches_flag_means_ideal_or_uncached():
    on = Machine("stm32h743", caches=True).build([TABLE]).run()
    off = Machine("stm32h743", caches=False).build([TABLE]).run()
    assert on.cycles == _run("stm32h743", "ideal").cycles
    assert off.cycles == _run("stm32h743", "uncached").cycles
    with pytest.raises(ConfigError, match="not both"):
        Machine("stm32h743", caches=True, memory="ideal")
    with pytest.raises(ConfigError, match="unknown memory model 'fast'"):
        Machine("stm32h743", memory="fast")


def test_placing_data_in_dtcm_instead_of_cached_sram_changes_cycles():
    """The same model with its activation arena in the H743's DTCM (never cached, the default)
    or in AXI SRAM (behind the D-cache); the stack stays in DTCM either way. (A stack in AXI
    SRAM is not simulated: see docs/cycle-model.md, "Known problems".)"""
    from simulator.analyze import analyze
    model = Path(__file__).resolve().parents[2] / "models" / "digits_cnn.tflite"
    dtcm = analyze(model, "stm32h743")
    axi = analyze(model, "stm32h743", arena="axi_sram")
    assert dtcm.bit_exact and axi.bit_exact
    assert axi.placement["arena"] == "axi_sram" and dtcm.placement["arena"] == "dtcm"
    assert axi.memory["cold"]["dcache_misses"] > dtcm.memory["cold"]["dcache_misses"]
    assert axi.cycles > dtcm.cycles
