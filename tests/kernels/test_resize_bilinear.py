"""RESIZE_BILINEAR int8 (TFLite's integer arithmetic) and float32 (its float order), up and down,
align_corners, half_pixel_centers: reference vs tflite-micro, ck_resize_bilinear_s8/_f32 vs
reference on the host and under emulation on Cortex-M0+/M4/M7 (M0+ in software float), bad
arguments refused, and a model through the whole pipeline."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import cstructs
from tests.helpers import movement_cases as mc
from simulator.analyze import analyze
from simulator.errors import ModelError
from simulator.reference.resize import (float_scale, resize_bilinear_f32, resize_bilinear_s8,
                                        scale_10)

PARAMS = {"int8": cstructs.struct("ck_resize_bilinear_s8_params"),
          "float32": cstructs.struct("ck_resize_bilinear_f32_params")}
KERNEL = {"int8": "resize_bilinear_s8", "float32": "resize_bilinear_f32"}
FLAGS = [(False, False), (True, False), (False, True)]   # TFLite rejects both at once


def cases(n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        shape = (int(rng.integers(1, 3)), *(int(d) for d in rng.integers(1, 7, 2)),
                 int(rng.integers(1, 5)))
        hw = tuple(int(d) for d in rng.integers(1, 13, 2))
        ac, hpc = FLAGS[i % 3]
        dtype = mc.DTYPES[(i // 3) % 2]
        out.append(pytest.param(shape, hw, ac, hpc, dtype, i,
                                id=f"c{i}-{dtype}-ac{int(ac)}-hpc{int(hpc)}"))
    return out


def model(shape, hw, ac, hpc, dtype, seed):
    out_shape = (shape[0], *hw, shape[3])
    return mc.one_op("RESIZE_BILINEAR", [shape], [hw], out_shape, dtype, seed,
                     align_corners=ac, half_pixel_centers=hpc)


def want(x, hw, ac, hpc):
    fn = resize_bilinear_f32 if x.dtype == np.float32 else resize_bilinear_s8
    return fn(x, hw, ac, hpc)


def params(shape, hw, ac, hpc, dtype):
    geo = (shape[0], shape[1], shape[2], shape[3], hw[0], hw[1])
    if dtype == "int8":
        scales = (scale_10(shape[1], hw[0], ac), scale_10(shape[2], hw[1], ac))
    else:
        scales = (float_scale(shape[1], hw[0], ac), float_scale(shape[2], hw[1], ac))
    return PARAMS[dtype](*geo, *scales, int(hpc))


@pytest.mark.parametrize("shape,hw,ac,hpc,dtype,seed", cases(18, 1))
def test_reference_matches_tflm(shape, hw, ac, hpc, dtype, seed):
    xs = [mc.values(shape, dtype, np.random.default_rng(seed))]
    mc.check_against_tflm(model(shape, hw, ac, hpc, dtype, seed), xs)


def test_int8_extremes_match_tflm():
    """Every tap at -128 or 127: the rounding of the largest sums (both signs)."""
    x = np.where(np.random.default_rng(4).random((1, 3, 5, 4)) < 0.5, -128, 127).astype(np.int8)
    for ac, hpc in FLAGS:
        mc.check_against_tflm(model(x.shape, (7, 9), ac, hpc, "int8", 0), [x])


@pytest.mark.parametrize("shape,hw,ac,hpc,dtype,seed", cases(18, 2))
def test_c_matches_reference(shape, hw, ac, hpc, dtype, seed):
    x = mc.values(shape, dtype, np.random.default_rng(seed))
    w = want(x, hw, ac, hpc)
    out = mc.hostlib.Guarded(w.shape, w.dtype)
    k = KERNEL[dtype]
    assert mc.host_call(f"shape/ck_{k}.c", f"ck_{k}", params(shape, hw, ac, hpc, dtype), x,
                        out.ptr) == 0
    assert out.intact() and np.array_equal(out.value().view(np.uint8), w.view(np.uint8))


def test_bad_arguments_are_refused():
    x = np.zeros((1, 2, 2, 1), np.int8)
    out = mc.hostlib.Guarded((1, 3, 3, 1))
    P = PARAMS["int8"]
    for p in (P(1, 2, 2, 1, 3, 3, -1, 683, 0), P(1, 2, 2, 1, 3, 3, 683, 683, 2),
              P(1, 2, 2, 0, 3, 3, 683, 683, 0),
              P(1, 2, 2, 1, 3, 3, 1024, 683, 0)):      # row 2 * 1024 lands past row 1
        assert mc.host_call("shape/ck_resize_bilinear_s8.c", "ck_resize_bilinear_s8", p, x,
                            out.ptr) == -1
    assert out.untouched()
    F = PARAMS["float32"]
    xf, outf = np.zeros((1, 2, 2, 1), np.float32), mc.hostlib.Guarded((1, 3, 3, 1), np.float32)
    for p in (F(1, 2, 2, 1, 3, 3, -0.5, 0.5, 0), F(1, 2, 2, 1, 3, 3, float("nan"), 0.5, 0),
              F(1, 2, 2, 1, 3, 3, 1e30, 0.5, 0), F(1, 2, 2, 1, 3, 3, 0.5, 0.5, 2)):
        assert mc.host_call("shape/ck_resize_bilinear_f32.c", "ck_resize_bilinear_f32", p, xf,
                            outf.ptr) == -1
    assert outf.untouched()
    with pytest.raises(ModelError, match="align_corners and half_pixel_centers"):
        mc.reference(model((1, 2, 2, 1), (3, 3), True, True, "int8", 0), [x])


@pytest.mark.parametrize("board", mc.BOARDS)
def test_emulated_matches_reference(board):
    for case in cases(6, 3):
        shape, hw, ac, hpc, dtype, seed = case.values
        x = mc.values(shape, dtype, np.random.default_rng(seed))
        w = want(x, hw, ac, hpc)
        status, got, intact = mc.emulated(board, f"ck_{KERNEL[dtype]}",
                                          params(shape, hw, ac, hpc, dtype), [x.ravel()], w)
        assert status == 0 and intact, case.id
        assert np.array_equal(got.view(np.uint8), w.view(np.uint8)), f"{board}: {case.id}"


@pytest.mark.parametrize("dtype", mc.DTYPES)
def test_model_bit_exact(dtype):
    a = analyze(model((1, 5, 7, 8), (10, 14), False, True, dtype, 5), "stm32h743",
                schedule="plain")
    assert [l.kernel for l in a.layers] == [f"ck_{KERNEL[dtype]}"]
    assert a.bit_exact and a.fits


@pytest.mark.parametrize("src", ["shape/ck_resize_bilinear_s8.c", "shape/ck_resize_bilinear_f32.c"])
@pytest.mark.parametrize("core", mc.oo.CORES)
def test_cross_compiles_warning_free(src, core):
    assert mc.hostlib.cross_compile(src, core).exists()
