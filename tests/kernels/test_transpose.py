"""TRANSPOSE int8 and float32 (1-D to 5-D, random perms): reference vs tflite-micro,
ck_strided_copy_x8/_x32 vs reference on the host and under emulation on Cortex-M0+/M4/M7, bad
arguments, and a model through the whole pipeline."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import cstructs
from tests.helpers import movement_cases as mc
from simulator.analyze import analyze
from simulator.errors import ModelError
from simulator.reference.movement import transpose, transpose_view

Params = cstructs.struct("ck_strided_copy_params")
KERNEL = {"int8": "strided_copy_x8", "float32": "strided_copy_x32"}


def cases(n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        rank = int(rng.integers(1, 6))
        shape = tuple(int(d) for d in rng.integers(1, 5, rank))
        perm = [int(a) for a in rng.permutation(rank)]
        dtype = mc.DTYPES[i % 2]
        out.append(pytest.param(shape, perm, dtype, i, id=f"c{i}-{dtype}-r{rank}"))
    return out


def model(shape, perm, dtype, seed):
    return mc.one_op("TRANSPOSE", [shape], [perm], [shape[a] for a in perm], dtype, seed)


def params(shape, perm):
    return mc.oo.struct(transpose_view(shape, perm), Params)


@pytest.mark.parametrize("shape,perm,dtype,seed", cases(12, 1))
def test_reference_matches_tflm(shape, perm, dtype, seed):
    xs = [mc.values(shape, dtype, np.random.default_rng(seed))]
    mc.check_against_tflm(model(shape, perm, dtype, seed), xs)


@pytest.mark.parametrize("shape,perm,dtype,seed", cases(24, 2))
def test_c_matches_reference(shape, perm, dtype, seed):
    x = mc.values(shape, dtype, np.random.default_rng(seed))
    want = transpose(x, perm)
    out = mc.hostlib.Guarded(want.shape, want.dtype)
    k = KERNEL[dtype]
    assert mc.host_call(f"shape/ck_{k}.c", f"ck_{k}", params(shape, perm), x, out.ptr) == 0
    assert out.intact() and np.array_equal(out.value().view(np.uint8), want.view(np.uint8))


def test_rejects_bad_args():
    x = np.zeros(24, np.int8)
    out = mc.hostlib.Guarded((24,))
    good = transpose_view((2, 3, 4), (2, 0, 1))
    for change in (dict(in_size=23), dict(offset=1), dict(offset=-1),
                   dict(out_dims=[1, 1, 1, 4, 2, 0]), dict(in_strides=[0, 0, 0, 1, 12, 5])):
        p = mc.oo.struct({**good, **change}, Params)
        assert mc.host_call("shape/ck_strided_copy_x8.c", "ck_strided_copy_x8", p, x,
                            out.ptr) == -1, change
    p = mc.oo.struct(good, Params)
    assert mc.host_call("shape/ck_strided_copy_x8.c", "ck_strided_copy_x8", p, None,
                        out.ptr) == -1
    assert out.untouched()


def test_rank_6_refused_as_tflm_does():
    with pytest.raises(ModelError, match="1-D to 5-D"):
        transpose(np.zeros((1,) * 6, np.int8), range(6))


@pytest.mark.parametrize("board", mc.BOARDS)
def test_emulated_matches_reference(board):
    for case in cases(6, 3):
        shape, perm, dtype, seed = case.values
        x = mc.values(shape, dtype, np.random.default_rng(seed))
        want = transpose(x, perm)
        status, got, intact = mc.emulated(board, f"ck_{KERNEL[dtype]}", params(shape, perm),
                                          [x.ravel()], want)
        assert status == 0 and intact, case.id
        assert np.array_equal(got.view(np.uint8), want.view(np.uint8)), f"{board}: {case.id}"


@pytest.mark.parametrize("dtype", mc.DTYPES)
def test_model_bit_exact(dtype):
    a = analyze(model((1, 4, 6, 8), (0, 3, 1, 2), dtype, 5), "stm32h743", schedule="plain")
    assert [l.kernel for l in a.layers] == [f"ck_{KERNEL[dtype]}"]
    assert a.bit_exact and a.fits


@pytest.mark.parametrize("src", ["shape/ck_strided_copy_x8.c", "shape/ck_strided_copy_x32.c"])
@pytest.mark.parametrize("core", mc.oo.CORES)
def test_cross_compiles_warning_free(src, core):
    assert mc.hostlib.cross_compile(src, core).exists()
