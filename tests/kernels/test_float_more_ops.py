"""float32 LOGISTIC, TANH, MEAN, PAD, CONCATENATION and broadcast ADD/MUL: C (host, emulated
M4F/M7) bit-identical to simulator/reference/float_ops.py (compared as uint32 bit patterns)."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest

from tests.helpers import cstructs
from tests.helpers import hostlib
from simulator.machine import Machine
from simulator.reference import float_ops as fo
from tests.helpers.opmath_cases import activations

SRC = ["activations/ck_logistic_f32.c", "activations/ck_tanh_f32.c", "reduce/ck_mean_f32.c",
       "shape/ck_pad_f32.c", "shape/ck_concat_f32.c", "elementwise/ck_add_f32_bcast.c",
       "elementwise/ck_mul_f32_bcast.c"]
BOARDS = {"cortex-m4": "nrf52840", "cortex-m7": "stm32h743"}
ACTS = {"NONE": 0, "RELU": 1, "RELU6": 2, "RELU_N1_TO_1": 3}


def same_bits(got, want):
    return np.array_equal(np.asarray(got, np.float32).view(np.uint32).reshape(-1),
                          np.asarray(want, np.float32).view(np.uint32).reshape(-1))


def mean_case(seed=1):
    x = (np.random.default_rng(seed).normal(size=(2, 5, 3, 7)) * 3).astype(np.float32)
    x[0, 0, 0, :2] = [-0.0, 1e-40]
    return x, fo.mean_f32(x, [1, 2], keep_dims=True)


def pad_case(seed=2, value=0.0):
    x = np.random.default_rng(seed).normal(size=(1, 3, 4, 2)).astype(np.float32)
    pads = np.array([[0, 0], [1, 2], [0, 3], [1, 0]], np.int32)
    p = cstructs.int32_array("ck_pad_f32_params", in_dims=x.shape, pad_before=pads[:, 0],
                             pad_after=pads[:, 1])
    return p, x, fo.pad_f32(x, pads, value)


def concat_case(seed=3, axis=2):
    rng = np.random.default_rng(seed)
    xs = [rng.normal(size=(1, 3, k, 4)).astype(np.float32) for k in (2, 1, 3)]
    want = np.concatenate(xs, axis=axis)
    outer = int(np.prod(xs[0].shape[:axis]))
    inner = int(np.prod(xs[0].shape[axis + 1:]))
    sizes = np.array([x.shape[axis] for x in xs], np.int32)
    p = cstructs.int32_array("ck_concat_f32_params", num_inputs=len(xs), outer_size=outer,
                             inner_size=inner)
    return p, xs, sizes, want


def bcast_case(seed=4, b_shape=(1, 1, 1, 5)):
    rng = np.random.default_rng(seed)
    a = (rng.normal(size=(1, 4, 3, 5)) * 4).astype(np.float32)
    b = (rng.normal(size=b_shape) * 4).astype(np.float32)
    a.reshape(-1)[:2] = [-0.0, 1e-40]
    inner = b.size
    return a, b, a.size // inner, inner


def lib():
    return hostlib.build(SRC)


def host(name, *args, argtypes=None):
    fn = getattr(lib(), name)
    fn.restype = ctypes.c_int
    if argtypes:
        fn.argtypes = argtypes
        return fn(*args)
    return fn(*[hostlib.ptr(a) if isinstance(a, np.ndarray) else ctypes.c_int32(a) for a in args])


def test_logistic_tanh_bit_identical_on_host_and_close_to_exact():
    x = activations()
    out = np.zeros_like(x)
    assert host("ck_logistic_f32", x.size, x, out) == 0
    assert same_bits(out, fo.logistic_f32(x))
    with np.errstate(over="ignore"):
        exact = 1.0 / (1.0 + np.exp(-x.astype(np.float64)))
    assert np.max(np.abs(out - exact)) < 1e-6
    assert host("ck_tanh_f32", x.size, x, out) == 0
    assert same_bits(out, fo.tanh_f32(x))
    assert np.max(np.abs(out - np.tanh(x.astype(np.float64)))) < 1e-6
    assert out[np.argmax(x)] == 1.0 and out[np.argmin(x)] == -1.0
    assert host("ck_tanh_f32", -1, x, out) == -1


def test_mean_pad_concat_bit_identical_on_host():
    x, want = mean_case()
    out = np.zeros(want.shape, np.float32)
    assert host("ck_mean_f32", 2, 15, 7, x, out) == 0 and same_bits(out, want)
    np.testing.assert_allclose(want, x.astype(np.float64).mean(axis=(1, 2), keepdims=True),
                               rtol=1e-5, atol=1e-6)
    for value in (0.0, -2.5):
        p, x, want = pad_case(value=value)
        out = np.full(want.shape, np.nan, np.float32)
        args = [hostlib.ptr(p), ctypes.c_float(value), hostlib.ptr(x), hostlib.ptr(out)]
        assert host("ck_pad_f32", *args, argtypes=[ctypes.c_void_p, ctypes.c_float,
                                                   ctypes.c_void_p, ctypes.c_void_p]) == 0
        assert same_bits(out, want)
    p, xs, sizes, want = concat_case()
    ptrs = (ctypes.c_void_p * len(xs))(*[x.ctypes.data for x in xs])
    out = np.zeros(want.shape, np.float32)
    fn = lib().ck_concat_f32
    fn.restype = ctypes.c_int
    assert fn(hostlib.ptr(p), ptrs, hostlib.ptr(sizes), hostlib.ptr(out)) == 0
    assert same_bits(out, want)


@pytest.mark.parametrize("b_shape", [(1, 1, 1, 5), (1, 1, 3, 5), (1,), (1, 4, 3, 5)])
@pytest.mark.parametrize("act", sorted(ACTS))
def test_broadcast_add_mul_bit_identical_on_host(b_shape, act):
    a, b, outer, inner = bcast_case(b_shape=b_shape)
    out = np.zeros_like(a)
    for name, fn in (("ck_add_f32_bcast", fo.add_f32), ("ck_mul_f32_bcast", fo.mul_f32)):
        assert host(name, outer, inner, ACTS[act], a, b, out) == 0
        assert same_bits(out, fn(a, b, act))
        assert same_bits(out, fn(b, a, act))          # commutative: b may come first in the IR


@pytest.mark.parametrize("board", sorted(BOARDS.values()))
def test_bit_identical_under_emulation(board):
    fw = Machine(board, ram="128K").build([hostlib.SRC / s for s in SRC])
    x = activations(seed=9, n=600)
    for name, fn in (("ck_logistic_f32", fo.logistic_f32), ("ck_tanh_f32", fo.tanh_f32)):
        r = fw.call(name, x.size, x, np.zeros_like(x))
        assert r.value == 0 and same_bits(r.arrays[-1], fn(x)), name
    x, want = mean_case()
    r = fw.call("ck_mean_f32", 2, 15, 7, x, np.zeros(want.shape, np.float32))
    assert r.value == 0 and same_bits(r.arrays[-1], want)
    p, x, want = pad_case(value=-2.5)
    r = fw.call("ck_pad_f32", p, -2.5, x, np.zeros(want.shape, np.float32))
    assert r.value == 0 and same_bits(r.arrays[-1], want)
    a, b, outer, inner = bcast_case(b_shape=(1, 1, 1, 5))
    for name, fn in (("ck_add_f32_bcast", fo.add_f32), ("ck_mul_f32_bcast", fo.mul_f32)):
        r = fw.call(name, outer, inner, 2, a, b, np.zeros_like(a))
        assert r.value == 0 and same_bits(r.arrays[-1], fn(a, b, "RELU6")), name


@pytest.mark.parametrize("core", sorted(BOARDS))
@pytest.mark.parametrize("src", SRC)
def test_cross_compiles_warning_free(core, src):
    assert hostlib.cross_compile(src, core).exists()
