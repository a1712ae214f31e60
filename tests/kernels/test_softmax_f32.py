"""float32 SOFTMAX and ck_expf: C (host, emulated M4F/M7) bit-identical to the NumPy mirror;
the exp approximation's error against float64 exp bounded and stated."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest

from tests.helpers import hostlib
from simulator.machine import Machine
from simulator.reference import float_ops as fo

SRC = ["softmax/ck_softmax_f32.c"]
BOARDS = {"cortex-m4": "nrf52840", "cortex-m7": "stm32h743"}


def ulps(a, b):
    ia = np.asarray(a, np.float32).view(np.int32).astype(np.int64)
    ib = np.asarray(b, np.float32).view(np.int32).astype(np.int64)
    return np.abs(ia - ib)


def test_expf_error_is_within_4_ulp():
    x = np.linspace(-87.0, 88.0, 400_001, dtype=np.float32)
    want = np.exp(x.astype(np.float64)).astype(np.float32)
    assert ulps(fo.expf_approx(x), want).max() <= 4
    edge = fo.expf_approx(np.array([-88.0, -87.0, 0.0, 88.5, np.nan, -np.inf, np.inf], np.float32))
    assert edge[0] == 0 and edge[2] == 1.0 and edge[3] == np.inf and np.isnan(edge[4])
    assert edge[5] == 0 and edge[6] == np.inf


def cases():
    rng = np.random.default_rng(11)
    return [(rng.normal(0, s, size=(r, d)).astype(np.float32), beta)
            for s, r, d, beta in ((1, 4, 10, 1.0), (30, 3, 17, 0.5), (0.01, 2, 5, 2.0),
                                  (200, 2, 8, 1.0))]


@pytest.mark.parametrize("x,beta", cases())
def test_c_bit_identical_on_host(x, beta):
    fn = hostlib.build(SRC).ck_softmax_f32
    fn.restype = ctypes.c_int
    fn.argtypes = [ctypes.c_int32, ctypes.c_int32, ctypes.c_float, ctypes.c_void_p, ctypes.c_void_p]
    out = np.zeros_like(x)
    assert fn(x.shape[0], x.shape[1], beta, x.ctypes.data, out.ctypes.data) == 0
    want = fo.softmax_f32(x, beta)
    assert np.array_equal(out.view(np.uint32), want.view(np.uint32))
    z = x.astype(np.float64) * beta
    e = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(want, e / e.sum(axis=1, keepdims=True), rtol=2e-6, atol=1e-30)
    assert fn(x.shape[0], x.shape[1], -1.0, x.ctypes.data, out.ctypes.data) == -1


@pytest.mark.parametrize("board", sorted(BOARDS.values()))
def test_c_bit_identical_under_emulation(board):
    fw = Machine(board, ram="128K").build([hostlib.SRC / s for s in SRC])
    for x, beta in cases():
        r = fw.call("ck_softmax_f32", x.shape[0], x.shape[1], beta, x, np.zeros_like(x))
        assert r.value == 0
        assert np.array_equal(r.arrays[-1].view(np.uint32), fo.softmax_f32(x, beta).view(np.uint32))


@pytest.mark.parametrize("core", sorted(BOARDS))
def test_cross_compiles_warning_free(core):
    assert hostlib.cross_compile(SRC[0], core).exists()
