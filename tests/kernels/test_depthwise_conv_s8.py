"""DEPTHWISE_CONV_2D int8: C kernels (host build) against the NumPy reference, and the
reference against TFLM's interpreter. Shares case generation with test_conv_s8."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import hostlib
from simulator.reference.conv import depthwise_conv2d_s8
from tests.helpers.conv_kernels import (CK_ARG_ERROR, CK_OK, CONV_SOURCES, call_conv_kernel,
                                        check_against_tflm, conv_lib, random_case, reference_kwargs)

CASES = [random_case(np.random.default_rng(1000 + seed), depthwise=True) for seed in range(150)]
VARIANTS = [(False, "ck_depthwise_conv_s8"), (False, "ck_depthwise_conv_s8_wrapper"),
            (True, "ck_depthwise_conv_s8_dsp"), (True, "ck_depthwise_conv_s8_wrapper")]


def reference(c):
    return depthwise_conv2d_s8(c["x"], c["w"], c["bias"], depth_multiplier=c["depth_multiplier"],
                               **reference_kwargs(c))


@pytest.mark.parametrize("dsp,kernel", VARIANTS)
def test_depthwise_kernel_matches_reference(dsp, kernel):
    lib = conv_lib(dsp)
    for i, c in enumerate(CASES):
        want = reference(c)
        status, got, intact = call_conv_kernel(lib, kernel, c)
        assert status == CK_OK, f"case {i}"
        assert intact, f"case {i}: wrote outside the output"
        assert np.array_equal(got, want), f"case {i}: {np.argwhere(got != want)[:5]}"


def test_depthwise_many_channels_dm1():
    """The DSP path's 4-channel groups with a channel tail, large kernels, borders."""
    rng = np.random.default_rng(99)
    for in_c in (4, 7, 32, 33):
        c = random_case(rng, depthwise=True)
        c.update(depth_multiplier=1, in_c=in_c, out_c=in_c, k_h=5, k_w=5, stride_h=1,
                 stride_w=2, dilation_h=1, dilation_w=1, in_h=9, in_w=8)
        c["pad_top"], c["out_h"], c["pad_left"], c["out_w"] = 2, 9, 2, 4
        c["x"] = rng.integers(-128, 128, (c["batches"], 9, 8, in_c), dtype=np.int8)
        c["w"] = rng.integers(-128, 128, (1, 5, 5, in_c), dtype=np.int8)
        c["bias"] = rng.integers(-3000, 3000, in_c).astype(np.int32)
        c["per_channel"] = 1
        c["multiplier"] = np.resize(c["multiplier"], in_c)
        c["shift"] = np.resize(c["shift"], in_c)
        want = reference(c)
        for dsp, kernel in VARIANTS:
            status, got, intact = call_conv_kernel(conv_lib(dsp), kernel, c)
            assert status == CK_OK and intact and np.array_equal(got, want), (in_c, kernel)


@pytest.mark.parametrize("field,value", [("depth_multiplier", 0), ("out_c", 5),
                                         ("stride_w", 0), ("act_max", 128)])
def test_depthwise_rejects_bad_params(field, value):
    c = random_case(np.random.default_rng(8), depthwise=True)
    c[field] = value
    for dsp, kernel in VARIANTS:
        status, got, _ = call_conv_kernel(conv_lib(dsp), kernel, c)
        assert status == CK_ARG_ERROR, kernel


def test_depthwise_null_bias_is_zero_bias():
    c = random_case(np.random.default_rng(12), depthwise=True)
    c["bias"] = None
    got = call_conv_kernel(conv_lib(True), "ck_depthwise_conv_s8_dsp", c)[1]
    c["bias"] = np.zeros(c["out_c"], np.int32)
    assert np.array_equal(got, reference(c))


# ---- reference vs TFLM ---------------------------------------------------------------------

TFLM_CASES = [  # (in_shape, k, dm, stride, dilation, padding, activation, per_channel)
    ((1, 9, 8, 6), 3, 1, 1, 1, "SAME", "NONE", True),
    ((1, 9, 8, 6), 3, 1, 2, 1, "VALID", "RELU6", True),
    ((1, 10, 7, 4), 3, 2, 2, 1, "SAME", "RELU", False),
    ((1, 10, 7, 3), (5, 3), 1, 1, 2, "SAME", "RELU6", False),
    ((1, 5, 5, 8), 3, 1, 1, 1, "VALID", "NONE", False),
]


@pytest.mark.parametrize("case", TFLM_CASES, ids=lambda c: "-".join(map(str, c[1:])))
def test_depthwise_reference_matches_tflm(case):
    in_shape, k, dm, stride, dilation, padding, act, per_channel = case
    check_against_tflm("DEPTHWISE_CONV_2D", in_shape, k, stride=stride, dilation=dilation,
                       padding=padding, activation=act, per_channel=per_channel,
                       depth_multiplier=dm, seed=sum(in_shape) + dm)


@pytest.mark.parametrize("core", ["cortex-m4", "cortex-m7", "cortex-m0plus"])
def test_depthwise_sources_cross_compile(core):
    for src in CONV_SOURCES:
        if "depthwise" in src:
            hostlib.cross_compile(src, core)
