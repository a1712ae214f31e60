"""CONCATENATION int8 along every axis: reference vs tflite-micro, C (host) vs reference,
cross-compile."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest

from tests.helpers import cstructs
from tests.helpers import hostlib
from tests.helpers import ops_oracle as oo
from simulator.frontend.builder import ModelBuilder
from simulator.reference.shape_ops import concat_geometry

SRC = ["shape/ck_concat_s8.c"]


Params = cstructs.struct("ck_concat_s8_params")


def cases(n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        rank = int(rng.integers(1, 5))
        axis = int(rng.integers(-rank, rank))
        base = [int(d) for d in rng.integers(1, 5, rank)]
        shapes = []
        for _ in range(int(rng.integers(1, 5))):
            s = list(base)
            s[axis] = int(rng.integers(1, 4))
            shapes.append(tuple(s))
        out.append(pytest.param(shapes, axis, i, id=f"c{i}-axis{axis}"))
    return out


def build(shapes, axis, seed):
    scale, zp = oo.scale_zp(np.random.default_rng(seed))
    b = ModelBuilder()
    b.output(b.concatenation([b.input(s, scale=scale, zero_point=zp) for s in shapes], axis))
    return b


def inputs(shapes, seed):
    rng = np.random.default_rng(seed)
    return [oo.s8(rng, s) for s in shapes]


@pytest.mark.parametrize("shapes,axis,seed", cases(8, 1))
def test_reference_matches_tflm(shapes, axis, seed):
    oo.check_against_tflm(build(shapes, axis, seed), inputs(shapes, seed))


@pytest.mark.parametrize("shapes,axis,seed", cases(20, 2))
def test_c_matches_reference(shapes, axis, seed):
    g = build(shapes, axis, seed).build()
    xs = inputs(shapes, seed)
    outer, inner, sizes = concat_geometry(shapes, axis)
    ptrs = (ctypes.c_void_p * len(xs))(*[x.ctypes.data for x in xs])
    out = hostlib.Guarded(g.tensor(g.outputs[0]).shape)
    fn = oo.kernel(SRC, "ck_concat_s8")
    sizes = np.array(sizes, np.int32)
    status = fn(oo.ref(Params(len(xs), outer, inner)), ptrs, hostlib.ptr(sizes), out.ptr)
    assert status == 0 and out.intact()
    oo.assert_bits_equal(out.value(), oo.reference(g, xs))


def test_rejects_bad_args():
    fn = oo.kernel(SRC, "ck_concat_s8")
    x = np.zeros(4, np.int8)
    ptrs = (ctypes.c_void_p * 2)(x.ctypes.data, None)
    sizes = np.array([2, 2], np.int32)
    out = hostlib.Guarded((8,))
    for p in (Params(0, 1, 1), Params(11, 1, 1), Params(1, 0, 1), Params(2, 1, 1)):
        assert fn(oo.ref(p), ptrs, hostlib.ptr(sizes), out.ptr) == -1
    assert out.untouched()


@pytest.mark.parametrize("core", oo.CORES)
def test_cross_compiles(core):
    assert hostlib.cross_compile(SRC[0], core).exists()
