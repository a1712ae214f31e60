"""QUANTIZE (float32 -> int8 with ties, int8 -> int8) and DEQUANTIZE (int8 -> float32):
reference vs tflite-micro, C (host) vs reference, cross-compile."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import cstructs
from tests.helpers import hostlib
from tests.helpers import ops_oracle as oo
from simulator.frontend.builder import ModelBuilder
from simulator.reference import quant

SOURCES = {"f32": "quantize/ck_quantize_f32_s8.c", "s8": "quantize/ck_requantize_s8.c",
           "deq": "quantize/ck_dequantize_s8_f32.c"}
ALL_S8 = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)


Affine = cstructs.struct("ck_affine_f32_params")
Requant = cstructs.struct("ck_requantize_s8_params")


def floats(scale, seed, n=2048, extremes=False):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(n) * 150 * scale).astype(np.float32)
    k = np.arange(-200, 200, dtype=np.float32)
    x[:400] = (k + np.float32(0.5)) * np.float32(scale)     # near ties
    x[400:402] = [0.0, -0.0]
    if extremes:
        # Beyond int32 TFLite's float->int cast is undefined (x86 gives INT32_MIN, so the
        # interpreter can return -128 for +1e30); we saturate. Only the C kernel sees these.
        x[402:404] = [1e30, -1e30]
    return x.reshape(1, n)


def cases(n, seed):
    rng = np.random.default_rng(seed)
    return [pytest.param(*oo.scale_zp(rng, 0.001, 0.5), *oo.scale_zp(rng, 0.001, 0.5), i,
                         id=f"c{i}") for i in range(n)]


def model(kind, s_in, z_in, s_out, z_out, shape):
    b = ModelBuilder()
    if kind == "f32":
        b.output(b.quantize(b.input(shape, dtype="float32"), s_out, z_out))
    elif kind == "s8":
        b.output(b.quantize(b.input(shape, scale=s_in, zero_point=z_in), s_out, z_out))
    else:
        b.output(b.dequantize(b.input(shape, scale=s_in, zero_point=z_in)))
    return b


def run_c(kind, s_in, z_in, s_out, z_out, x):
    fn = oo.kernel([SOURCES[kind]], {"f32": "ck_quantize_f32_s8", "s8": "ck_requantize_s8",
                                     "deq": "ck_dequantize_s8_f32"}[kind])
    if kind == "f32":
        p = Affine(x.size, s_out, z_out)
    elif kind == "s8":
        m, sh = quant.quantize_multiplier(s_in / s_out)
        p = Requant(x.size, z_in, z_out, m, sh)
    else:
        p = Affine(x.size, s_in, z_in)
    out = hostlib.Guarded(x.shape, np.float32 if kind == "deq" else np.int8)
    assert fn(oo.ref(p), hostlib.ptr(x), out.ptr) == 0
    assert out.intact()
    return out.value()


@pytest.mark.parametrize("kind", sorted(SOURCES))
@pytest.mark.parametrize("s_in,z_in,s_out,z_out,seed", cases(5, 1))
def test_reference_matches_tflm(kind, s_in, z_in, s_out, z_out, seed):
    x = floats(s_out, seed) if kind == "f32" else ALL_S8
    oo.check_against_tflm(model(kind, s_in, z_in, s_out, z_out, x.shape), [x])


@pytest.mark.parametrize("kind", sorted(SOURCES))
@pytest.mark.parametrize("s_in,z_in,s_out,z_out,seed", cases(15, 2))
def test_c_matches_reference(kind, s_in, z_in, s_out, z_out, seed):
    x = floats(s_out, seed, extremes=True) if kind == "f32" else ALL_S8
    g = model(kind, s_in, z_in, s_out, z_out, x.shape).build()
    oo.assert_bits_equal(run_c(kind, s_in, z_in, s_out, z_out, x), oo.reference(g, [x]))


def test_nan_maps_to_zero_point():
    x = np.array([np.nan, -np.nan], np.float32)
    assert run_c("f32", 0, 0, 0.1, 7, x).tolist() == [7, 7]


def test_rejects_bad_args():
    out = hostlib.Guarded((4,))
    x = np.zeros(4, np.float32)
    f = oo.kernel([SOURCES["f32"]], "ck_quantize_f32_s8")
    for p in (Affine(4, 0.0, 0), Affine(4, -1.0, 0), Affine(-1, 1.0, 0)):
        assert f(oo.ref(p), hostlib.ptr(x), out.ptr) == -1
    r = oo.kernel([SOURCES["s8"]], "ck_requantize_s8")
    assert r(oo.ref(Requant(4, 0, 0, 1 << 30, 31)), hostlib.ptr(x), out.ptr) == -1
    d = oo.kernel([SOURCES["deq"]], "ck_dequantize_s8_f32")
    assert d(oo.ref(Affine(4, 1.0, 0)), None, out.ptr) == -1
    assert out.untouched()


@pytest.mark.parametrize("kind", sorted(SOURCES))
@pytest.mark.parametrize("core", oo.CORES)
def test_cross_compiles(kind, core):
    assert hostlib.cross_compile(SOURCES[kind], core).exists()
