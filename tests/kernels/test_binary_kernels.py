"""1-bit binary layers: the NumPy reference against an independent +-1 float oracle, the C
kernels against the reference on the host and under emulation on Cortex-M0+, M4 and M7."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest

from tests.helpers import cstructs
from tests.helpers import hostlib
from tests.helpers import ops_oracle as oo
from simulator.errors import QuantizationError
from simulator.machine import Machine
from simulator.reference import binary as bn
from simulator.reference import quant
from simulator.reference.conv import requantize_s8

SRC = ["binary/ck_bpack_s8.c", "binary/ck_bconv2d_s8.c", "binary/ck_bconv2d_bin.c",
       "binary/ck_bfc_s8.c", "binary/ck_bfc_bin.c"]
BOARDS = {"cortex-m0plus": "rp2040", "cortex-m4": "nrf52840", "cortex-m7": "stm32h743"}


def signs(rng, shape):
    return rng.integers(0, 2, size=shape).astype(bool)       # True = -1


def conv_case(seed, in_c, out_c, k=3, stride=1, same=True, hw=(5, 6)):
    rng = np.random.default_rng(seed)
    xb, wb = signs(rng, (1, *hw, in_c)), signs(rng, (out_c, k, k, in_c))
    pad = ((k - 1) // 2,) * 2 if same else (0, 0)
    oh = (hw[0] + 2 * pad[0] - k) // stride + 1 if not same else -(-hw[0] // stride)
    ow = (hw[1] + 2 * pad[1] - k) // stride + 1 if not same else -(-hw[1] // stride)
    if same:   # SAME with odd k: the pads above are exact for stride 1 and 2 on these sizes
        pad = (max((oh - 1) * stride + k - hw[0], 0) // 2, max((ow - 1) * stride + k - hw[1], 0) // 2)
    return rng, xb, wb, dict(channels=in_c, stride=(stride, stride), pad=pad, out_hw=(oh, ow))


def float_conv(xb, wb, stride, pad, out_hw):
    """+-1 floats, +1 padding, a plain loop: independent of the XOR/popcount formula."""
    x = np.where(xb, -1.0, 1.0)
    w = np.where(wb, -1.0, 1.0)
    n, h, wd, c = x.shape
    c_out, kh, kw, _ = w.shape
    xp = np.ones((n, h + kh + 2 * pad[0], wd + kw + 2 * pad[1], c))
    xp[:, pad[0]:pad[0] + h, pad[1]:pad[1] + wd] = x
    out = np.zeros((n, *out_hw, c_out))
    for oy in range(out_hw[0]):
        for ox in range(out_hw[1]):
            win = xp[:, oy * stride[0]:oy * stride[0] + kh, ox * stride[1]:ox * stride[1] + kw]
            out[:, oy, ox] = np.einsum("nijc,oijc->no", win, w)
    return out


@pytest.mark.parametrize("in_c,out_c,stride,same", [(32, 8, 1, True), (20, 40, 1, True),
                                                     (70, 33, 2, True), (5, 3, 1, False)])
def test_reference_conv_matches_float_oracle(in_c, out_c, stride, same):
    _, xb, wb, geo = conv_case(in_c, in_c, out_c, stride=stride, same=same)
    acc = bn.bconv2d_acc(bn.pack_bits(xb), bn.pack_bits(wb), **geo)
    np.testing.assert_array_equal(acc, float_conv(xb, wb, geo["stride"], geo["pad"], geo["out_hw"]))


def test_reference_fc_and_pack_roundtrip():
    rng = np.random.default_rng(3)
    xb, wb = signs(rng, (4, 100)), signs(rng, (7, 100))
    acc = bn.bfc_acc(bn.pack_bits(xb), bn.pack_bits(wb), in_features=100)
    np.testing.assert_array_equal(acc, np.where(xb, -1, 1) @ np.where(wb, -1, 1).T)
    np.testing.assert_array_equal(bn.unpack_bits(bn.pack_bits(xb), 100), xb)
    assert bn.pack_bits(xb).shape == (4, 4) and bn.pack_bits(xb).dtype == np.int32
    assert int(bn.pack_bits(np.eye(32, dtype=bool)[31])[0]) == -(1 << 31)   # bit 31 = sign


def test_pack_errors_and_padding_cost():
    with pytest.raises(QuantizationError, match="bool or 0/1"):
        bn.pack_bits(np.array([0.5, -1.0]))
    with pytest.raises(QuantizationError, match="cannot pack"):
        bn.pack_bits(np.zeros((3, 0), bool))
    with pytest.raises(QuantizationError, match="need 2"):
        bn.unpack_bits(np.zeros((1, 3), np.int32), 40)
    assert bn.packed_bytes((1, 4, 4, 48)) == (16 * 8, 16 * 6)     # 48 ch -> 2 words: 2 B/px padding
    assert bn.packed_bytes((1, 4, 4, 64)) == (16 * 8, 16 * 8)


# ---- C kernels ------------------------------------------------------------------------------

def epilogue(rng, out_c):
    bias = rng.integers(-50, 50, out_c).astype(np.int32)
    mult, shift = quant.quantize_multipliers(rng.uniform(0.005, 0.5, out_c))
    return bias, mult, shift


def conv_args(seed, in_c, out_c, stride=1):
    rng, xb, wb, geo = conv_case(seed, in_c, out_c, stride=stride)
    x, w = bn.pack_bits(xb).view(np.uint32), bn.pack_bits(wb).view(np.uint32)
    bias, mult, shift = epilogue(rng, out_c)
    thr = rng.integers(-9, 9, out_c).astype(np.int32)
    (in_h, in_w), (out_h, out_w) = xb.shape[1:3], geo["out_hw"]
    p = cstructs.int32_array("ck_bconv_params", batches=1, in_h=in_h, in_w=in_w, in_c=in_c,
                             out_h=out_h, out_w=out_w, out_c=out_c, k_h=3, k_w=3,
                             stride_h=geo["stride"][0], stride_w=geo["stride"][1],
                             pad_top=geo["pad"][0], pad_left=geo["pad"][1], output_offset=-5,
                             act_min=-100, act_max=120)
    acc = bn.bconv2d_acc(x, w, **geo)
    want_s8 = requantize_s8(acc, bias, mult, shift, -5, -100, 120)
    want_bin = bn.binary_output(acc, thr).view(np.uint32)
    return p, x, w, bias, mult, shift, thr, want_s8, want_bin


def fc_args(seed, in_f, out_f, rows=2):
    rng = np.random.default_rng(seed)
    xb, wb = signs(rng, (rows, in_f)), signs(rng, (out_f, in_f))
    x, w = bn.pack_bits(xb).view(np.uint32), bn.pack_bits(wb).view(np.uint32)
    bias, mult, shift = epilogue(rng, out_f)
    thr = rng.integers(-9, 9, out_f).astype(np.int32)
    p = cstructs.int32_array("ck_bfc_params", batches=rows, in_words=x.shape[1], in_features=in_f,
                             out_features=out_f, output_offset=3, act_min=-128, act_max=127)
    acc = bn.bfc_acc(x, w, in_features=in_f)
    return (p, x, w, bias, mult, shift, thr, requantize_s8(acc, bias, mult, shift, 3, -128, 127),
            bn.binary_output(acc, thr).view(np.uint32))


CONV_CASES = [(1, 32, 8, 1), (2, 20, 40, 1), (3, 70, 33, 2), (4, 500, 5, 1)]   # 500: no patch
FC_CASES = [(4, 64, 10), (5, 100, 33), (6, 7, 65)]


def _call_host(lib, name, *arrays):
    fn = getattr(lib, name)
    fn.restype = ctypes.c_int
    return fn(*[hostlib.ptr(np.ascontiguousarray(a)) for a in arrays])


@pytest.mark.parametrize("case", CONV_CASES)
def test_c_conv_matches_reference_on_host(case):
    p, x, w, bias, mult, shift, thr, want_s8, want_bin = conv_args(*case)
    lib = hostlib.build(SRC)
    out = np.zeros(want_s8.shape, np.int8)
    assert _call_host(lib, "ck_bconv2d_s8", p, x, w, bias, mult, shift, out) == 0
    oo.assert_bits_equal(out, want_s8)
    outb = np.zeros(want_bin.shape, np.uint32)
    assert _call_host(lib, "ck_bconv2d_bin", p, x, w, thr, outb) == 0
    oo.assert_bits_equal(outb, want_bin)


@pytest.mark.parametrize("case", FC_CASES)
def test_c_fc_and_pack_match_reference_on_host(case):
    p, x, w, bias, mult, shift, thr, want_s8, want_bin = fc_args(*case)
    lib = hostlib.build(SRC)
    out = np.zeros(want_s8.shape, np.int8)
    assert _call_host(lib, "ck_bfc_s8", p, x, w, bias, mult, shift, out) == 0
    oo.assert_bits_equal(out, want_s8)
    outb = np.zeros(want_bin.shape, np.uint32)
    assert _call_host(lib, "ck_bfc_bin", p, x, w, thr, outb) == 0
    oo.assert_bits_equal(outb, want_bin)
    q = np.random.default_rng(case[0]).integers(-128, 128, (6, case[1])).astype(np.int8)
    packed = np.zeros((6, bn.words_for(case[1])), np.uint32)
    fn = lib.ck_bpack_s8
    fn.restype = ctypes.c_int
    assert fn(6, case[1], -3, hostlib.ptr(q), hostlib.ptr(packed)) == 0
    oo.assert_bits_equal(packed, bn.bpack_s8(q, -3).view(np.uint32))


def test_c_rejects_bad_args():
    p, x, w, bias, mult, shift, thr, want_s8, _ = conv_args(1, 32, 8)
    lib = hostlib.build(SRC)
    out = np.full(want_s8.shape, 7, np.int8)
    for k, bad in ((3, 0), (13, 300), (14, 125)):    # in_c, output_offset, act_min > act_max
        q = p.copy()
        q[k] = bad if k != 13 else 300
        assert _call_host(lib, "ck_bconv2d_s8", q, x, w, bias, mult, shift, out) == -1
    assert np.all(out == 7)


@pytest.fixture(scope="module")
def firmwares():
    return {core: Machine(board, ram="256K").build([hostlib.SRC / s for s in SRC])
            for core, board in BOARDS.items()}


@pytest.mark.parametrize("core", sorted(BOARDS))
def test_c_matches_reference_under_emulation(firmwares, core):
    fw = firmwares[core]
    p, x, w, bias, mult, shift, thr, want_s8, want_bin = conv_args(2, 20, 40)
    r = fw.call("ck_bconv2d_s8", p, x, w, bias, mult, shift, np.zeros(want_s8.shape, np.int8))
    assert r.value == 0 and np.array_equal(r.arrays[-1], want_s8)
    r = fw.call("ck_bconv2d_bin", p, x, w, thr, np.zeros(want_bin.shape, np.uint32))
    assert r.value == 0 and np.array_equal(r.arrays[-1], want_bin)
    p, x, w, bias, mult, shift, thr, want_s8, want_bin = fc_args(5, 100, 33)
    r = fw.call("ck_bfc_s8", p, x, w, bias, mult, shift, np.zeros(want_s8.shape, np.int8))
    assert r.value == 0 and np.array_equal(r.arrays[-1], want_s8)
    r = fw.call("ck_bfc_bin", p, x, w, thr, np.zeros(want_bin.shape, np.uint32))
    assert r.value == 0 and np.array_equal(r.arrays[-1], want_bin)
    q = np.random.default_rng(9).integers(-128, 128, (4, 40)).astype(np.int8)
    r = fw.call("ck_bpack_s8", 4, 40, 2, q, np.zeros((4, 2), np.uint32))
    assert r.value == 0 and np.array_equal(r.arrays[-1], bn.bpack_s8(q, 2).view(np.uint32))


@pytest.mark.parametrize("core", sorted(hostlib.CORES))
@pytest.mark.parametrize("src", SRC)
def test_cross_compiles_warning_free(core, src):
    assert hostlib.cross_compile(src, core).exists()
