"""RELU and RELU6 int8 (every input value): reference vs tflite-micro, C (host) vs reference,
cross-compile."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import cstructs
from tests.helpers import hostlib
from tests.helpers import ops_oracle as oo
from simulator.frontend.builder import ModelBuilder
from simulator.reference import elementwise as ew

SRC = ["elementwise/ck_relu_s8.c"]
ALL_S8 = np.arange(-128, 128, dtype=np.int8).reshape(1, 16, 16)


Params = cstructs.struct("ck_relu_s8_params")


def cases(n):
    rng = np.random.default_rng(21)
    return [pytest.param(kind, *oo.scale_zp(rng, 0.001, 0.3), *oo.scale_zp(rng, 0.001, 0.3),
                         id=f"{kind}{i}") for i in range(n) for kind in ("RELU", "RELU6")]


def build(kind, s_in, z_in, s_out, z_out):
    b = ModelBuilder()
    x = b.input(ALL_S8.shape, scale=s_in, zero_point=z_in)
    y = (b._unary("RELU", x, scale=s_out, zp=z_out) if kind == "RELU" else b.relu6(x))
    b.output(y)
    return b


@pytest.mark.parametrize("kind,s_in,z_in,s_out,z_out", cases(6))
def test_reference_matches_tflm(kind, s_in, z_in, s_out, z_out):
    oo.check_against_tflm(build(kind, s_in, z_in, s_out, z_out), [ALL_S8])


@pytest.mark.parametrize("kind,s_in,z_in,s_out,z_out", cases(15))
def test_c_matches_reference(kind, s_in, z_in, s_out, z_out):
    g = build(kind, s_in, z_in, s_out, z_out).build()
    p = (ew.relu_params(s_in, z_in, s_out, z_out) if kind == "RELU"
         else ew.relu6_params(s_in, z_in))
    out = hostlib.Guarded(ALL_S8.shape)
    assert oo.kernel(SRC, "ck_relu_s8")(oo.ref(Params(size=256, **p)), hostlib.ptr(ALL_S8),
                                        out.ptr) == 0
    assert out.intact()
    oo.assert_bits_equal(out.value(), oo.reference(g, [ALL_S8]))


def test_rejects_bad_args():
    fn = oo.kernel(SRC, "ck_relu_s8")
    out = hostlib.Guarded((256,))
    for p in (Params(-1, 0, 0, 1 << 30, 1, 0, 127), Params(4, 0, 0, 1 << 30, 31, 0, 127),
              Params(4, 0, 0, 1 << 30, 1, 5, 4)):
        assert fn(oo.ref(p), hostlib.ptr(ALL_S8), out.ptr) == -1
    assert fn(oo.ref(Params(4, 0, 0, 1 << 30, 1, 0, 127)), hostlib.ptr(ALL_S8), None) == -1
    assert out.untouched()


@pytest.mark.parametrize("core", oo.CORES)
def test_cross_compiles(core):
    assert hostlib.cross_compile(SRC[0], core).exists()
