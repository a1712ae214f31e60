"""MEAN int8 (H,W with keep_dims and other contiguous axes; same and different quantization):
reference vs tflite-micro, C (host) vs reference, cross-compile."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import cstructs
from tests.helpers import hostlib
from tests.helpers import ops_oracle as oo
from simulator.frontend.builder import ModelBuilder
from simulator.reference.reduce import mean_geometry, mean_params

SRC = ["reduce/ck_mean_s8.c"]
AXES = [((1, 2), True), ((1, 2), False), ((3,), True), ((1,), False), ((2, 3), True),
        ((0, 1, 2, 3), False)]


Params = cstructs.struct("ck_mean_s8_params")


def cases(n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        axes, keep = AXES[i % len(AXES)]
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 12)), int(rng.integers(1, 12)),
                 int(rng.integers(1, 9)))
        out.append(pytest.param(shape, axes, keep, i % 3 == 0, i, id=f"c{i}-{axes}"))
    return out


def build(shape, axes, keep, same, seed):
    rng = np.random.default_rng(seed)
    (s, z), (so, zo) = oo.scale_zp(rng), oo.scale_zp(rng)
    b = ModelBuilder()
    x = b.input(shape, scale=s, zero_point=z)
    b.output(b.mean(x, axes, keep, None if same else so, None if same else zo))
    return b


@pytest.mark.parametrize("shape,axes,keep,same,seed", cases(12, 1))
def test_reference_matches_tflm(shape, axes, keep, same, seed):
    oo.check_against_tflm(build(shape, axes, keep, same, seed),
                          [oo.s8(np.random.default_rng(seed), shape)])


@pytest.mark.parametrize("shape,axes,keep,same,seed", cases(24, 2))
def test_c_matches_reference(shape, axes, keep, same, seed):
    g = build(shape, axes, keep, same, seed).build()
    x = oo.s8(np.random.default_rng(seed), shape)
    ti, to = g.tensor(g.inputs[0]), g.tensor(g.outputs[0])
    outer, reduce, inner = mean_geometry(shape, axes)
    q = mean_params(ti.quant.scalar_scale, ti.quant.scalar_zero_point, to.quant.scalar_scale,
                    to.quant.scalar_zero_point, reduce)
    p = Params(outer, reduce, inner, **q)
    out = hostlib.Guarded(to.shape)
    assert oo.kernel(SRC, "ck_mean_s8")(oo.ref(p), hostlib.ptr(x), out.ptr) == 0
    assert out.intact()
    oo.assert_bits_equal(out.value(), oo.reference(g, [x]))


def test_rejects_bad_args():
    fn = oo.kernel(SRC, "ck_mean_s8")
    x = np.zeros(16, np.int8)
    out = hostlib.Guarded((16,))
    for p in (Params(0, 1, 1, 0, 0, 1 << 30, 1), Params(1, 1 << 23, 1, 0, 0, 1 << 30, 1),
              Params(1, 4, 1, 0, 0, 1 << 30, 31)):
        assert fn(oo.ref(p), hostlib.ptr(x), out.ptr) == -1
    assert out.untouched()


@pytest.mark.parametrize("core", oo.CORES)
def test_cross_compiles(core):
    assert hostlib.cross_compile(SRC[0], core).exists()
