"""FULLY_CONNECTED int8: C kernels (host build) against the NumPy reference, the reference
against TFLM's interpreter, and target compile checks."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest

from tests.helpers import cstructs
from tests.helpers import hostlib
from simulator.reference import quant
from simulator.reference.fully_connected import fully_connected_s8
from simulator.reference.padding import activation_range_s8
from tests.kernels.test_conv_s8 import CK_ARG_ERROR, CK_OK, check_against_tflm

FC_SOURCES = ["fully_connected/ck_fully_connected_s8.c",
              "fully_connected/ck_fully_connected_s8_dsp.c",
              "fully_connected/ck_fully_connected_s8_wrapper.c",
              "fully_connected/ck_fc_check_args.c"]
PARAM_FIELDS = cstructs.fields("ck_fc_params")
VARIANTS = [(False, "ck_fully_connected_s8"), (False, "ck_fully_connected_s8_wrapper"),
            (True, "ck_fully_connected_s8_dsp"), (True, "ck_fully_connected_s8_wrapper")]


def fc_lib(dsp: bool) -> ctypes.CDLL:
    return hostlib.build(FC_SOURCES, defines={"CK_DSP_EMULATE": None} if dsp else None)


def random_case(rng) -> dict:
    c = dict(batches=int(rng.integers(1, 4)),
             in_features=int(rng.choice([1, 2, 3, 4, 5, 7, 8, 16, 31, 64, 250])),
             out_features=int(rng.integers(1, 20)), per_channel=int(rng.integers(0, 2)))
    input_zp, output_zp = int(rng.integers(-128, 128)), int(rng.integers(-40, 40))
    c["input_offset"], c["output_offset"] = -input_zp, output_zp
    n_q = c["out_features"] if c["per_channel"] else 1
    real = np.exp(rng.uniform(np.log(0.1), np.log(10.0), n_q)) * 0.01 / np.sqrt(c["in_features"])
    if rng.random() < 0.1:
        real = rng.uniform(1.0, 300.0, n_q)
    c["multiplier"], c["shift"] = quant.quantize_multipliers(real)
    c["act_min"], c["act_max"] = activation_range_s8(
        str(rng.choice(["NONE", "NONE", "RELU", "RELU6"])), float(rng.uniform(0.01, 0.1)),
        output_zp)
    c["x"] = rng.integers(-128, 128, (c["batches"], c["in_features"]), dtype=np.int8)
    c["w"] = rng.integers(-128, 128, (c["out_features"], c["in_features"]), dtype=np.int8)
    c["bias"] = (None if rng.random() < 0.2 else
                 (rng.integers(-5000, 5000, c["out_features"])
                  * np.sqrt(c["in_features"])).astype(np.int32))
    return c


def reference(c):
    return fully_connected_s8(c["x"], c["w"], c["bias"], input_zp=-c["input_offset"],
                              output_zp=c["output_offset"], multiplier=c["multiplier"],
                              shift=c["shift"], act_min=c["act_min"], act_max=c["act_max"])


def call_fc(lib, name, c):
    params = np.array([c[f] for f in PARAM_FIELDS], dtype=np.int32)
    out = hostlib.Guarded((c["batches"], c["out_features"]))
    fn = getattr(lib, name)
    fn.restype = ctypes.c_int32
    status = fn(hostlib.ptr(params), hostlib.ptr(c["x"]), hostlib.ptr(c["w"]),
                hostlib.ptr(c["bias"]), hostlib.ptr(c["multiplier"]), hostlib.ptr(c["shift"]),
                out.ptr)
    return status, out.value(), out


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
