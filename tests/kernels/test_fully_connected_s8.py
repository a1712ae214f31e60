"""FULLY_CONNECTED int8: C kernels (host build) against the NumPy reference, the reference
against TFLM's interpreter, and target compile checks."""
from __future__ import annotations


import numpy as np
import pytest

from tests.helpers import hostlib
from simulator.reference.fully_connected import fully_connected_s8
from tests.helpers.conv_kernels import CK_ARG_ERROR, CK_OK, check_against_tflm
from tests.helpers.fc_kernels import FC_SOURCES, call_fc, fc_lib, random_case

VARIANTS = [(False, "ck_fully_connected_s8"), (False, "ck_fully_connected_s8_wrapper"),
            (True, "ck_fully_connected_s8_dsp"), (True, "ck_fully_connected_s8_wrapper")]


def reference(c):
    return fully_connected_s8(c["x"], c["w"], c["bias"], input_zp=-c["input_offset"],
                              output_zp=c["output_offset"], multiplier=c["multiplier"],
                              shift=c["shift"], act_min=c["act_min"], act_max=c["act_max"])


CASES = [random_case(np.random.default_rng(2000 + seed)) for seed in range(200)]


@pytest.mark.parametrize("dsp,kernel", VARIANTS)
def test_fc_kernel_matches_reference(dsp, kernel):
    lib = fc_lib(dsp)
    for i, c in enumerate(CASES):
        status, got, out = call_fc(lib, kernel, c)
        assert status == CK_OK, f"case {i}"
        assert out.intact(), f"case {i}: wrote outside the output"
        want = reference(c)
        assert np.array_equal(got, want), f"case {i}: {np.argwhere(got != want)[:5]}"


def test_fc_saturating_extremes():
    rng = np.random.default_rng(5)
    for shift in (-31, 0, 7):
        c = random_case(rng)
        c["x"][:], c["w"][:] = -128, -128
        c["input_offset"] = 128
        c["multiplier"] = np.full_like(c["multiplier"], (1 << 31) - 1)
        c["shift"] = np.full_like(c["shift"], shift)
        for dsp, kernel in VARIANTS:
            status, got, _ = call_fc(fc_lib(dsp), kernel, c)
            assert status == CK_OK and np.array_equal(got, reference(c)), (shift, kernel)


@pytest.mark.parametrize("field,value", [("batches", 0), ("in_features", 65537),
                                         ("out_features", 0), ("input_offset", -128),
                                         ("act_min", -129), ("per_channel", -1)])
def test_fc_rejects_bad_params_without_writing(field, value):
    c = random_case(np.random.default_rng(6))
    c[field] = value
    for dsp, kernel in VARIANTS:
        status, _, out = call_fc(fc_lib(dsp), kernel, c)
        assert status == CK_ARG_ERROR, kernel
        assert out.untouched(), kernel


FC_TFLM_CASES = [  # (in_shape, out, activation, per_channel, keep_num_dims)
    ((1, 20), 7, "NONE", False, False),
    ((1, 20), 7, "RELU", True, False),
    ((3, 33), 10, "RELU6", False, False),
    ((2, 3, 16), 5, "NONE", False, True),
    ((1, 250), 12, "RELU6", True, False),
]


@pytest.mark.parametrize("case", FC_TFLM_CASES, ids=lambda c: "-".join(map(str, c)))
def test_fc_reference_matches_tflm(case):
    in_shape, out_c, act, per_channel, keep = case
    check_against_tflm("FULLY_CONNECTED", in_shape, None, out_c=out_c, activation=act,
                       per_channel=per_channel, keep_num_dims=keep, seed=out_c + len(in_shape))


@pytest.mark.parametrize("core", ["cortex-m4", "cortex-m7", "cortex-m0plus"])
@pytest.mark.parametrize("source", FC_SOURCES)
def test_fc_cross_compiles(core, source):
    hostlib.cross_compile(source, core)
