"""CONV_2D / DEPTHWISE_CONV_2D int8 in place through a temporary of output rows
(ck_conv_s8_ring_inplace.c, host build, portable and DSP-emulated wrappers) against the NumPy
reference; the ring size the lowering computes (emitters_inplace.ring_rows) must equal the
kernel's own _get_buffer_size, and one byte less is refused. The cases include bands of
several rows (narrow outputs: ceil(16 / out_w) rows a call) and of one row."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest

from tests.helpers import hostlib
from simulator.lower.emitters_inplace import ring_rows, ring_scratch
from simulator.reference.conv import conv2d_s8, depthwise_conv2d_s8
from tests.helpers.conv_kernels import (CK_ARG_ERROR, CK_OK, CONV_SOURCES, conv_params, random_case,
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
        assert need == ring_scratch(c, dsp and not depthwise), f"case {i}"
        assert status == CK_OK and intact, f"case {i}"
        assert np.array_equal(got, want), f"case {i}: {np.argwhere(got != want)[:5]}"


def test_ring_refuses_short_scratch():
    c = cases(True)[0]
    assert run(c, True, False, short=1)[0] == CK_ARG_ERROR


# ---- 1x1 in place by chunks of pixels (ck_conv_s8_pointwise_inplace.c) ----------------------

PW_SOURCES = CONV_SOURCES + ["conv/ck_conv_s8_pointwise_inplace.c", "shape/ck_copy.c"]


def pointwise_cases():
    out = []
    rng = np.random.default_rng(4242)
    for in_c, out_c, h, w in [(8, 8, 5, 5), (16, 4, 3, 7), (4, 16, 4, 3), (3, 5, 1, 1),
                              (8, 16, 6, 9), (12, 12, 2, 13)]:
        c = random_case(rng, depthwise=False)
        c.update(batches=1, in_h=h, in_w=w, in_c=in_c, out_h=h, out_w=w, out_c=out_c, k_h=1,
                 k_w=1, stride_h=1, stride_w=1, dilation_h=1, dilation_w=1, pad_top=0,
                 pad_left=0)
        c["x"] = rng.integers(-128, 128, (1, h, w, in_c), dtype=np.int8)
        c["w"] = rng.integers(-127, 128, (out_c, 1, 1, in_c), dtype=np.int8)
        c["bias"] = rng.integers(-5000, 5000, out_c).astype(np.int32)
        c["per_channel"] = 1
        c["multiplier"] = np.resize(c["multiplier"], out_c)
        c["shift"] = np.resize(c["shift"], out_c)
        out.append(c)
    return out


@pytest.mark.parametrize("dsp", [False, True])
def test_pointwise_inplace_matches_reference(dsp):
    from simulator.lower.emitters_inplace import pointwise_scratch
    L = hostlib.build(PW_SOURCES, defines={"CK_DSP_EMULATE": None} if dsp else None)
    for i, c in enumerate(pointwise_cases()):
        want = conv2d_s8(c["x"], c["w"], c["bias"], **reference_kwargs(c))
        params = conv_params(c)
        size_fn = L.ck_conv_s8_pointwise_inplace_get_buffer_size
        size_fn.restype = ctypes.c_int32
        need = size_fn(hostlib.ptr(params))
        assert need == pointwise_scratch(c, dsp), f"case {i}"
        n_in, n_out = c["x"].size, want.size
        buf = np.full(max(n_in, n_out) + 16, 0x55, dtype=np.int8)
        buf[:n_in] = c["x"].reshape(-1)
        scratch = np.zeros(need, dtype=np.int8)
        fn = L.ck_conv_s8_pointwise_inplace
        fn.restype = ctypes.c_int32
        args = [hostlib.ptr(params), hostlib.ptr(buf), hostlib.ptr(c["w"]),
                hostlib.ptr(c["bias"]), hostlib.ptr(c["multiplier"]), hostlib.ptr(c["shift"]),
                hostlib.ptr(scratch)]
        assert fn(*args, ctypes.c_int32(need - 1)) == CK_ARG_ERROR
        assert fn(*args, ctypes.c_int32(need)) == CK_OK
        assert np.all(buf[max(n_in, n_out):] == 0x55)
        got = buf[:n_out].reshape(want.shape)
        assert np.array_equal(got, want), f"case {i}: {np.argwhere(got != want)[:5]}"
