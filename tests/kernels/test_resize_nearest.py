"""RESIZE_NEAREST_NEIGHBOR int8 and float32 (up and down, align_corners, half_pixel_centers):
reference vs tflite-micro, ck_resize_nearest_x8/_x32 vs reference on the host and under
emulation on Cortex-M0+/M4/M7, bad maps refused, and a model through the whole pipeline."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import cstructs
from tests.helpers import movement_cases as mc
from simulator.analyze import analyze
from simulator.reference.resize import nearest_map, resize_nearest

Params = cstructs.struct("ck_resize_nearest_params")
KERNEL = {"int8": "resize_nearest_x8", "float32": "resize_nearest_x32"}
FLAGS = [(False, False), (True, False), (False, True), (True, True)]


def cases(n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        shape = (int(rng.integers(1, 3)), *(int(d) for d in rng.integers(1, 7, 2)),
                 int(rng.integers(1, 5)))
        hw = tuple(int(d) for d in rng.integers(1, 13, 2))
        ac, hpc = FLAGS[i % 4]
        dtype = mc.DTYPES[(i // 4) % 2]
        out.append(pytest.param(shape, hw, ac, hpc, dtype, i,
                                id=f"c{i}-{dtype}-ac{int(ac)}-hpc{int(hpc)}"))
    return out


def model(shape, hw, ac, hpc, dtype, seed):
    out_shape = (shape[0], *hw, shape[3])
    return mc.one_op("RESIZE_NEAREST_NEIGHBOR", [shape], [hw], out_shape, dtype, seed,
                     align_corners=ac, half_pixel_centers=hpc)


def maps(shape, hw, ac, hpc):
    return (np.ascontiguousarray(nearest_map(shape[1], hw[0], ac, hpc)),
            np.ascontiguousarray(nearest_map(shape[2], hw[1], ac, hpc)))


def params(shape, hw):
    return Params(shape[0], shape[1], shape[2], shape[3], hw[0], hw[1])


@pytest.mark.parametrize("shape,hw,ac,hpc,dtype,seed", cases(16, 1))
def test_reference_matches_tflm(shape, hw, ac, hpc, dtype, seed):
    xs = [mc.values(shape, dtype, np.random.default_rng(seed))]
    mc.check_against_tflm(model(shape, hw, ac, hpc, dtype, seed), xs)


@pytest.mark.parametrize("shape,hw,ac,hpc,dtype,seed", cases(16, 2))
def test_c_matches_reference(shape, hw, ac, hpc, dtype, seed):
    x = mc.values(shape, dtype, np.random.default_rng(seed))
    want = resize_nearest(x, hw, ac, hpc)
    out = mc.hostlib.Guarded(want.shape, want.dtype)
    k = KERNEL[dtype]
    assert mc.host_call(f"shape/ck_{k}.c", f"ck_{k}", params(shape, hw), x,
                        *maps(shape, hw, ac, hpc), out.ptr) == 0
    assert out.intact() and np.array_equal(out.value().view(np.uint8), want.view(np.uint8))


def test_bad_maps_and_sizes_are_refused():
    x = np.zeros((1, 2, 2, 1), np.int8)
    out = mc.hostlib.Guarded((1, 3, 3, 1))
    ok = np.array([0, 1, 1], np.int32)
    for p, ym, xm in ((params(x.shape, (3, 3)), np.array([0, 2, 1], np.int32), ok),
                      (params(x.shape, (3, 3)), ok, np.array([-1, 0, 1], np.int32)),
                      (params(x.shape, (0, 3)), ok, ok), (params((1, 2, 0, 1), (3, 3)), ok, ok)):
        assert mc.host_call("shape/ck_resize_nearest_x8.c", "ck_resize_nearest_x8", p, x, ym,
                            xm, out.ptr) == -1
    assert out.untouched()


@pytest.mark.parametrize("board", mc.BOARDS)
def test_emulated_matches_reference(board):
    for case in cases(8, 3):
        shape, hw, ac, hpc, dtype, seed = case.values
        x = mc.values(shape, dtype, np.random.default_rng(seed))
        want = resize_nearest(x, hw, ac, hpc)
        status, got, intact = mc.emulated(board, f"ck_{KERNEL[dtype]}", params(shape, hw),
                                          [x.ravel(), *maps(shape, hw, ac, hpc)], want)
        assert status == 0 and intact, case.id
        assert np.array_equal(got.view(np.uint8), want.view(np.uint8)), f"{board}: {case.id}"


@pytest.mark.parametrize("dtype", mc.DTYPES)
def test_model_bit_exact(dtype):
    a = analyze(model((1, 5, 7, 8), (10, 14), False, True, dtype, 5), "stm32h743",
                schedule="plain")
    assert [l.kernel for l in a.layers] == [f"ck_{KERNEL[dtype]}"]
    assert a.bit_exact and a.fits


@pytest.mark.parametrize("src", ["shape/ck_resize_nearest_x8.c", "shape/ck_resize_nearest_x32.c"])
@pytest.mark.parametrize("core", mc.oo.CORES)
def test_cross_compiles_warning_free(src, core):
    assert mc.hostlib.cross_compile(src, core).exists()
