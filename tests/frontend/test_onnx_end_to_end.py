"""ONNX float models through ``mcusim analyze``: imported, lowered onto the float32 kernels
(logistic, tanh, mean, pad, concat, broadcast add/mul among them), built, emulated on M7 and
M4F, and compared with the NumPy reference layer by layer as float32 bit patterns."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnx.reference")  # a submodule: `import onnx` alone does not load it

from simulator.analyze import analyze  # noqa: E402
from simulator.frontend import ir_outputs_to_onnx, load_onnx, onnx_inputs_to_ir  # noqa: E402
from simulator.reference.graph import run_graph  # noqa: E402
from tests.helpers import onnx_models as om  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
NEW_KERNELS = {"ck_logistic_f32", "ck_tanh_f32", "ck_mul_f32_bcast", "ck_add_f32_bcast",
               "ck_concat_f32", "ck_pad_f32", "ck_mean_f32"}


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e") / "float_kernels.onnx"
    onnx.save(om.float_kernels(), path)
    return path


@pytest.mark.parametrize("board", ["stm32h743", "nrf52840"])
def test_float_kernel_model_is_bit_exact(model_path, board):
    g = load_onnx(model_path)
    x_nchw = np.random.default_rng(7).normal(size=(1, 2, 5, 5)).astype(np.float32)
    (x,) = onnx_inputs_to_ir(g, x_nchw)
    a = analyze(model_path, board, input=x_nchw)          # ONNX models take their own layout
    assert a.fits and a.ran and a.bit_exact, a.mismatch
    assert all(layer.bit_exact for layer in a.layers)
    assert NEW_KERNELS <= {layer.kernel for layer in a.layers}
    want = run_graph(g, [x])[g.outputs[0]]
    assert np.array_equal(a.output.view(np.uint32), want.view(np.uint32))
    # and the simulated output, back in ONNX's layout, is what ONNX's evaluator computes
    (y,) = ir_outputs_to_onnx(g, [a.output])
    (ref,) = onnx.reference.ReferenceEvaluator(om.float_kernels()).run(None, {"x": x_nchw})
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-6)   # different float implementations


def test_cli_analyze_accepts_onnx(model_path):
    r = subprocess.run([sys.executable, "-m", "simulator.cli", "analyze", str(model_path),
                        "--board", "stm32h743"], capture_output=True, text=True, cwd=ROOT,
                       timeout=180)
    assert r.returncode == 0, r.stderr
    assert "bit-exact  yes" in r.stdout and "ck_tanh_f32" in r.stdout


def test_cli_input_and_output_use_the_onnx_layout(model_path, tmp_path):
    x_nchw = np.random.default_rng(3).normal(size=(1, 2, 5, 5)).astype(np.float32)
    np.save(tmp_path / "x.npy", x_nchw)
    r = subprocess.run([sys.executable, "-m", "simulator.cli", "analyze", str(model_path), "--board",
                        "stm32h743", "--input", str(tmp_path / "x.npy"), "--save-output",
                        str(tmp_path / "y.npy")], capture_output=True, text=True, cwd=ROOT, timeout=180)
    assert r.returncode == 0, r.stderr
    y = np.load(tmp_path / "y.npy")
    (ref,) = onnx.reference.ReferenceEvaluator(om.float_kernels()).run(None, {"x": x_nchw})
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-6)   # different float implementations
    # an NHWC array is refused with the expected layout named
    np.save(tmp_path / "x_nhwc.npy", x_nchw.transpose(0, 2, 3, 1))
    r = subprocess.run([sys.executable, "-m", "simulator.cli", "analyze", str(model_path), "--input",
                        str(tmp_path / "x_nhwc.npy")], capture_output=True, text=True, cwd=ROOT, timeout=180)
    assert r.returncode == 2 and "NCHW" in r.stderr and "Traceback" not in r.stderr


def test_cli_analyze_names_the_onnx_file_on_an_unsupported_op(tmp_path):
    path = tmp_path / "elu.onnx"                  # (LeakyRelu is imported now)
    onnx.save(om.single("Elu", [1, 2, 3, 3]), path)
    r = subprocess.run([sys.executable, "-m", "simulator.cli", "analyze", str(path)],
                       capture_output=True, text=True, cwd=ROOT, timeout=180)
    assert r.returncode == 2 and "elu.onnx" in r.stderr and "Elu" in r.stderr
