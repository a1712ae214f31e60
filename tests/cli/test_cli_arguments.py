"""Bad arguments and bad files through the CLI: a one-line error, a non-zero exit, no traceback."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers.paths import CRASHERS

FIXTURES = Path(__file__).resolve().parent / "fixtures"

REPO = Path(__file__).resolve().parents[2]
HELLO = REPO / "tests" / "machine" / "fixtures" / "hello.c"
MODEL = REPO / "models" / "digits_cnn.tflite"          # input int8 [1, 8, 8, 1]


def mcusim(*args):
    return subprocess.run([sys.executable, "-m", "simulator.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def assert_one_line_error(p, *needles, code: int = 2) -> str:
    assert p.returncode == code, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr and "internal error" not in p.stderr, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mcusim: error: "), p.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def test_unknown_board_lists_the_known_ones():
    line = assert_one_line_error(mcusim("run", HELLO, "--board", "stm32f4-discovery"),
                                 "unknown board 'stm32f4-discovery'")
    for board in ("rp2040", "nrf52840", "stm32h743", "generic-m4"):
        assert board in line


@pytest.mark.parametrize("ram", ["12Q", "-5K", "0", "1.5.K", "0x", "K", "64KB!", "99999999999999G"])
def test_malformed_ram(ram):
    assert_one_line_error(mcusim("run", HELLO, "--board", "stm32h743", f"--ram={ram}"), "--ram")


def test_missing_source_and_model_files(tmp_path):
    assert_one_line_error(mcusim("run", tmp_path / "gone.c"), "gone.c")
    assert_one_line_error(mcusim("analyze", tmp_path / "gone.tflite"), "gone.tflite")


def test_a_directory_is_not_a_model(tmp_path):
    assert_one_line_error(mcusim("analyze", tmp_path), str(tmp_path))


# ---- analyze: damaged models and inputs ----------------------------------------------------

def _bad_models(tmp_path) -> list[Path]:
    data = MODEL.read_bytes()
    made = {"empty.tflite": b"", "text.tflite": b"hello, not a model\n",
            "truncated.tflite": data[:len(data) // 2], "header-only.tflite": data[:8],
            "wrong-identifier.tflite": data[:4] + b"TFL2" + data[8:]}
    paths = []
    for name, body in made.items():
        (tmp_path / name).write_bytes(body)
        paths.append(tmp_path / name)
    return paths + sorted(CRASHERS.glob("*.tflite"))


def test_analyze_damaged_models_one_line_each(tmp_path):
    for path in _bad_models(tmp_path):
        p = mcusim("analyze", path, "--board", "stm32h743")
        assert_one_line_error(p)


def test_analyze_output_without_producer_is_a_model_error():
    """Regression (fuzzer 'graph_drop' on digits_cnn, seed 99 case 32): a well-formed file whose
    output no op produces used to end in a KeyError and 'internal error', exit 70."""
    p = mcusim("analyze", FIXTURES / "analyze_dropped_tensor.tflite", "--board", "stm32h743")
    assert_one_line_error(p)
    assert "analyze_dropped_tensor.tflite" in p.stderr and "not produced by any op" in p.stderr


@pytest.mark.parametrize("shape,dtype,needle", [
    ((3, 3), np.int8, "does not match the model input"),
    ((1, 8, 8, 2), np.int8, "does not match the model input"),
    ((1, 8, 8, 1), np.float16, "dtype float16"),     # float64: cast when exact (tests/validate)
    ((1, 8, 8, 1), np.int32, "dtype int32"),
    ((1, 8, 8, 1), np.uint8, "dtype uint8"),
])
def test_analyze_input_of_wrong_shape_or_dtype(tmp_path, shape, dtype, needle):
    x = tmp_path / "x.npy"
    np.save(x, np.zeros(shape, dtype))
    assert_one_line_error(mcusim("analyze", MODEL, "--board", "stm32h743", "--input", x), needle, "x.npy")


def test_analyze_input_that_is_not_npy(tmp_path):
    x = tmp_path / "x.npy"
    x.write_text("1 2 3\n")
    assert_one_line_error(mcusim("analyze", MODEL, "--board", "stm32h743", "--input", x), "x.npy")
    assert_one_line_error(mcusim("analyze", MODEL, "--board", "stm32h743", "--input", tmp_path / "no.npy"),
                          "no.npy")
