"""The binary-mixed digits model: folding batch norm into thresholds, IR round trip through a
.tflite, accuracy of the bundled QAT weights, and firmware bits equal to the reference."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from simulator.errors import ModelError, QuantizationError
from simulator.frontend import load_tflite, save_tflite
from simulator.quantize import accuracy, run_batch
from simulator.quantize.binary_model import (DigitsBinaryWeights, binary_layer_bytes,
                                             build_digits_binary, fold_sign, thresholds)
from simulator.quantize.runner import quantize_input
from simulator.reference import binary as bn

MODELS = Path(__file__).resolve().parents[2] / "models"


def split():
    spec = importlib.util.spec_from_file_location("mfm", MODELS / "make_float_models.py")
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m.digits_split()


@pytest.fixture(scope="module")
def data():
    return split()


@pytest.fixture(scope="module")
def mixed(data):
    (xtr, _), _ = data
    return build_digits_binary(DigitsBinaryWeights.load(MODELS / "digits_float_binary_qat.npz"), xtr)


def test_fold_sign_and_thresholds_match_float_sign():
    rng = np.random.default_rng(0)
    scale = rng.normal(size=40)
    offset = rng.normal(size=40) * 5
    bits = rng.integers(0, 2, size=(40, 9)).astype(bool)
    x = rng.integers(0, 2, size=(100, 9)).astype(bool)
    acc = np.where(x, -1, 1) @ np.where(bits, -1, 1).T          # [100, 40]
    s, b, folded = fold_sign(scale, offset, bits)
    acc2 = np.where(x, -1, 1) @ np.where(folded, -1, 1).T
    assert np.all(s > 0)
    np.testing.assert_allclose(s * (acc2 + b), scale * acc + offset)
    want = (scale * acc + offset) < 0                            # sign(0) = +1
    assert np.array_equal(acc2 < thresholds(b), want)
    with pytest.raises(QuantizationError, match="scale 0"):
        fold_sign(np.zeros(2), np.ones(2), bits[:2])


def test_bundled_weights_are_small_and_accurate(mixed, data):
    _, (xte, yte) = data
    assert (MODELS / "digits_float_binary_qat.npz").stat().st_size < 64 << 10
    assert accuracy(mixed, xte[:120], yte[:120]) >= 0.9
    assert [op.opcode for op in mixed.ops] == ["CONV_2D", "MAX_POOL_2D", bn.OP_PACK, bn.OP_CONV,
                                               bn.OP_FC, "FULLY_CONNECTED", "SOFTMAX"]
    assert binary_layer_bytes(mixed) == {"binary_weight_bytes": 64 * 9 * 4 + 64 * 32 * 4,
                                         "weight_padding_bytes": 0, "activation_padding_bytes": 0}


def test_tflite_round_trip_keeps_binary_ops(mixed, data):
    _, (xte, _) = data
    again = load_tflite(save_tflite(mixed))
    assert again.ops[3].opcode == bn.OP_CONV
    assert bn.binary_options(again.ops[3])["channels_in"] == 32
    x = quantize_input(mixed, xte[:5])
    assert np.array_equal(run_batch(mixed, x)[0], run_batch(again, x)[0])


def test_binary_op_errors():
    from simulator.ir import Op
    op = Op(3, bn.OP_CONV, [0, 1, 2], [3], {"custom_options": b"\xff"})
    with pytest.raises(ModelError, match=r"op #3 \(CUSTOM:MCUSIM_BCONV2D\)"):
        bn.binary_options(op)


def test_sign_ste_passes_gradient_inside_unit_interval():
    torch = pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location("mfm2", MODELS / "make_float_models.py")
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    _, _, binary_net = m._torch_nets()
    net = binary_net()
    out = net(torch.zeros(2, 1, 8, 8))
    out.sum().backward()
    assert net.bconv.grad is not None and net.bfc.grad is not None
