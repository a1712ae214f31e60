"""PAD int8, RESHAPE / SQUEEZE (ck_copy): reference vs tflite-micro, C (host) vs reference,
cross-compile."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest

from tests.helpers import cstructs
from tests.helpers import hostlib
from tests.helpers import ops_oracle as oo
from simulator.frontend.builder import ModelBuilder
from simulator.reference.shape_ops import pad4

SRC = ["shape/ck_pad_s8.c"]


Params = cstructs.struct("ck_pad_s8_params")


def cases(n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        rank = int(rng.integers(1, 5))
        shape = tuple(int(d) for d in rng.integers(1, 5, rank))
        pads = rng.integers(0, 3, (rank, 2)).tolist()
        out.append(pytest.param(shape, pads, i, id=f"c{i}"))
    return out


def build(shape, pads, seed):
    scale, zp = oo.scale_zp(np.random.default_rng(seed))
    b = ModelBuilder()
    b.output(b.pad(b.input(shape, scale=scale, zero_point=zp), pads))
    return b


@pytest.mark.parametrize("shape,pads,seed", cases(8, 1))
def test_reference_matches_tflm(shape, pads, seed):
    oo.check_against_tflm(build(shape, pads, seed), [oo.s8(np.random.default_rng(seed), shape)])


@pytest.mark.parametrize("shape,pads,seed", cases(20, 2))
def test_c_matches_reference(shape, pads, seed):
    g = build(shape, pads, seed).build()
    x = oo.s8(np.random.default_rng(seed), shape)
    dims, before, after = pad4(shape, pads)
    p = oo.struct(dict(in_dims=dims, pad_before=before, pad_after=after,
                       pad_value=g.tensor(g.outputs[0]).quant.scalar_zero_point), Params)
    out = hostlib.Guarded(g.tensor(g.outputs[0]).shape)
    assert oo.kernel(SRC, "ck_pad_s8")(oo.ref(p), hostlib.ptr(x), out.ptr) == 0
    assert out.intact()
    oo.assert_bits_equal(out.value(), oo.reference(g, [x]))


def test_rejects_bad_args():
    fn = oo.kernel(SRC, "ck_pad_s8")
    x = np.zeros(4, np.int8)
    out = hostlib.Guarded((16,))
    for d, b_, a, v in (([1, 1, 1, 0], [0] * 4, [0] * 4, 0), ([1, 1, 1, 4], [0, 0, 0, -1], [0] * 4, 0),
                        ([1, 1, 1, 4], [0] * 4, [0] * 4, 128)):
        p = oo.struct(dict(in_dims=d, pad_before=b_, pad_after=a, pad_value=v), Params)
        assert fn(oo.ref(p), hostlib.ptr(x), out.ptr) == -1
    assert out.untouched()


@pytest.mark.parametrize("how", ["reshape", "squeeze"])
def test_reshape_squeeze_against_tflm_and_copy(how):
    rng = np.random.default_rng(5)
    b = ModelBuilder()
    x = b.input((1, 1, 6, 4), scale=0.05, zero_point=3)
    b.output(b.reshape(x, (1, -1)) if how == "reshape" else b.squeeze(x, (0, 1)))
    xs = [oo.s8(rng, (1, 1, 6, 4))]
    oo.check_against_tflm(b, xs)
    out = hostlib.Guarded((24,))
    copy = oo.kernel(["shape/ck_copy.c"], "ck_copy")
    assert copy(hostlib.ptr(xs[0]), out.ptr, ctypes.c_size_t(24)) == 0
    assert out.intact()
    oo.assert_bits_equal(out.value(), oo.reference(b.build(), xs).reshape(-1))


def test_copy_overlap_and_null():
    copy = oo.kernel(["shape/ck_copy.c"], "ck_copy")
    buf = np.arange(16, dtype=np.int8)
    base = buf.ctypes.data
    assert copy(ctypes.c_void_p(base), ctypes.c_void_p(base + 3), ctypes.c_size_t(10)) == 0
    assert buf[3:13].tolist() == list(range(10))
    assert copy(None, ctypes.c_void_p(base), ctypes.c_size_t(1)) == -1
    assert copy(None, None, ctypes.c_size_t(0)) == 0


@pytest.mark.parametrize("src", ["shape/ck_pad_s8.c", "shape/ck_copy.c"])
@pytest.mark.parametrize("core", oo.CORES)
def test_cross_compiles(src, core):
    assert hostlib.cross_compile(src, core).exists()
