"""float32 MAX_POOL_2D, AVERAGE_POOL_2D, ADD, MUL, RELU/RELU6: C (host, emulated M4F/M7)
bit-identical to simulator/reference/float_ops.py."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest

from tests.helpers import cstructs
from tests.helpers import hostlib
from simulator.machine import Machine
from simulator.reference import float_ops as fo
from simulator.reference.padding import compute_padding

SRC = ["pooling/ck_maxpool_f32.c", "pooling/ck_avgpool_f32.c", "elementwise/ck_add_f32_bcast.c",
       "elementwise/ck_mul_f32_bcast.c", "elementwise/ck_relu_f32.c"]
BOARDS = {"cortex-m4": "nrf52840", "cortex-m7": "stm32h743"}
ACTS = {"NONE": 0, "RELU": 1, "RELU6": 2, "RELU_N1_TO_1": 3}


def pool_case(kind, seed, hw=(7, 5), c=3, f=(3, 2), stride=(2, 2), padding="SAME", act="NONE"):
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=(2, *hw, c)) * 4).astype(np.float32)
    pt, oh = compute_padding(hw[0], f[0], stride[0], 1, padding)
    pl, ow = compute_padding(hw[1], f[1], stride[1], 1, padding)
    want = fo.pool_f32(x, kind, filter_hw=f, stride=stride, pad=(pt, pl), out_hw=(oh, ow),
                       activation=act)
    p = cstructs.int32_array("ck_pool_f32_params", batches=2, in_h=hw[0], in_w=hw[1], channels=c,
                             out_h=oh, out_w=ow, filter_h=f[0], filter_w=f[1],
                             stride_h=stride[0], stride_w=stride[1], pad_top=pt, pad_left=pl,
                             activation=ACTS[act])
    return p, x, want


POOLS = [("max", dict(seed=1)), ("max", dict(seed=2, padding="VALID", act="RELU")),
         ("avg", dict(seed=3)), ("avg", dict(seed=4, f=(2, 2), act="RELU6"))]


def ew_case(seed, act):
    rng = np.random.default_rng(seed)
    a = (rng.normal(size=257) * 5).astype(np.float32)
    b = (rng.normal(size=257) * 5).astype(np.float32)
    a[:3] = [-0.0, 0.0, -1e-40]                       # signed zero, denormal
    return a, b


def same_bits(got, want):
    return np.array_equal(np.asarray(got, np.float32).view(np.uint32).reshape(-1),
                          np.asarray(want, np.float32).view(np.uint32).reshape(-1))


def host(name, *args):
    fn = getattr(hostlib.build(SRC), name)
    fn.restype = ctypes.c_int
    return fn(*[hostlib.ptr(a) if isinstance(a, np.ndarray) else ctypes.c_int32(a) for a in args])


@pytest.mark.parametrize("kind,case", POOLS)
def test_pool_bit_identical_on_host(kind, case):
    p, x, want = pool_case(kind, **case)
    out = np.zeros(want.shape, np.float32)
    assert host(f"ck_{kind}pool_f32", p, x, out) == 0 and same_bits(out, want)


@pytest.mark.parametrize("act", sorted(ACTS))
def test_add_mul_relu_bit_identical_on_host(act):
    a, b = ew_case(5, act)
    out = np.zeros_like(a)
    # same shapes are one broadcast row (outer = 1), as the lowering calls them
    assert host("ck_add_f32_bcast", 1, a.size, ACTS[act], a, b, out) == 0
    assert same_bits(out, fo.add_f32(a, b, act))
    assert host("ck_mul_f32_bcast", 1, a.size, ACTS[act], a, b, out) == 0
    assert same_bits(out, fo.mul_f32(a, b, act))
    if act in ("RELU", "RELU6"):
        assert host("ck_relu_f32", a.size, ACTS[act], a, out) == 0
        assert same_bits(out, fo.apply_activation(a, act))
    else:
        assert host("ck_relu_f32", a.size, ACTS[act], a, out) == -1


@pytest.mark.parametrize("board", sorted(BOARDS.values()))
def test_bit_identical_under_emulation(board):
    fw = Machine(board, ram="128K").build([hostlib.SRC / s for s in SRC])
    for kind, case in POOLS[1:3]:
        p, x, want = pool_case(kind, **case)
        r = fw.call(f"ck_{kind}pool_f32", p, x, np.zeros(want.shape, np.float32))
        assert r.value == 0 and same_bits(r.arrays[-1], want)
    a, b = ew_case(6, "RELU6")
    for name, fn in (("ck_add_f32_bcast", fo.add_f32), ("ck_mul_f32_bcast", fo.mul_f32)):
        r = fw.call(name, 1, a.size, 2, a, b, np.zeros_like(a))
        assert r.value == 0 and same_bits(r.arrays[-1], fn(a, b, "RELU6"))
    r = fw.call("ck_relu_f32", a.size, 1, a, np.zeros_like(a))
    assert r.value == 0 and same_bits(r.arrays[-1], fo.apply_activation(a, "RELU"))


@pytest.mark.parametrize("core", sorted(BOARDS))
@pytest.mark.parametrize("src", SRC)
def test_cross_compiles_warning_free(core, src):
    assert hostlib.cross_compile(src, core).exists()
