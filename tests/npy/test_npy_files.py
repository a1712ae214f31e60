"""User .npy files are untrusted: the header is checked against a size bound before anything is
loaded, non-finite values are named as the input's fault (issue 10, item 9)."""
from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest

from simulator.analyze import prepare_input
from simulator.errors import ConfigError, QuantizationError
from simulator.frontend import load_model
from simulator.fuzz.seeds import MODELS_DIR
from simulator.npy import load_npy
from simulator.quantize.calibration import load_calibration
from simulator.quantize.ptq import quantize_graph

FLOAT_MODEL = MODELS_DIR / "digits_float.tflite"


@pytest.fixture(scope="module")
def float_graph():
    return load_model(FLOAT_MODEL)


def _declaring(tmp_path, shape, descr="<f4", body=b"\0" * 64):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    path = tmp_path / "x.npy"
    path.write_bytes(buf.getvalue() + body)
    return path


@pytest.mark.parametrize("shape", [(2**40,), (10**20,), (1, 8, 8, 2**40), (4294967296, 8, 8, 1)])
def test_header_declaring_too_much_is_refused_before_loading(tmp_path, float_graph, shape):
    path = _declaring(tmp_path, shape)
    with pytest.raises(ConfigError, match="the header declares"):
        prepare_input(float_graph, path)
    with pytest.raises(QuantizationError, match="the header declares"):
        load_calibration(float_graph, path)


@pytest.mark.parametrize("descr, words", [("|O", "not a plain number"), ("<U4", "not a plain number"),
                                          ("|V8", "not a plain number")])
def test_non_numeric_dtypes_are_refused(tmp_path, descr, words):
    with pytest.raises(ConfigError, match=words):
        load_npy(_declaring(tmp_path, (2,), descr))


def test_truncated_data_and_broken_headers_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="file holds 64"):
        load_npy(_declaring(tmp_path, (1, 8, 8, 1)))          # 256 bytes declared
    path = tmp_path / "y.npy"
    path.write_bytes(b"\x93NUMPY\x01\x00\xff\x00{'descr': '<f4', (")
    with pytest.raises(ConfigError, match="not a .npy array"):
        load_npy(path)


def test_calibration_beyond_float32_range_is_a_quantization_error(tmp_path, float_graph):
    path = tmp_path / "cal.npy"
    np.save(path, np.full((4, 8, 8, 1), 3e38, np.float32))
    with pytest.raises(QuantizationError, match=r"tensor #\d+ .*NaN or infinity"):
        quantize_graph(float_graph, load_calibration(float_graph, path))
    np.save(path, np.full((4, 8, 8, 1), 1e300, np.float64))     # finite, but not as float32
    with pytest.raises(QuantizationError, match="beyond float32"):
        quantize_graph(float_graph, load_calibration(float_graph, path))


def test_inf_in_a_float_input_names_the_input_file_not_the_model(tmp_path):
    x = np.zeros((1, 8, 8, 1), np.float32)
    x[0, 3, 2, 0] = np.inf
    path = tmp_path / "x.npy"
    np.save(path, x)
    p = subprocess.run([sys.executable, "-m", "simulator.cli", "analyze", str(FLOAT_MODEL), "--board",
                        "stm32h743", "--input", str(path)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [f"mcusim: error: {path}: input holds 1 non-finite value(s) "
                                             "(inf or NaN): pass finite numbers"]
