"""CONV_2D / DEPTHWISE_CONV_2D int8 in place through a ring of output rows
(ck_conv_s8_ring_inplace.c, host build, portable and DSP-emulated wrappers) against the NumPy
reference; the ring size the lowering computes (emitters_inplace.ring_rows) must equal the
kernel's own _get_buffer_size, and one byte less is refused."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest

import hostlib
from simulator.lower.emitters_inplace import ring_rows
from simulator.reference.conv import conv2d_s8, depthwise_conv2d_s8
from test_conv_s8 import (CK_ARG_ERROR, CK_OK, CONV_SOURCES, conv_params, random_case,
                          reference_kwargs)

SOURCES = CONV_SOURCES + ["conv/ck_conv_s8_ring_inplace.c", "shape/ck_copy.c"]


def lib(dsp: bool):
    return hostlib.build(SOURCES, defines={"CK_DSP_EMULATE": None} if dsp else None)


def cases(depthwise: bool):
    out = []
    for seed in range(400):
        c = random_case(np.random.default_rng(7000 + seed), depthwise=depthwise)
        c["batches"] = 1
        c["x"] = c["x"][:1]
        if ring_rows(c):
            out.append(c)
        if len(out) == 40:
            break
    return out


def run(c, depthwise: bool, dsp: bool, short: int = 0):
    L = lib(dsp)
    name = "ck_depthwise_conv_s8_ring_inplace" if depthwise else "ck_conv_s8_ring_inplace"
    params = conv_params(c)
    size_fn = getattr(L, name + "_get_buffer_size")
    size_fn.restype = ctypes.c_int32
    need = size_fn(hostlib.ptr(params))
    n_in = c["in_h"] * c["in_w"] * c["in_c"]
    n_out = c["out_h"] * c["out_w"] * c["out_c"]
    buf = np.full(max(n_in, n_out) + 16, 0x55, dtype=np.int8)
    buf[:n_in] = c["x"].reshape(-1)
    scratch = np.zeros(max(need, 1), dtype=np.int8)
    fn = getattr(L, name)
    fn.restype = ctypes.c_int32
    status = fn(hostlib.ptr(params), hostlib.ptr(buf), hostlib.ptr(c["w"]),
                hostlib.ptr(c["bias"]), hostlib.ptr(c["multiplier"]), hostlib.ptr(c["shift"]),
                hostlib.ptr(scratch), ctypes.c_int32(need - short))
    got = buf[:n_out].reshape(1, c["out_h"], c["out_w"], c["out_c"])
    return status, got, need, bool(np.all(buf[max(n_in, n_out):] == 0x55))


@pytest.mark.parametrize("dsp", [False, True])
@pytest.mark.parametrize("depthwise", [False, True])
def test_ring_inplace_matches_reference(depthwise, dsp):
    cs = cases(depthwise)
    assert len(cs) >= 30
    for i, c in enumerate(cs):
        if depthwise:
            want = depthwise_conv2d_s8(c["x"], c["w"], c["bias"],
                                       depth_multiplier=c["depth_multiplier"],
                                       **reference_kwargs(c))
        else:
            want = conv2d_s8(c["x"], c["w"], c["bias"], **reference_kwargs(c))
        status, got, need, intact = run(c, depthwise, dsp)
        row = (c["out_w"] * c["out_c"] + 3) // 4 * 4
        inner = 4 * c["k_h"] * c["k_w"] * c["in_c"] if dsp and not depthwise else 0
        assert need == ring_rows(c) * row + inner, f"case {i}"
        assert status == CK_OK and intact, f"case {i}"
        assert np.array_equal(got, want), f"case {i}: {np.argwhere(got != want)[:5]}"


def test_ring_refuses_short_scratch():
    c = cases(True)[0]
    assert run(c, True, False, short=1)[0] == CK_ARG_ERROR
