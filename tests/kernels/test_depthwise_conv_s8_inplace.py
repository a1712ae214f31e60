"""DEPTHWISE_CONV_2D int8 in place (ck_depthwise_conv_s8_inplace, host build) against the
NumPy reference: the output is read from the start of the same buffer that held the input."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest

from tests.helpers import hostlib
from simulator.reference.conv import depthwise_conv2d_s8
from tests.helpers.conv_kernels import CK_ARG_ERROR, CK_OK, conv_params, random_case, reference_kwargs

SOURCES = ["conv/ck_depthwise_conv_s8_inplace.c", "conv/ck_conv_check_args.c"]


def _cases():
    out = []
    for seed in range(300):
        c = random_case(np.random.default_rng(5000 + seed), depthwise=True)
        if c["depth_multiplier"] == 1 and c["out_h"] * c["out_w"] <= c["in_h"] * c["in_w"]:
            c["batches"] = 1
            c["x"] = c["x"][:1]
            out.append(c)
    return out


CASES = _cases()


def call_inplace(c, scratch_bytes=None):
    lib = hostlib.build(SOURCES)
    n_in = c["in_h"] * c["in_w"] * c["in_c"]
    n_out = c["out_h"] * c["out_w"] * c["out_c"]
    size = max(n_in, n_out)
    buf = np.full(size + 16, 0x55, dtype=np.int8)      # 16 guard bytes after the buffer
    buf[:n_in] = c["x"].reshape(-1)
    params = conv_params(c)
    need = c["out_h"] * c["out_w"] if scratch_bytes is None else scratch_bytes
    scratch = np.zeros(max(need, 1), dtype=np.int8)
    fn = lib.ck_depthwise_conv_s8_inplace
    fn.restype = ctypes.c_int32
    status = fn(hostlib.ptr(params), hostlib.ptr(buf), hostlib.ptr(c["w"]),
                hostlib.ptr(c["bias"]), hostlib.ptr(c["multiplier"]), hostlib.ptr(c["shift"]),
                hostlib.ptr(scratch), ctypes.c_int32(need))
    got = buf[:n_out].reshape(1, c["out_h"], c["out_w"], c["out_c"])
    return status, got, bool(np.all(buf[size:] == 0x55))


def test_enough_cases():
    assert len(CASES) >= 60


@pytest.mark.parametrize("i", range(0, 60))
def test_inplace_matches_reference(i):
    c = CASES[i]
    want = depthwise_conv2d_s8(c["x"], c["w"], c["bias"], depth_multiplier=1,
                               **reference_kwargs(c))
    status, got, intact = call_inplace(c)
    assert status == CK_OK
    assert intact
    assert np.array_equal(got, want), np.argwhere(got != want)[:5]


def test_inplace_rejects_small_scratch_and_multiplier():
    c = CASES[0]
    assert call_inplace(c, scratch_bytes=c["out_h"] * c["out_w"] - 1)[0] == CK_ARG_ERROR
    c2 = dict(c, depth_multiplier=2, out_c=2 * c["in_c"])
    assert call_inplace(c2)[0] == CK_ARG_ERROR
