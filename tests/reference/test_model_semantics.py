"""Numbers the model defines, answered as the Arm target would (issue 10, item 8).

- NaN: an operation with no numeric result gives Arm's default NaN 0x7FC00000 (sign 0), where
  NumPy on x86 gives 0xFFC00000; the reference now produces the Arm pattern, and a NaN that
  flows into later ops is propagated unchanged, on every core (FPU or soft-float).
- A layer whose quantization parameters a kernel refuses (output scale 1e-38) is a ModelError
  naming the layer, op and parameter, exit 2, not a bit mismatch.
"""
from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from simulator.analyze import analyze
from simulator.errors import ModelError
from simulator.frontend.builder import ModelBuilder
from simulator.frontend.tflite_writer import save_tflite
from simulator.quantize.float_model import FloatBuilder
from simulator.reference.float_ops import ARM_DEFAULT_NAN, X86_DEFAULT_NAN, arm_nans

REPO = Path(__file__).resolve().parents[2]
NAN_BOARDS = ["rp2040", "nrf52840", "stm32h743", "generic-m33"]     # M0+ (soft float), M4, M7, M33


def _nan_model():
    """FC: 2*3e38 + (-2)*3e38 = inf + -inf -> NaN (generated); channel 2 overflows to +inf.
    MUL by [0, 1, 0]: NaN * 0 (propagated), finite * 1, inf * 0 (generated again)."""
    fb = FloatBuilder("nan_paths")
    x = fb.input((1, 4))
    w = np.array([[3e38, 3e38, 1, 1], [1, 2, 3, 4], [3e38, 0, 0, 0]], np.float32)
    y = fb.fully_connected(x, w, np.zeros(3, np.float32))
    k = fb._const(np.array([[0, 1, 0]], np.float32), "mask")
    fb.output(fb.mul(y, k))
    return fb.build()


X = np.array([[2, -2, 0.1, 0.2]], np.float32)


@pytest.mark.parametrize("board", NAN_BOARDS)
def test_generated_and_propagated_nans_match_the_arm_kernels(board):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)          # NumPy's overflow notes
        a = analyze(_nan_model(), board, input=X)
    assert a.bit_exact, a.mismatch
    bits = a.output.view(np.uint32).reshape(-1)
    assert bits[0] == ARM_DEFAULT_NAN and bits[2] == ARM_DEFAULT_NAN
    assert np.array_equal(a.reference_output.view(np.uint32), a.output.view(np.uint32))


def test_arm_nans_rewrites_only_generated_nans():
    with np.errstate(invalid="ignore"):
        generated = np.array([np.inf], np.float32) - np.array([np.inf], np.float32)
    assert generated.view(np.uint32)[0] == X86_DEFAULT_NAN           # the host's own pattern
    assert arm_nans(generated).view(np.uint32)[0] == ARM_DEFAULT_NAN
    # an operand that already held 0xFFC00000 propagates it: left as it is
    held = np.array([X86_DEFAULT_NAN], np.uint32).view(np.float32)
    assert arm_nans(held * np.float32(2), [held]).view(np.uint32)[0] == X86_DEFAULT_NAN
    # other NaN payloads and ordinary numbers are untouched
    payload = np.array([0x7FC01234, 0x3F800000], np.uint32).view(np.float32)
    assert np.array_equal(arm_nans(payload).view(np.uint32), payload.view(np.uint32))


# ---- quantization parameters a kernel refuses ---------------------------------------------------

def _tiny_scale_conv():
    b = ModelBuilder("tiny_scale")
    x = b.input((1, 4, 4, 2), scale=0.05, zero_point=0)
    w = np.random.default_rng(0).uniform(-1, 1, (3, 3, 3, 2)).astype(np.float32)
    b.output(b.conv2d(x, w, None, out_scale=1e-38, out_zp=0, name="tiny_out"))
    return b.build()


def test_output_scale_1e_38_is_a_model_error_naming_layer_and_scale():
    with pytest.raises(ModelError) as exc:
        analyze(_tiny_scale_conv(), "stm32h743")
    err = exc.value
    assert err.op_index == 0 and err.opcode == "CONV_2D"
    assert "'tiny_out'" in str(err) and "output scale 1e-38" in str(err)
    assert "shift of +" in str(err) and "-31..31" in str(err)


def test_a_kernel_refusing_parameters_is_a_model_error_not_a_mismatch():
    """ADD's output shift out of range: no pre-check knows it, the kernel returns CK_ARG_ERROR."""
    b = ModelBuilder("tiny_add")
    x = b.input((1, 4, 4, 2), scale=0.05, zero_point=0)
    b.output(b.add(x, x, out_scale=1e-38, out_zp=0, name="sum_out"))
    with pytest.raises(ModelError) as exc:
        analyze(b.build(), "stm32h743")
    err = exc.value
    assert err.op_index == 0 and err.opcode == "ADD"
    assert "'sum_out'" in str(err) and "ck_add_s8" in str(err) and "CK_ARG_ERROR" in str(err)


def test_cli_exit_2_in_one_line(tmp_path):
    path = tmp_path / "tiny_scale.tflite"
    save_tflite(_tiny_scale_conv(), path)
    p = subprocess.run([sys.executable, "-m", "simulator.cli", "analyze", str(path), "--board",
                        "nrf52840"], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"mcusim: error: {path}: op #0 (CONV_2D)")
    assert "output scale 1e-38" in lines[0]
