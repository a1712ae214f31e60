"""PTQ of MAXIMUM / MINIMUM from a float model: the registration's shared quantization reaches
their constant operands, so TFLite Micro runs the int8 model with our bits and the result stays
close to the float model."""
from __future__ import annotations

import numpy as np
import pytest

from simulator.frontend import save_tflite
from simulator.quantize import FloatBuilder, quantize_graph, run_batch
from simulator.reference import float_ops

pytest.importorskip("tflite_micro")
from simulator.frontend.tflm_oracle import run_tflm  # noqa: E402


def minmax_model():
    rng = np.random.default_rng(5)
    fb = FloatBuilder("minmax")
    x = fb.input((1, 4, 4, 3))
    h = fb.conv2d(x, rng.normal(size=(6, 3, 3, 3)) * 0.3, rng.normal(size=6) * 0.1)
    lo = fb.const(np.array([-0.5, 0.0, 0.2, -1.0, 0.1, -0.3], np.float32), "float32")
    hi = fb.const(np.array([[[[1.5]]]], np.float32), "float32")
    m = fb.tensor((1, 4, 4, 6), dtype="float32")
    y = fb.tensor((1, 4, 4, 6), dtype="float32")
    fb.op("MAXIMUM", [h, lo], [m])
    fb.op("MINIMUM", [m, hi], [y])
    fb.output(y)
    return fb.build()


def test_quantized_minmax_is_tflms_and_near_float():
    model = minmax_model()
    calib = np.random.default_rng(6).normal(size=(32, 4, 4, 3)).astype(np.float32)
    q = quantize_graph(model, calib)
    ops = {op.opcode: op for op in q.ops}
    for name in ("MAXIMUM", "MINIMUM"):           # inputs, constant included, share the output's
        op = ops[name]
        qs = {(float(q.tensor(i).quant.scalar_scale), q.tensor(i).quant.scalar_zero_point)
              for i in op.inputs + op.outputs}
        assert len(qs) == 1, (name, qs)
    xs = np.random.default_rng(7).normal(size=(4, 4, 4, 3)).astype(np.float32)
    ours = run_batch(q, xs)[0]
    blob = save_tflite(q)
    for k, x in enumerate(xs):
        theirs = run_tflm(blob, x[None])[0]
        assert np.array_equal(ours[k].reshape(-1).view(np.uint8),
                              theirs.reshape(-1).view(np.uint8)), k
    want = float_ops.run_graph(model, xs)[0]
    assert np.abs(ours.reshape(want.shape) - want).max() < 0.05
    assert ours.max() <= 1.5 + 0.02 and ours.min() >= -1.0 - 0.02    # the clamp survived


def test_quantized_onnx_arithmetic_is_tflms(tmp_path):
    """PRELU (per-channel slope), LEAKY_RELU, HARD_SWISH, SUB, MAXIMUM and MINIMUM from a float
    ONNX model, quantized: TFLite Micro runs the int8 model with our bits."""
    onnx = pytest.importorskip("onnx")
    from simulator.frontend import load_onnx
    from tests.helpers import onnx_models as om
    path = tmp_path / "arith.onnx"
    onnx.save(om.arithmetic(), path)
    model = load_onnx(path)
    calib = np.random.default_rng(8).normal(size=(32, 5, 5, 2)).astype(np.float32)
    q = quantize_graph(model, calib)
    assert {"PRELU", "LEAKY_RELU", "HARD_SWISH", "SUB", "MAXIMUM", "MINIMUM"} <= {
        op.opcode for op in q.ops}
    assert all(q.tensor(i).dtype == "int8" for op in q.ops if op.opcode == "PRELU"
               for i in op.inputs + op.outputs)
    xs = np.random.default_rng(9).normal(size=(4, 5, 5, 2)).astype(np.float32)
    ours = run_batch(q, xs)[0]
    blob = save_tflite(q)
    for k, x in enumerate(xs):
        theirs = run_tflm(blob, x[None])[0]
        assert np.array_equal(ours[k].reshape(-1).view(np.uint8),
                              theirs.reshape(-1).view(np.uint8)), k
    want = float_ops.run_graph(model, xs)[0]
    err = np.abs(ours.reshape(want.shape) - want)
    # one scale (~0.04) serves SUB .. MINIMUM (shared quantization), and a test sample may
    # leave the 32-sample calibration range: bound the mean tightly, the worst loosely
    assert err.mean() < 0.03 and err.max() < 0.5, (err.mean(), err.max())
