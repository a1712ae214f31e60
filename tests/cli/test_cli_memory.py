"""`--memory`, the deprecated `--caches`, and `--weights`/`--arena` placement, as a user meets them."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "tests" / "machine" / "fixtures" / "table_sum.c"
DIGITS = ROOT / "models" / "digits_cnn.tflite"
FC = ROOT / "models" / "fc_autoencoder.tflite"


def mcusim(*args):
    return subprocess.run([sys.executable, "-m", "simulator.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=600)


def _run_json(*args):
    p = mcusim("run", TABLE, "--board", "stm32h743", "--json", *args)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout), p.stderr


def test_run_json_records_the_memory_model_and_its_counters():
    d, _ = _run_json()
    assert d["memory"]["model"] == "realistic"
    assert [c["name"] for c in d["memory"]["caches"]] == ["icache", "dcache"]
    assert d["memory"]["counters"]["d_misses"] > 0
    assert d["regions"]["first"]["first"]["memory"]["d_misses"] > d["regions"]["second"]["first"]["memory"]["d_misses"]


def test_memory_models_order_and_the_deprecated_aliases():
    cycles = {m: _run_json("--memory", m)[0]["cycles"] for m in ("ideal", "realistic", "uncached")}
    assert cycles["uncached"] > cycles["realistic"] > cycles["ideal"]
    on, note = _run_json("--caches", "on")
    assert on["cycles"] == cycles["ideal"] and on["memory"]["model"] == "ideal"
    assert "--caches on is deprecated; it means --memory ideal" in note
    off, _ = _run_json("--caches", "off")
    assert off["cycles"] == cycles["uncached"]


def test_memory_and_caches_together_is_a_one_line_error():
    p = mcusim("run", TABLE, "--board", "stm32h743", "--memory", "ideal", "--caches", "on")
    assert p.returncode == 2
    assert p.stderr.strip() == "mcusim: error: give --memory or the deprecated --caches, not both"


def test_unknown_memory_model_is_refused_by_the_parser():
    p = mcusim("run", TABLE, "--memory", "fast")
    assert p.returncode == 2 and "invalid choice: 'fast'" in p.stderr


def test_analyze_reports_cold_warm_per_layer_misses_and_placement():
    p = mcusim("analyze", DIGITS, "--board", "stm32h743", "--json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["memory"]["model"] == "realistic"
    assert set(d["memory"]["cold"]) == {"icache_misses", "dcache_misses", "icache_hits", "dcache_hits",
                                        "stall_cycles", "flash_stall_cycles", "unaligned_accesses",
                                        "unaligned_cycles"}
    assert d["memory"]["cold"]["icache_misses"] > d["memory"]["warm"]["icache_misses"]
    assert d["cycles"] > d["cycles_warm"] and d["latency_warm_ms"] < d["latency_ms"]
    assert d["placement"] == {"code": "flash", "weights": "flash", "arena": "dtcm", "stack": "dtcm"}
    assert all(t["region"] == "dtcm" for t in d["memory_plan"]["tensors"])
    cold_misses = sum(l["memory"]["icache_misses"] for l in d["layers"])
    assert 0 < cold_misses <= d["memory"]["cold"]["icache_misses"]
    assert all(l["cycles_warm"] <= l["cycles"] for l in d["layers"])


def test_analyze_text_shows_the_memory_lines():
    p = mcusim("analyze", DIGITS, "--board", "rp2040")
    assert p.returncode == 0, p.stderr
    assert "memory     realistic: xip 16 KB 2-way" in p.stdout
    assert "warm " in p.stdout and "I-miss" in p.stdout and "placement  code in flash" in p.stdout


def test_weights_in_dtcm_beat_weights_in_flash_on_the_cold_run():
    flash = json.loads(mcusim("analyze", DIGITS, "--board", "stm32h743", "--json").stdout)
    p = mcusim("analyze", DIGITS, "--board", "stm32h743", "--json", "--weights", "dtcm")
    assert p.returncode == 0, p.stderr
    dtcm = json.loads(p.stdout)
    assert dtcm["bit_exact"] and dtcm["placement"]["weights"] == "dtcm"
    assert dtcm["memory"]["cold"]["dcache_misses"] < flash["memory"]["cold"]["dcache_misses"]
    assert dtcm["cycles"] < flash["cycles"]


@pytest.mark.parametrize("args, words", [
    (("--weights", "sram9"), "--weights sram9: board stm32h743 has no region 'sram9' (regions: itcm, flash"),
    (("--arena", "flash"), "--arena flash: region 'flash' of board stm32h743 is read-only flash"),
])
def test_bad_placement_is_a_one_line_error(args, words):
    p = mcusim("analyze", DIGITS, "--board", "stm32h743", *args)
    assert p.returncode == 2
    assert p.stderr.startswith("mcusim: error: " + words), p.stderr
    assert "Traceback" not in p.stderr


def test_weights_that_do_not_fit_their_region_are_a_located_overflow():
    """fc_autoencoder's weights (over 64 KB) cannot go in the H743's 64 KB ITCM."""
    p = mcusim("analyze", FC, "--board", "stm32h743", "--weights", "itcm", "--json")
    assert p.returncode == 2
    d = json.loads(p.stdout)
    assert d["fits"] is False
    assert "does not fit region 'itcm' of stm32h743: weights" in p.stderr
    assert "but the region has 65536 B (64 KB): over by" in p.stderr


def test_run_text_report_shows_the_memory_counters():
    p = mcusim("run", TABLE, "--board", "stm32h743")
    assert p.returncode == 0, p.stderr
    assert "memory realistic: I-cache misses" in p.stderr and "D-miss" in p.stderr
    p = mcusim("run", TABLE, "--board", "stm32h743", "--memory", "ideal")
    assert "  memory ideal\n" in p.stderr and "D-miss" not in p.stderr
