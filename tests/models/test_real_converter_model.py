"""A model TensorFlow's own converter wrote: the sine model the tflite-micro package ships
(`sine_float.tflite`, description "MLIR Converted."). Every bundled model in models/ was written
by our own writer; this one checks the importer, the float path and post-training quantization
on a file from the real toolchain, with TFLM's interpreter as the oracle."""
from pathlib import Path

import numpy as np
import pytest

import tflite_micro

from simulator.analyze import analyze
from simulator.frontend import load_tflite, save_tflite
from simulator.frontend.tflm_oracle import run_tflm
from simulator.quantize import quantize_graph
from simulator.reference.graph import run_graph

SINE = Path(tflite_micro.__file__).parent / "python" / "tflite_micro" / "sine_float.tflite"
pytestmark = pytest.mark.skipif(not SINE.is_file(), reason=f"{SINE} is not in this tflite-micro build")


def test_converter_file_imports_as_expected():
    g = load_tflite(SINE)
    assert g.metadata["description"] == "MLIR Converted."
    assert [op.opcode for op in g.ops] == ["FULLY_CONNECTED"] * 3
    assert [op.options["fused_activation_function"] for op in g.ops] == ["RELU", "RELU", "NONE"]
    assert g.tensor(g.inputs[0]).shape == (1, 1) and g.tensor(g.inputs[0]).dtype == "float32"


def test_float_reference_agrees_with_tflm():
    """Float32 is bit-exact between our C kernels and their NumPy mirrors (next test), not
    across implementations: TFLM's host build sums in another order (measured: 0.02640547 vs
    0.02640529 at x = 0, 96 ulp). So here, and only for float across implementations, a
    tolerance: a few float32 roundings of 16-term sums, far below the model's own error."""
    g = load_tflite(SINE)
    data = SINE.read_bytes()
    for x in np.linspace(0, 2 * np.pi, 9, dtype=np.float32):
        ours = run_graph(g, [np.array([[x]], np.float32)])[g.outputs[0]]
        theirs = run_tflm(data, np.array([[x]], np.float32))[0]
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-5)


@pytest.mark.parametrize("board", ["stm32h743", "nrf52840"])
def test_float_model_runs_bit_exact_on_the_fpu(board):
    a = analyze(SINE, board, input=np.array([[1.25]], np.float32))
    assert a.fits and a.bit_exact and a.cycles > 0
    assert abs(float(a.output.ravel()[0]) - np.sin(1.25)) < 0.1     # it learned sin(x)


def test_quantized_converter_model_matches_tflm_and_the_firmware(tmp_path):
    g = load_tflite(SINE)
    calib = np.linspace(0, 2 * np.pi, 256, dtype=np.float32).reshape(-1, 1)
    q = quantize_graph(g, calib, int8_io=True)
    path = tmp_path / "sine_int8.tflite"
    save_tflite(q, path)
    x = np.arange(-128, 128, 17, dtype=np.int8).reshape(-1, 1)
    data = path.read_bytes()
    for v in x:
        ours = run_graph(q, [v.reshape(1, 1)])[q.outputs[0]]
        assert np.array_equal(ours, run_tflm(data, v.reshape(1, 1))[0])
    a = analyze(path, "stm32h743", input=x[3].reshape(1, 1))
    assert a.fits and a.bit_exact
