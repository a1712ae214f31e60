"""float32 CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED: C (host and emulated Cortex-M4F/M7)
bit-identical to simulator/reference/float_ops.py; the reference close to float64 math."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest

from tests.helpers import cstructs
from tests.helpers import hostlib
from simulator.machine import Machine
from simulator.reference import float_ops as fo
from simulator.reference.padding import compute_padding

SRC = ["conv/ck_conv_f32.c", "conv/ck_depthwise_conv_f32.c", "fully_connected/ck_fully_connected_f32.c"]
BOARDS = {"cortex-m4": "nrf52840", "cortex-m7": "stm32h743"}
ACTS = {"NONE": 0, "RELU": 1, "RELU6": 2, "RELU_N1_TO_1": 3}


def conv_case(seed, depthwise=False, hw=(7, 6), cin=5, cout=6, k=(3, 2), stride=(2, 1),
              dilation=(1, 2), padding="SAME", act="RELU6"):
    rng = np.random.default_rng(seed)
    dm = cout // cin if depthwise else 1
    if depthwise:
        cout = cin * dm
    x = rng.normal(size=(2, *hw, cin)).astype(np.float32)
    w = rng.normal(size=(1, *k, cout) if depthwise else (cout, *k, cin)).astype(np.float32)
    b = rng.normal(size=cout).astype(np.float32)
    pt, oh = compute_padding(hw[0], k[0], stride[0], dilation[0], padding)
    pl, ow = compute_padding(hw[1], k[1], stride[1], dilation[1], padding)
    geo = dict(stride=stride, dilation=dilation, pad=(pt, pl), out_hw=(oh, ow), activation=act)
    want = (fo.depthwise_conv2d_f32(x, w, b, depth_multiplier=dm, **geo) if depthwise
            else fo.conv2d_f32(x, w, b, **geo))
    p = cstructs.int32_array("ck_conv_f32_params", batches=2, in_h=hw[0], in_w=hw[1], in_c=cin,
                             out_h=oh, out_w=ow, out_c=cout, k_h=k[0], k_w=k[1],
                             stride_h=stride[0], stride_w=stride[1], dilation_h=dilation[0],
                             dilation_w=dilation[1], pad_top=pt, pad_left=pl,
                             depth_multiplier=dm, activation=ACTS[act])
    return p, x, w, b, want


CASES = [dict(seed=1), dict(seed=2, act="NONE", padding="VALID", dilation=(1, 1)),
         dict(seed=3, cin=16, cout=8, k=(3, 3), stride=(1, 1), dilation=(1, 1), act="RELU")]
DW_CASES = [dict(seed=4, depthwise=True, cout=10), dict(seed=5, depthwise=True, cin=8, cout=8,
                                                         k=(3, 3), act="RELU_N1_TO_1")]


def fc_case(seed, rows=3, n_in=300, n_out=7, act="RELU"):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, n_in)).astype(np.float32)
    w = rng.normal(size=(n_out, n_in)).astype(np.float32)
    b = rng.normal(size=n_out).astype(np.float32)
    p = cstructs.int32_array("ck_fc_f32_params", batches=rows, in_features=n_in,
                             out_features=n_out, activation=ACTS[act])
    return p, x, w, b, fo.fully_connected_f32(x, w, b, act)


def host(name, *arrays):
    fn = getattr(hostlib.build(SRC), name)
    fn.restype = ctypes.c_int
    return fn(*[hostlib.ptr(a) for a in arrays])


def same_bits(got, want):
    return np.array_equal(np.asarray(got, np.float32).view(np.uint32).reshape(-1),
                          np.asarray(want, np.float32).view(np.uint32).reshape(-1))


def test_reference_is_close_to_float64():
    p, x, w, b, want = conv_case(1, act="NONE", dilation=(1, 1), stride=(1, 1))
    xd = np.pad(x.astype(np.float64), ((0, 0), (1, 1), (0, 1), (0, 0)))
    ref = np.zeros(want.shape)
    for oy in range(want.shape[1]):
        for ox in range(want.shape[2]):
            ref[:, oy, ox] = np.einsum("nijc,oijc->no", xd[:, oy:oy + 3, ox:ox + 2], w) + b
    np.testing.assert_allclose(want, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", CASES + DW_CASES)
def test_c_conv_bit_identical_on_host(case):
    p, x, w, b, want = conv_case(**case)
    out = np.zeros(want.shape, np.float32)
    name = "ck_depthwise_conv_f32" if case.get("depthwise") else "ck_conv_f32"
    assert host(name, p, x, w, b, out) == 0
    assert same_bits(out, want)


def test_c_fc_bit_identical_on_host_and_no_bias():
    p, x, w, b, want = fc_case(6)
    out = np.zeros(want.shape, np.float32)
    assert host("ck_fully_connected_f32", p, x, w, b, out) == 0 and same_bits(out, want)
    assert host("ck_fully_connected_f32", p, x, w, None, out) == 0
    assert same_bits(out, fo.fully_connected_f32(x, w, None, "RELU"))
    bad = p.copy()
    bad[3] = 9
    assert host("ck_fully_connected_f32", bad, x, w, b, out) == -1


@pytest.fixture(scope="module")
def firmwares():
    return {c: Machine(b, ram="256K").build([hostlib.SRC / s for s in SRC]) for c, b in BOARDS.items()}


@pytest.mark.parametrize("core", sorted(BOARDS))
def test_c_bit_identical_under_emulation(firmwares, core):
    fw = firmwares[core]
    for case in (CASES[0], DW_CASES[1]):
        p, x, w, b, want = conv_case(**case)
        name = "ck_depthwise_conv_f32" if case.get("depthwise") else "ck_conv_f32"
        r = fw.call(name, p, x, w, b, np.zeros(want.shape, np.float32))
        assert r.value == 0 and same_bits(r.arrays[-1], want), name
    p, x, w, b, want = fc_case(7, n_in=64)
    r = fw.call("ck_fully_connected_f32", p, x, w, b, np.zeros(want.shape, np.float32))
    assert r.value == 0 and same_bits(r.arrays[-1], want)


@pytest.mark.parametrize("core", sorted(BOARDS))
@pytest.mark.parametrize("src", SRC)
def test_cross_compiles_warning_free(core, src):
    assert hostlib.cross_compile(src, core).exists()
