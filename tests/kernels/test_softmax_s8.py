"""SOFTMAX int8: reference vs tflite-micro, C kernel (host) vs reference, cross-compile."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import cstructs
from tests.helpers import hostlib
from tests.helpers import ops_oracle as oo
from simulator.frontend.builder import ModelBuilder
from simulator.reference.softmax import softmax_params, softmax_s8

SRC = ["softmax/ck_softmax_s8.c"]


Params = cstructs.struct("ck_softmax_s8_params")


def _cases(n=12):
    rng = np.random.default_rng(11)
    out = []
    for i in range(n):
        scale, zp = oo.scale_zp(rng, 0.002, 0.5)
        beta = float(rng.choice([1.0, 0.5, 2.0, 1.7, 0.1]))
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 64)))
        out.append(pytest.param(scale, zp, beta, shape, i, id=f"c{i}"))
    return out


@pytest.mark.parametrize("scale,zp,beta,shape,seed", _cases())
def test_reference_matches_tflm(scale, zp, beta, shape, seed):
    b = ModelBuilder()
    x = b.input(shape, scale=scale, zero_point=zp)
    b.output(b.softmax(x, beta=beta))
    oo.check_against_tflm(b, [oo.s8(np.random.default_rng(seed), shape)])


@pytest.mark.parametrize("scale,zp,beta,shape,seed", _cases(30))
def test_c_matches_reference(scale, zp, beta, shape, seed):
    x = oo.s8(np.random.default_rng(seed), shape)
    if seed % 5 == 0:
        x[..., :] = x[..., :1]          # ties at the maximum
    m, s, dmin = softmax_params(beta, scale)
    want = softmax_s8(x, input_multiplier=m, input_left_shift=s, diff_min=dmin)
    p = Params(rows=int(np.prod(shape[:-1])), depth=shape[-1], input_multiplier=m,
               input_left_shift=s, diff_min=dmin)
    out = hostlib.Guarded(shape)
    assert oo.kernel(SRC, "ck_softmax_s8")(oo.ref(p), hostlib.ptr(x), out.ptr) == 0
    assert out.intact()
    oo.assert_bits_equal(out.value(), want)


def test_rejects_bad_args():
    fn = oo.kernel(SRC, "ck_softmax_s8")
    x = np.zeros(4, np.int8)
    out = hostlib.Guarded((4,))
    bad = [Params(1, 0, 1 << 30, 1, -10), Params(1, 4, 0, 1, -10), Params(1, 4, 1 << 30, 32, -10),
           Params(1, 4, 1 << 30, 1, 5), Params(-1, 4, 1 << 30, 1, -10)]
    for p in bad:
        assert fn(oo.ref(p), hostlib.ptr(x), out.ptr) == -1
    assert fn(None, hostlib.ptr(x), out.ptr) == -1
    assert out.untouched()


@pytest.mark.parametrize("core", oo.CORES)
def test_cross_compiles(core):
    assert hostlib.cross_compile(SRC[0], core).exists()
