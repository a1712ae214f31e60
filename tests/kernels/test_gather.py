"""GATHER int8 and float32 with constant indices (any axis, 0-D to 2-D index tensors):
reference vs tflite-micro, ck_gather_x8/_x32 vs reference on the host and under emulation on
Cortex-M0+/M4/M7, out-of-range indices refused, and a model through the whole pipeline."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import cstructs
from tests.helpers import movement_cases as mc
from simulator.analyze import analyze
from simulator.errors import ModelError
from simulator.reference.movement import gather, gather_geometry

Params = cstructs.struct("ck_gather_params")
KERNEL = {"int8": "gather_x8", "float32": "gather_x32"}


def cases(n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        rank = int(rng.integers(1, 5))
        shape = tuple(int(d) for d in rng.integers(1, 6, rank))
        axis = int(rng.integers(-rank, rank))
        idx_shape = tuple(int(d) for d in rng.integers(1, 4, int(rng.integers(0, 3))))
        idx = rng.integers(0, shape[axis], idx_shape).astype(np.int32)
        dtype = mc.DTYPES[i % 2]
        out.append(pytest.param(shape, axis, idx, dtype, i, id=f"c{i}-{dtype}-axis{axis}"))
    return out


def model(shape, axis, idx, dtype, seed):
    out_shape = gather(np.zeros(shape, np.int8), idx, axis).shape
    return mc.one_op("GATHER", [shape], [idx], out_shape, dtype, seed, axis=axis)


def params(shape, axis, idx):
    outer, size, inner = gather_geometry(shape, axis)
    return Params(outer, size, inner, int(np.size(idx)))


@pytest.mark.parametrize("shape,axis,idx,dtype,seed", cases(12, 1))
def test_reference_matches_tflm(shape, axis, idx, dtype, seed):
    xs = [mc.values(shape, dtype, np.random.default_rng(seed))]
    mc.check_against_tflm(model(shape, axis, idx, dtype, seed), xs)


@pytest.mark.parametrize("shape,axis,idx,dtype,seed", cases(24, 2))
def test_c_matches_reference(shape, axis, idx, dtype, seed):
    x = mc.values(shape, dtype, np.random.default_rng(seed))
    want = gather(x, idx, axis).reshape(-1)
    out = mc.hostlib.Guarded(want.shape, want.dtype)
    k = KERNEL[dtype]
    flat = np.ascontiguousarray(idx.reshape(-1), np.int32)
    assert mc.host_call(f"shape/ck_{k}.c", f"ck_{k}", params(shape, axis, idx), x, flat,
                        out.ptr) == 0
    assert out.intact() and np.array_equal(out.value().view(np.uint8), want.view(np.uint8))


def test_out_of_range_index_is_refused():
    with pytest.raises(ModelError, match="outside"):
        gather(np.zeros((2, 3), np.int8), np.array([3]), 1)
    x = np.zeros(6, np.int8)
    out = mc.hostlib.Guarded((4,))
    for idx, p in (([0, 3], Params(2, 3, 1, 2)), ([0, -1], Params(2, 3, 1, 2)),
                   ([0, 1], Params(0, 3, 1, 2)), ([0, 1], Params(2, 3, 1, -1))):
        assert mc.host_call("shape/ck_gather_x8.c", "ck_gather_x8", p, x,
                            np.array(idx, np.int32), out.ptr) == -1, (idx, p.outer)
    assert out.untouched()


@pytest.mark.parametrize("board", mc.BOARDS)
def test_emulated_matches_reference(board):
    for case in cases(6, 3):
        shape, axis, idx, dtype, seed = case.values
        x = mc.values(shape, dtype, np.random.default_rng(seed))
        want = gather(x, idx, axis).reshape(-1)
        flat = np.ascontiguousarray(idx.reshape(-1), np.int32)
        status, got, intact = mc.emulated(board, f"ck_{KERNEL[dtype]}",
                                          params(shape, axis, idx), [x.ravel(), flat], want)
        assert status == 0 and intact, case.id
        assert np.array_equal(got.view(np.uint8), want.view(np.uint8)), f"{board}: {case.id}"


@pytest.mark.parametrize("dtype", mc.DTYPES)
def test_model_bit_exact(dtype):
    idx = np.array([[7, 0], [3, 3]], np.int32)
    a = analyze(model((1, 4, 8, 6), 2, idx, dtype, 5), "stm32h743", schedule="plain")
    assert [l.kernel for l in a.layers] == [f"ck_{KERNEL[dtype]}"]
    assert a.bit_exact and a.fits


@pytest.mark.parametrize("src", ["shape/ck_gather_x8.c", "shape/ck_gather_x32.c"])
@pytest.mark.parametrize("core", mc.oo.CORES)
def test_cross_compiles_warning_free(src, core):
    assert mc.hostlib.cross_compile(src, core).exists()
