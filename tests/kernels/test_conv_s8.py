"""CONV_2D int8: C kernels (host build) and the NumPy reference against each other and TFLM.

The host build checks the portable path (``ck_conv_s8``) and, with CK_DSP_EMULATE, the DSP
kernel's layout and tails through portable stand-ins for the DSP instructions; the real
DSP build is compile-checked for Cortex-M4/M7 here and run under emulation elsewhere.
"""
from __future__ import annotations

import ctypes
import time

import numpy as np
import pytest

from tests.helpers import hostlib
from simulator.reference import quant
from simulator.reference.conv import conv2d_s8
from simulator.reference.padding import activation_range_s8, compute_padding
from tests.helpers.conv_kernels import CK_ARG_ERROR, CK_NO_SCRATCH, CK_OK, CONV_SOURCES, call_conv_kernel, check_against_tflm, conv_lib, conv_params, random_case, reference_kwargs


CASES = [random_case(np.random.default_rng(seed), depthwise=False) for seed in range(120)]
VARIANTS = [(False, "ck_conv_s8"), (False, "ck_conv_s8_wrapper"), (True, "ck_conv_s8_dsp"),
            (True, "ck_conv_s8_wrapper")]


@pytest.mark.parametrize("dsp,kernel", VARIANTS)
def test_conv_kernel_matches_reference(dsp, kernel):
    lib = conv_lib(dsp)
    for i, c in enumerate(CASES):
        want = conv2d_s8(c["x"], c["w"], c["bias"], **reference_kwargs(c))
        status, got, intact = call_conv_kernel(lib, kernel, c)
        assert status == CK_OK, f"case {i}"
        assert intact, f"case {i}: wrote outside the output"
        assert np.array_equal(got, want), f"case {i}: {np.argwhere(got != want)[:5]}"


def test_conv_extreme_requantization():
    """Saturating accumulators, left shifts and the largest multipliers."""
    lib = conv_lib(False)
    rng = np.random.default_rng(7)
    for shift in (-31, -20, 0, 5, 12):
        c = random_case(rng, depthwise=False)
        n = len(c["multiplier"])
        c["multiplier"] = np.full(n, (1 << 31) - 1, np.int32)
        c["shift"] = np.full(n, shift, np.int32)
        c["x"][:] = -128
        c["w"][:] = rng.choice([-128, 127])
        want = conv2d_s8(c["x"], c["w"], c["bias"], **reference_kwargs(c))
        for dsp, kernel in VARIANTS:
            status, got, _ = call_conv_kernel(conv_lib(dsp), kernel, c)
            assert status == CK_OK and np.array_equal(got, want), (shift, kernel)
    del lib


@pytest.mark.parametrize("field,value", [("in_c", 0), ("stride_h", 0), ("dilation_w", 0),
                                         ("pad_top", -1), ("input_offset", 129),
                                         ("output_offset", 128), ("act_min", 100),
                                         ("per_channel", 2), ("k_h", 300)])
def test_conv_rejects_bad_params(field, value):
    c = random_case(np.random.default_rng(3), depthwise=False)
    c["act_max"] = 50
    c[field] = value
    if field == "k_h":
        c["in_c"] = 256  # k_h * k_w * in_c over CK_CONV_MAX_TAPS
    for dsp, kernel in VARIANTS:
        status, _, _ = call_conv_kernel(conv_lib(dsp), kernel, c, scratch_bytes=0)
        assert status == CK_ARG_ERROR, kernel


def test_conv_rejects_bad_shift_and_null():
    c = random_case(np.random.default_rng(4), depthwise=False)
    c["shift"] = np.full_like(c["shift"], 32)
    assert call_conv_kernel(conv_lib(False), "ck_conv_s8", c)[0] == CK_ARG_ERROR
    lib = conv_lib(False)
    lib.ck_conv_s8.restype = ctypes.c_int32
    assert lib.ck_conv_s8(None, None, None, None, None, None, None) == CK_ARG_ERROR


def test_conv_dsp_needs_scratch():
    c = random_case(np.random.default_rng(5), depthwise=False)
    lib = conv_lib(True)
    lib.ck_conv_s8_dsp_get_buffer_size.restype = ctypes.c_int32
    need = lib.ck_conv_s8_dsp_get_buffer_size(hostlib.ptr(conv_params(c)))
    assert need == 4 * c["k_h"] * c["k_w"] * c["in_c"]
    status, got, _ = call_conv_kernel(lib, "ck_conv_s8_dsp", c, scratch_bytes=need - 1)
    assert status == CK_NO_SCRATCH
    plain = conv_lib(False)
    plain.ck_conv_s8_wrapper_get_buffer_size.restype = ctypes.c_int32
    assert plain.ck_conv_s8_wrapper_get_buffer_size(hostlib.ptr(conv_params(c))) == 0


# ---- reference: geometry, speed ------------------------------------------------------------

@pytest.mark.parametrize("in_size,k,stride,dilation,padding,expected", [
    (49, 10, 2, 1, "SAME", (4, 25)), (10, 4, 2, 1, "SAME", (1, 5)), (5, 3, 1, 1, "VALID", (0, 3)),
    (7, 3, 2, 2, "SAME", (2, 4)), (7, 3, 2, 2, "VALID", (0, 2)), (1, 5, 1, 1, "SAME", (2, 1)),
    (6, 1, 3, 1, "SAME", (0, 2)), (4, 4, 1, 1, "SAME", (1, 4))])
def test_compute_padding(in_size, k, stride, dilation, padding, expected):
    assert compute_padding(in_size, k, stride, dilation, padding) == expected


def test_activation_range():
    assert activation_range_s8("NONE", 0.1, 3) == (-128, 127)
    assert activation_range_s8("RELU", 0.1, -20) == (-20, 127)
    assert activation_range_s8("RELU6", 6 / 255, -128) == (-128, 127)
    assert activation_range_s8("RELU6", 0.05, -10) == (-10, 110)
    assert activation_range_s8("RELU_N1_TO_1", 0.25, 0) == (-4, 4)
    # 0.5 ulp cases round half away from zero, computed in float32 like TFLite
    assert activation_range_s8("RELU6", 0.48, 0) == (0, 13)


def test_reference_is_fast():
    rng = np.random.default_rng(0)
    x = rng.integers(-128, 128, (1, 49, 10, 64), dtype=np.int8)
    w = rng.integers(-128, 128, (64, 3, 3, 64), dtype=np.int8)
    mult, shift = quant.quantize_multipliers(np.full(64, 1e-4))
    t0 = time.perf_counter()
    y = conv2d_s8(x, w, np.zeros(64, np.int32), input_zp=3, output_zp=-5, multiplier=mult,
                  shift=shift, pad=(1, 1), out_hw=(49, 10))
    assert time.perf_counter() - t0 < 1.0
    assert y.shape == (1, 49, 10, 64)


# ---- cross-compilation ----------------------------------------------------------------------

@pytest.mark.parametrize("core", ["cortex-m4", "cortex-m7", "cortex-m0plus"])
@pytest.mark.parametrize("source", CONV_SOURCES)
def test_conv_cross_compiles(core, source):
    hostlib.cross_compile(source, core)


# ---- reference vs TFLM's interpreter (single-op models) -------------------------------------


TFLM_CASES = [  # (in_shape, k, out_c, stride, dilation, padding, activation, per_channel)
    ((1, 9, 8, 3), 3, 5, 1, 1, "SAME", "NONE", True),
    ((1, 9, 8, 3), 3, 5, 1, 1, "SAME", "NONE", False),
    ((1, 9, 8, 3), 3, 5, 2, 1, "VALID", "RELU6", True),
    ((1, 9, 8, 3), 3, 5, 2, 1, "VALID", "RELU6", False),
    ((1, 10, 7, 4), (4, 2), 6, (2, 1), 1, "SAME", "RELU", True),
    ((2, 11, 9, 2), 3, 4, 1, 2, "SAME", "RELU6", False),
    ((1, 49, 10, 1), (10, 4), 8, 2, 1, "SAME", "RELU", True),
]


@pytest.mark.parametrize("case", TFLM_CASES, ids=lambda c: "-".join(map(str, c[1:])))
def test_conv_reference_matches_tflm(case):
    in_shape, k, out_c, stride, dilation, padding, act, per_channel = case
    check_against_tflm("CONV_2D", in_shape, k, out_c=out_c, stride=stride, dilation=dilation,
                       padding=padding, activation=act, per_channel=per_channel,
                       seed=sum(in_shape) + out_c)
