"""int16x8 models (16-bit activations, 8-bit weights) have no kernels: every way such a model
reaches the lowering is a ModelError naming the op (or the I/O tensor) and the int16x8 scheme
with what to convert to, and the CLI exits 2 with one line, never a wrong answer."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simulator.analyze import analyze
from simulator.errors import ModelError
from simulator.frontend.builder import ModelBuilder
from simulator.frontend.tflite_writer import save_tflite

ROOT = Path(__file__).resolve().parents[2]


def int16_inside(opcode):
    """int8 I/O, QUANTIZE to int16, the op on int16 activations, QUANTIZE back."""
    b = ModelBuilder("int16x8")
    x = b.input((1, 8), scale=0.01, zero_point=0)
    x16 = b.tensor((1, 8), dtype="int16", scale=0.001, zero_point=0)
    b.op("QUANTIZE", [x], [x16])
    if opcode == "ADD":
        c = b.const(np.arange(8, dtype=np.int16).reshape(1, 8), "int16", scale=0.001)
        o = b.tensor((1, 8), dtype="int16", scale=0.002, zero_point=0)
        b.op("ADD", [x16, c], [o], fused_activation_function="NONE")
    else:
        w = b.const(np.ones((4, 8), np.int8), "int8", scale=0.01)
        bias = b.const(np.zeros(4, np.int64), "int64", scale=1e-5)
        o = b.tensor((1, 4), dtype="int16", scale=0.002, zero_point=0)
        b.op("FULLY_CONNECTED", [x16, w, bias], [o], fused_activation_function="NONE")
    y = b.tensor(b.shape(o), scale=0.02, zero_point=0)
    b.op("QUANTIZE", [o], [y])
    b.output(y)
    return b.build()


def int16_io():
    b = ModelBuilder("int16_io")
    x = b.input((1, 8), scale=0.001, zero_point=0, dtype="int16")
    c = b.const(np.ones((1, 8), np.int16), "int16", scale=0.001)
    o = b.tensor((1, 8), dtype="int16", scale=0.002, zero_point=0)
    b.op("ADD", [x, c], [o], fused_activation_function="NONE")
    b.output(o)
    return b.build()


@pytest.mark.parametrize("opcode", ["ADD", "FULLY_CONNECTED"])
def test_int16_activations_are_named(opcode):
    with pytest.raises(ModelError, match="int16x8") as err:
        analyze(int16_inside(opcode), "stm32h743")
    assert err.value.op_index == 0 and err.value.opcode == "QUANTIZE"    # the first int16 op
    assert "full-int8" in str(err.value)


def test_int16_io_is_named():
    with pytest.raises(ModelError, match="is int16.*int16x8"):
        analyze(int16_io(), "stm32h743")


def test_cli_exits_2_with_one_line(tmp_path):
    path = tmp_path / "int16x8.tflite"
    path.write_bytes(save_tflite(int16_inside("FULLY_CONNECTED")))
    r = subprocess.run([sys.executable, "-m", "simulator.cli", "analyze", str(path)],
                       capture_output=True, text=True, cwd=ROOT, timeout=180)
    assert r.returncode == 2, r.stderr
    assert "int16x8" in r.stderr and "Traceback" not in r.stderr
