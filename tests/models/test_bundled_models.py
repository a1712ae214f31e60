"""Every bundled model loads in mcusim and in TFLite Micro, runs, and matches its provenance."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from simulator.frontend import load_tflite, save_tflite
from tests.helpers.builder_graphs import all_ops_graph

pytest.importorskip("tflite_micro")
from simulator.frontend.tflm_oracle import run_tflm, tflm_arena_bytes  # noqa: E402

MODELS = Path(__file__).resolve().parents[2] / "models"
PROVENANCE = json.loads((MODELS / "provenance.json").read_text())
NAMES = sorted(PROVENANCE)


def make_models():
    spec = importlib.util.spec_from_file_location("make_models", MODELS / "make_models.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_models", module)
    spec.loader.exec_module(module)
    return module


def test_all_five_are_bundled_and_commit_sized():
    assert set(NAMES) == {"ds_cnn", "vww_mobilenet_v1_025", "resnet8", "fc_autoencoder",
                          "digits_cnn"}
    assert sum((MODELS / PROVENANCE[n]["file"]).stat().st_size for n in NAMES) < 3 << 20


@pytest.mark.parametrize("name", NAMES)
def test_loads_and_runs_in_tflm(name):
    data = (MODELS / PROVENANCE[name]["file"]).read_bytes()
    graph = load_tflite(data)
    assert list(graph.tensors[graph.inputs[0]].shape) == PROVENANCE[name]["input_shape"]
    assert all(t.dtype == "int8" for t in graph.tensors if not t.is_const)
    x = np.random.default_rng(0).integers(-128, 128, graph.tensors[graph.inputs[0]].shape)
    (y,) = run_tflm(data, x.astype(np.int8))
    assert y.dtype == np.int8 and y.shape == graph.tensors[graph.outputs[0]].shape
    assert tflm_arena_bytes(data) == PROVENANCE[name]["tflm_arena_bytes"]
    assert save_tflite(graph) == data          # our writer made it; reading loses nothing


def test_stats_match_provenance_and_vww_fits_stm32h743():
    mm = make_models()
    for name in NAMES:
        stats = mm.graph_stats(load_tflite(MODELS / PROVENANCE[name]["file"]))
        for key, value in stats.items():
            assert PROVENANCE[name][key] == value, (name, key)
    assert PROVENANCE["vww_mobilenet_v1_025"]["largest_op_activation_bytes"] <= 400 << 10


def test_digits_cnn_is_accurate():
    assert PROVENANCE["digits_cnn"]["int8_tflm_test_accuracy"] >= 0.85
    assert PROVENANCE["digits_cnn"]["float_test_accuracy"] >= 0.85


def test_regeneration_is_deterministic():
    mm = make_models()
    graph, _ = mm.ds_cnn()
    bundled = load_tflite(MODELS / "ds_cnn.tflite")
    fresh = load_tflite(save_tflite(graph))
    assert [op.opcode for op in fresh.ops] == [op.opcode for op in bundled.ops]
    for a, b in zip(fresh.tensors, bundled.tensors):
        assert a.shape == b.shape
        if a.is_const:
            np.testing.assert_array_equal(a.data, b.data)
        if a.quant is not None:
            np.testing.assert_allclose(a.quant.scale, b.quant.scale, rtol=1e-5)


def test_builder_graph_with_every_op_runs_in_tflm():
    data = save_tflite(all_ops_graph())
    x = np.random.default_rng(1).normal(size=(1, 8, 8, 3)).astype(np.float32)
    outs = run_tflm(data, x)
    assert len(outs) == 6
    np.testing.assert_allclose(outs[-1].sum(), 1.0, atol=0.05)   # softmax, dequantized
