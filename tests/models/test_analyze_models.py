"""`analyze` end to end on the bundled models: lowered, built, run, and bit-exact against the
NumPy reference (every layer) and TFLite Micro (the model output)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from simulator.analyze import analyze, prepare_input
from simulator.frontend import load_tflite
from simulator.reference.graph import run_graph

MODELS = Path(__file__).resolve().parents[2] / "models"
PROVENANCE = json.loads((MODELS / "provenance.json").read_text())
FAST = ["digits_cnn", "ds_cnn", "fc_autoencoder"]
BIG = ["resnet8", "vww_mobilenet_v1_025"]


def _tflm():
    pytest.importorskip("tflite_micro")
    from simulator.frontend.tflm_oracle import run_tflm
    return run_tflm


def _check_model(name: str, board: str = "stm32h743"):
    path = MODELS / PROVENANCE[name]["file"]
    a = analyze(path, board)
    assert a.fits and a.ran, a.overflow
    assert a.bit_exact, a.mismatch
    assert all(l.bit_exact for l in a.layers)
    graph = load_tflite(path)
    x = prepare_input(graph)
    (y_tflm,) = _tflm()(path.read_bytes(), x)
    assert np.array_equal(a.output, y_tflm.reshape(a.output.shape))
    # figures are consistent with the model's own facts
    assert a.params == PROVENANCE[name]["params"]
    core_macs = sum(l.macc for l in a.layers
                    if l.op in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"))
    assert core_macs == PROVENANCE[name]["macs"]
    assert a.arena + a.scratch <= PROVENANCE[name]["tflm_arena_bytes"]
    assert a.instructions >= sum(l.instructions for l in a.layers) > 0
    assert a.ram_total <= a.ram_limit and a.stack_peak > 0
    assert a.flash_weights >= a.params and a.flash_code > 0
    assert abs(sum(l.share for l in a.layers) - 100.0) < 0.5
    return a


@pytest.mark.parametrize("name", FAST)
def test_bundled_model_is_bit_exact_on_stm32h743(name):
    _check_model(name)


@pytest.mark.parametrize("name", BIG)
def test_big_bundled_model_is_bit_exact_on_stm32h743(name):
    _check_model(name)


@pytest.mark.parametrize("board", ["nrf52840", "rp2040"])
def test_digits_cnn_on_m4_and_m0plus(board):
    """M4 takes the DSP wrappers with im2col scratch; M0+ the portable C with none."""
    a = _check_model("digits_cnn", board)
    assert (a.scratch > 16) == (board == "nrf52840")


@pytest.mark.parametrize("name", ["resnet8", "vww_mobilenet_v1_025"])
def test_oversized_model_reports_the_overflow_and_does_not_run(name):
    # the plain schedule (one buffer per tensor): tests/models/test_schedule_models.py has
    # what --schedule auto does with the same budget
    a = analyze(MODELS / PROVENANCE[name]["file"], "stm32h743", ram="32K", schedule="plain")
    assert not a.fits and not a.ran and a.exit_code == 2
    assert "does not fit" in a.overflow and "over by" in a.overflow
    assert "live" in a.overflow and "conv2d" in a.overflow       # names the peak's tensors
    over = int(a.overflow.split("over by ")[1].split(" B")[0])
    assert over == a.ram_total - a.ram_limit > 0


def test_float_input_is_quantized_with_the_input_params():
    path = MODELS / "digits_cnn.tflite"
    graph = load_tflite(path)
    q = graph.tensor(graph.inputs[0]).quant
    xf = (np.random.default_rng(1).random((1, 8, 8, 1)) * 1.0).astype(np.float32)
    a = analyze(path, "stm32h743", input=xf)
    assert a.bit_exact
    xq = prepare_input(graph, xf)
    expected = run_graph(graph, [xq])[graph.outputs[0]]
    assert np.array_equal(a.output, expected)
    assert xq.dtype == np.int8 and q is not None


# ---- memory models -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", FAST + BIG)
def test_uncached_then_realistic_then_ideal_on_stm32h743(name):
    """Same instructions and bits under every memory model; cycles ordered by what each charges."""
    path = MODELS / PROVENANCE[name]["file"]
    runs = {m: analyze(path, "stm32h743", memory=m) for m in ("ideal", "realistic", "uncached")}
    assert all(a.bit_exact for a in runs.values())
    assert len({a.instructions for a in runs.values()}) == 1
    for when in ("cycles", "cycles_warm"):
        c = {m: getattr(a, when) for m, a in runs.items()}
        assert c["uncached"] >= c["realistic"] >= c["ideal"], (when, c)
    assert runs["ideal"].memory == {"model": "ideal", "startup": "", "caches": []}


def test_cold_inference_costs_more_than_warm_on_a_flash_resident_model():
    """fc_autoencoder's code and weights are in flash: the first inference fills the I-cache,
    the second finds the code there (its 279 KB of weights stream through the D-cache both times)."""
    a = analyze(MODELS / "fc_autoencoder.tflite", "stm32h743")
    cold, warm = a.memory["cold"], a.memory["warm"]
    assert a.cycles > a.cycles_warm
    assert cold["icache_misses"] > warm["icache_misses"]
    assert warm["dcache_misses"] > 5000          # weights far larger than the 16 KB D-cache
    assert cold["flash_stall_cycles"] == cold["stall_cycles"] > 0       # all fills come from flash
    assert sum(l.memory["dcache_misses"] for l in a.layers) <= cold["dcache_misses"]
    assert all(l.cycles_warm is not None and l.cycles_warm <= l.cycles for l in a.layers)


def test_weights_in_dtcm_cost_fewer_cycles_than_weights_in_flash():
    path = MODELS / "ds_cnn.tflite"
    flash = analyze(path, "stm32h743")
    dtcm = analyze(path, "stm32h743", weights="dtcm")
    assert dtcm.bit_exact and np.array_equal(dtcm.output, flash.output)
    assert (flash.placement["weights"], dtcm.placement["weights"]) == ("flash", "dtcm")
    assert dtcm.instructions == flash.instructions
    assert dtcm.memory["cold"]["dcache_misses"] < flash.memory["cold"]["dcache_misses"]
    assert dtcm.cycles < flash.cycles and dtcm.cycles_warm < flash.cycles_warm
