"""One command from a float model to a measured int8 one: ``mcusim quantize ... --board``
(float .tflite and ONNX), ONNX calibration data in NCHW, and the errors on bad data."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnx")
import onnx  # noqa: E402

from simulator.frontend import load_onnx, save_tflite  # noqa: E402
from simulator.quantize import FloatBuilder  # noqa: E402
from tests.helpers import onnx_models as om  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def mcusim(*args):
    return subprocess.run([sys.executable, "-m", "simulator.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=180)


@pytest.fixture(scope="module")
def onnx_cnn(tmp_path_factory):
    d = tmp_path_factory.mktemp("onnx")
    model = d / "cnn.onnx"
    onnx.save(om.cnn(), model)
    nchw = np.random.default_rng(0).normal(size=(16, 3, 8, 8)).astype(np.float32)
    np.save(d / "calib_nchw.npy", nchw)
    np.save(d / "calib_nhwc.npy", nchw.transpose(0, 2, 3, 1))
    return d, model


def test_onnx_quantize_and_analyze_is_one_command(onnx_cnn):
    d, model = onnx_cnn
    out = d / "q.tflite"
    r = mcusim("quantize", model, "--calibration", d / "calib_nchw.npy", "-o", out,
               "--board", "stm32h743", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["quantization"]["calibration_samples"] == 16
    assert doc["quantization"]["analysis_input"] == "first calibration sample"
    a = doc["analysis"]
    assert a["schema"] == "mcusim.analysis/2" and a["board"] == "stm32h743"
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(a, json.loads((Path(__file__).resolve().parents[2] / "docs" / "analysis.schema.json")
                                      .read_text()))
    assert a["inputs"][0]["dtype"] == "float32" and a["inputs"][0]["scale"] is None
    assert a["bit_exact"] and a["fits"] and a["cycles"] > 0
    kernels = [layer["kernel"] for layer in a["layers"]]
    assert kernels[0] == "ck_quantize_f32_s8" and kernels[-1] == "ck_dequantize_s8_f32"
    assert any(k.startswith("ck_depthwise_conv_s8") for k in kernels)
    assert out.is_file()


def test_text_report_and_tflite_model(tmp_path):
    fb = FloatBuilder("tiny")
    x = fb.input((1, 4, 4, 2))
    rng = np.random.default_rng(1)
    y = fb.conv2d(x, rng.normal(size=(3, 3, 3, 2)).astype(np.float32), activation="RELU")
    fb.output(fb.softmax(fb.fully_connected(fb.reshape(y, (1, -1)),
                                            rng.normal(size=(4, 48)).astype(np.float32))))
    src = tmp_path / "tiny_float.tflite"
    src.write_bytes(save_tflite(fb.build()))
    np.save(tmp_path / "c.npy", rng.normal(size=(8, 4, 4, 2)).astype(np.float32))
    r = mcusim("quantize", src, "--calibration", tmp_path / "c.npy", "-o", tmp_path / "q.tflite",
               "--board", "nrf52840", "--int8-io")
    assert r.returncode == 0, r.stderr
    assert "wrote" in r.stderr and "bit-exact  yes" in r.stdout and "ck_conv_s8" in r.stdout
    # without --board: as before, the summary only
    r = mcusim("quantize", src, "--calibration", tmp_path / "c.npy", "-o", tmp_path / "q2.tflite",
               "--json")
    assert r.returncode == 0 and "analysis" not in json.loads(r.stdout)


def test_analyze_exit_code_passes_through(onnx_cnn):
    d, model = onnx_cnn
    r = mcusim("quantize", model, "--calibration", d / "calib_nchw.npy", "-o", d / "q3.tflite",
               "--board", "stm32h743", "--ram", "1K")
    assert r.returncode == 2 and "does not fit" in r.stderr


def test_onnx_calibration_must_be_nchw(onnx_cnn):
    d, model = onnx_cnn
    r = mcusim("quantize", model, "--calibration", d / "calib_nhwc.npy", "-o", d / "bad.tflite")
    assert r.returncode == 2
    assert "expected float32 [N, 3, 8, 8] (NCHW, the ONNX model's layout), got float32 " \
           "[16, 8, 8, 3]" in r.stderr
    np.save(d / "ints.npy", np.zeros((4, 3, 8, 8), np.int32))
    r = mcusim("quantize", model, "--calibration", d / "ints.npy", "-o", d / "bad.tflite")
    assert r.returncode == 2 and "got int32 [4, 3, 8, 8]" in r.stderr


def test_python_api_transposes_onnx_calibration(onnx_cnn):
    from simulator.errors import QuantizationError
    from simulator.frontend import onnx_inputs_to_ir
    from simulator.quantize import quantize_graph

    d, model = onnx_cnn
    g = load_onnx(model)
    nchw = np.load(d / "calib_nchw.npy")
    (nhwc,) = onnx_inputs_to_ir(g, nchw)
    assert nhwc.shape == (16, 8, 8, 3) and np.array_equal(nhwc[3, 2, 5], nchw[3, :, 2, 5])
    q = quantize_graph(g, [nhwc])
    assert q.metadata["quantization"]["calibration_samples"] == 16
    with pytest.raises(QuantizationError, match=r"expected float32 \[N, 3, 8, 8\]"):
        onnx_inputs_to_ir(g, nchw[:, :2], error=QuantizationError)
