"""Post-training quantization: the int8 graph follows the TFLite spec, runs in TFLite Micro
with the same bits as our reference, stays close to the float model; errors name the facts."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from simulator.errors import ModelError, QuantizationError
from simulator.frontend import load_tflite, save_tflite
from simulator.quantize import FloatBuilder, choose_range, quantize_graph, run_batch
from simulator.quantize.runner import quantize_input
from simulator.reference import float_ops

pytest.importorskip("tflite_micro")
from simulator.frontend.tflm_oracle import run_tflm  # noqa: E402


def every_op_model(seed=0):
    rng = np.random.default_rng(seed)
    fb = FloatBuilder("every_op")
    x = fb.input((1, 8, 8, 3))
    a = fb.conv2d(x, rng.normal(size=(8, 3, 3, 3)) * 0.3, rng.normal(size=8) * 0.1, activation="RELU")
    b = fb.depthwise_conv2d(a, rng.normal(size=(1, 3, 3, 8)) * 0.3, rng.normal(size=8) * 0.1,
                            activation="RELU6")
    c = fb.add(fb.max_pool2d(a, 2), fb.avg_pool2d(b, 2))
    c = fb.mul(c, fb.pad(fb.avg_pool2d(fb.max_pool2d(b, 2), 3, stride=1, padding="SAME"),
                        [[0, 0], [0, 0], [0, 0], [0, 0]]))
    c = fb.concatenation([c, fb.max_pool2d(b, 2)], axis=3)
    m = fb.mean(c, [1, 2], keep_dims=False)                    # [1, 16]
    f = fb.fully_connected(fb.reshape(c, (1, -1)), rng.normal(size=(16, 256)) * 0.1,
                           rng.normal(size=16))
    f = fb.add(f, m)
    s = fb.softmax(fb.fully_connected(f, rng.normal(size=(10, 16)) * 0.5, rng.normal(size=10)))
    t = fb.tanh(fb.fully_connected(f, rng.normal(size=(4, 16)) * 0.5))
    g = fb.logistic(fb.fully_connected(f, rng.normal(size=(4, 16)) * 0.5))
    fb.output(s, t, g)
    return fb.build()


@pytest.fixture(scope="module")
def model():
    return load_tflite(save_tflite(every_op_model()))      # through a float .tflite


@pytest.fixture(scope="module")
def calib():
    return np.random.default_rng(1).normal(size=(48, 8, 8, 3)).astype(np.float32)


def _bits(a):
    return np.asarray(a).reshape(-1).view(np.uint8)


@pytest.mark.parametrize("per_channel,method", [(True, "minmax"), (False, "minmax"),
                                                 (True, "percentile"), (True, "mse")])
def test_tflm_runs_the_int8_model_with_our_bits(model, calib, per_channel, method):
    q = quantize_graph(model, calib, per_channel=per_channel, calibration=method)
    blob = save_tflite(q)
    xs = np.random.default_rng(2).normal(size=(6, 8, 8, 3)).astype(np.float32)
    ours = run_batch(q, xs)
    for k, x in enumerate(xs):
        theirs = run_tflm(blob, x[None])
        for j in range(3):
            assert np.array_equal(_bits(ours[j][k]), _bits(theirs[j])), (k, j)
    want = float_ops.run_graph(model, xs)
    for j in range(3):       # dequantized int8 outputs stay close to the float model
        assert np.abs(ours[j].reshape(want[j].shape) - want[j]).max() < 0.12, j


def test_int8_io_and_spec_properties(model, calib):
    q = quantize_graph(model, calib, int8_io=True)
    assert [q.tensor(i).dtype for i in q.inputs + q.outputs] == ["int8"] * 4
    assert q.metadata["quantization"] == {"calibration": "minmax", "per_channel": True,
                                          "calibration_samples": 48}
    for op in q.ops:
        if op.opcode in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            x, w = q.tensor(op.inputs[0]), q.tensor(op.inputs[1])
            assert w.dtype == "int8" and np.all(w.quant.zero_point == 0)
            assert np.abs(w.data.astype(int)).max() == 127 and w.data.min() >= -127
            assert w.quant.axis == (3 if op.opcode == "DEPTHWISE_CONV_2D" else 0)
            assert w.quant.scale.size == w.shape[w.quant.axis]
            if len(op.inputs) > 2 and op.inputs[2] >= 0:
                b = q.tensor(op.inputs[2])
                assert b.dtype == "int32"
                np.testing.assert_allclose(b.quant.scale, np.float32(x.quant.scale[0]) * w.quant.scale)
        if op.opcode in ("SOFTMAX", "LOGISTIC", "TANH"):
            o = q.tensor(op.outputs[0]).quant
            assert (o.scalar_scale, o.scalar_zero_point) == (
                (1 / 128, 0) if op.opcode == "TANH" else (1 / 256, -128))
        if op.opcode in ("RESHAPE", "MAX_POOL_2D", "AVERAGE_POOL_2D", "PAD", "CONCATENATION"):
            qs = {(q.tensor(i).quant.scalar_scale, q.tensor(i).quant.scalar_zero_point)
                  for i in op.inputs[:1] + op.outputs}
            assert len(qs) == 1, op.describe()
    x = quantize_input(q, calib[:3])
    blob = save_tflite(q)
    assert np.array_equal(_bits(run_batch(q, x)[0][1]), _bits(run_tflm(blob, x[1:2])[0]))


def test_per_tensor_has_one_scale(model, calib):
    q = quantize_graph(model, calib, per_channel=False)
    conv = next(op for op in q.ops if op.opcode == "CONV_2D")
    assert q.tensor(conv.inputs[1]).quant.scale.size == 1


def test_calibration_methods_narrow_the_range(model, calib):
    spread = calib.copy()
    spread[0, 0, 0, 0] = 40.0                         # one outlier
    scales = {m: quantize_graph(model, spread, calibration=m, int8_io=True)
              .tensor(model.inputs[0]).quant.scalar_scale for m in ("minmax", "percentile")}
    assert scales["percentile"] < scales["minmax"] / 3
    heavy = np.random.default_rng(4).standard_t(3, size=100_000)       # heavy tails: clip them
    lo, hi = choose_range(heavy, "mse")
    assert heavy.min() < lo < 0 < hi < heavy.max() and hi - lo < 0.9 * (heavy.max() - heavy.min())
    assert choose_range(heavy, "minmax") == (heavy.min(), heavy.max())


def test_calibration_errors_name_expected_and_got(model, calib):
    with pytest.raises(QuantizationError, match=r"expected float32 \[N, 8, 8, 3\], got float32 \[4, 8, 8\]"):
        quantize_graph(model, calib[:4, :, :, 0])
    with pytest.raises(QuantizationError, match=r"expected float32 \[N, 8, 8, 3\], got int64"):
        quantize_graph(model, np.zeros((4, 8, 8, 3), np.int64))
    with pytest.raises(QuantizationError, match="NaN"):
        quantize_graph(model, np.full((2, 8, 8, 3), np.nan, np.float32))
    with pytest.raises(QuantizationError, match=r"expected 1 array\(s\), one per model input, got 2"):
        quantize_graph(model, [calib, calib])
    with pytest.raises(QuantizationError, match="unknown calibration method"):
        quantize_graph(model, calib, calibration="kl")


def test_unsupported_op_names_index_and_opcode():
    fb = FloatBuilder()
    x = fb.input((1, 4))
    y = fb.fully_connected(x, np.ones((3, 4)))
    z = fb.tensor((1, 3), dtype="float32")
    fb.op("FLOOR", [y], [z])                    # no float32 reference (SUB has one now)
    fb.output(z)
    with pytest.raises(ModelError, match=r"op #1 \(FLOOR\)") as err:
        quantize_graph(fb.build(), np.ones((2, 4), np.float32))
    assert err.value.op_index == 1 and err.value.opcode == "FLOOR"


def test_float_reference_agrees_with_tflm_float(model):
    x = np.random.default_rng(3).normal(size=(2, 8, 8, 3)).astype(np.float32)
    blob = save_tflite(model)
    ours = float_ops.run_graph(model, x)
    for k in range(2):
        for j, theirs in enumerate(run_tflm(blob, x[k:k + 1])):
            np.testing.assert_allclose(ours[j][k], theirs.reshape(ours[j][k].shape), atol=2e-5)


def test_cli_quantize(tmp_path, model, calib):
    src, data, out = tmp_path / "f.tflite", tmp_path / "cal.npy", tmp_path / "q.tflite"
    src.write_bytes(save_tflite(model))
    np.save(data, calib)
    cmd = [sys.executable, "-m", "simulator.cli", "quantize", str(src), "--calibration", str(data),
           "-o", str(out), "--per-tensor", "--calibration-method", "mse", "--json"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert '"per_channel": false' in p.stdout and '"calibration": "mse"' in p.stdout
    q = load_tflite(out)
    assert q.tensor(q.inputs[0]).dtype == "float32" and [op.opcode for op in q.ops][0] == "QUANTIZE"
    run_tflm(out.read_bytes(), calib[:1])
    np.save(data, calib[:, :4])
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert p.returncode == 2 and "expected float32 [N, 8, 8, 3]" in p.stderr
