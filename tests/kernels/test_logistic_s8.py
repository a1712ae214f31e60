"""LOGISTIC and TANH int8 (every input value, random scales): reference vs tflite-micro,
C kernel (host) vs reference, cross-compile."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import cstructs
from tests.helpers import hostlib
from tests.helpers import ops_oracle as oo
from simulator.frontend.builder import ModelBuilder
from simulator.reference.activations import logistic_s8, sigmoid_params, tanh_s8

KINDS = {"logistic": (["activations/ck_logistic_s8.c"], "ck_logistic_s8", logistic_s8),
         "tanh": (["activations/ck_tanh_s8.c"], "ck_tanh_s8", tanh_s8)}
ALL_S8 = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)


Params = cstructs.struct("ck_sigmoid_s8_params")


def _cases(n):
    rng = np.random.default_rng(7)
    scales = [float(np.float32(s)) for s in rng.uniform(0.001, 0.3, n)]
    scales += [1 / 16, 1 / 32, 0.1, 0.5, 1e-4]     # powers of two, large and tiny scales
    return [pytest.param(s, int(rng.integers(-128, 128)), id=f"s{s:.4g}") for s in scales]


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("scale,zp", _cases(8))
def test_reference_matches_tflm(kind, scale, zp):
    b = ModelBuilder()
    x = b.input(ALL_S8.shape, scale=scale, zero_point=zp)
    b.output(getattr(b, kind)(x))
    oo.check_against_tflm(b, [ALL_S8])


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("scale,zp", _cases(20))
def test_c_matches_reference(kind, scale, zp):
    src, name, fn = KINDS[kind]
    m, s, r = sigmoid_params(scale)
    want = fn(ALL_S8, input_zp=zp, input_multiplier=m, input_left_shift=s, input_range_radius=r)
    out = hostlib.Guarded(ALL_S8.shape)
    p = Params(256, zp, m, s, r)
    assert oo.kernel(src, name)(oo.ref(p), hostlib.ptr(ALL_S8), out.ptr) == 0
    assert out.intact()
    oo.assert_bits_equal(out.value(), want)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_rejects_bad_args(kind):
    src, name, _ = KINDS[kind]
    out = hostlib.Guarded((256,))
    for p in (Params(-1, 0, 1 << 30, 1, 10), Params(4, 0, 1 << 30, 40, 10),
              Params(4, 0, 1 << 30, 1, -1)):
        assert oo.kernel(src, name)(oo.ref(p), hostlib.ptr(ALL_S8), out.ptr) == -1
    assert oo.kernel(src, name)(oo.ref(Params(4, 0, 1 << 30, 1, 1)), None, out.ptr) == -1
    assert out.untouched()


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("core", oo.CORES)
def test_cross_compiles(kind, core):
    assert hostlib.cross_compile(KINDS[kind][0][0], core).exists()
