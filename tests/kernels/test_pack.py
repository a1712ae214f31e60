"""PACK int8 and float32 (2 to 4 inputs, every axis): reference vs tflite-micro, PACK lowered as
ck_concat_s8/_f32 (inputs of axis size 1) vs reference on the host and under emulation on
Cortex-M0+/M4/M7, and a model through the whole pipeline."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest

from tests.helpers import cstructs
from tests.helpers import movement_cases as mc
from simulator.analyze import analyze
from simulator.reference.movement import pack, pack_geometry

PARAMS = {"int8": cstructs.struct("ck_concat_s8_params"),
          "float32": cstructs.struct("ck_concat_f32_params")}
KERNEL = {"int8": "concat_s8", "float32": "concat_f32"}


def cases(n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        rank = int(rng.integers(1, 4))
        shape = tuple(int(d) for d in rng.integers(1, 5, rank))
        count = int(rng.integers(2, 5))
        axis = int(rng.integers(-rank - 1, rank + 1))
        dtype = mc.DTYPES[i % 2]
        out.append(pytest.param(shape, count, axis, dtype, i, id=f"c{i}-{dtype}-axis{axis}"))
    return out


def model(shape, count, axis, dtype, seed):
    out_shape = pack([np.zeros(shape)] * count, axis).shape
    return mc.one_op("PACK", [shape] * count, [], out_shape, dtype, seed, axis=axis,
                     values_count=count)


def inputs(shape, count, dtype, seed):
    rng = np.random.default_rng(seed)
    return [mc.values(shape, dtype, rng) for _ in range(count)]


def call_args(shape, count, axis, dtype, xs):
    outer, inner, sizes = pack_geometry(shape, axis, count)
    return PARAMS[dtype](count, outer, inner), np.array(sizes, np.int32)


@pytest.mark.parametrize("shape,count,axis,dtype,seed", cases(10, 1))
def test_reference_matches_tflm(shape, count, axis, dtype, seed):
    mc.check_against_tflm(model(shape, count, axis, dtype, seed),
                          inputs(shape, count, dtype, seed))


@pytest.mark.parametrize("shape,count,axis,dtype,seed", cases(16, 2))
def test_c_matches_reference(shape, count, axis, dtype, seed):
    xs = inputs(shape, count, dtype, seed)
    want = pack(xs, axis)
    out = mc.hostlib.Guarded(want.shape, want.dtype)
    p, sizes = call_args(shape, count, axis, dtype, xs)
    ptrs = (ctypes.c_void_p * count)(*[x.ctypes.data for x in xs])
    k = KERNEL[dtype]
    assert mc.host_call(f"shape/ck_{k}.c", f"ck_{k}", p, ptrs, sizes, out.ptr) == 0
    assert out.intact() and np.array_equal(out.value().view(np.uint8), want.view(np.uint8))


def gathered_pack(dtype):
    """One input (code generation takes one), three GATHERs of different rows, PACKed on
    axis 1: the pack sees three different inputs."""
    from simulator.frontend.builder import ModelBuilder
    q = dict(scale=0.05, zero_point=-3) if dtype == "int8" else {}
    b = ModelBuilder("gathered_pack")
    x = b.input((3, 4), dtype=dtype, **q)
    rows = []
    for idx in ([2, 0], [1, 1], [0, 2]):
        r = b.tensor((2, 4), dtype, **q)
        b.op("GATHER", [x, b.const(np.array(idx, np.int32), "int32")], [r], axis=0)
        rows.append(r)
    y = b.tensor((2, 3, 4), dtype, **q)
    b.op("PACK", rows, [y], axis=1, values_count=3)
    b.output(y)
    return b.build()


@pytest.mark.parametrize("dtype", mc.DTYPES)
def test_model_bit_exact(dtype):
    """Through the rule row, the pack emitter and codegen's pointer table, on M0+, M4 and M7
    (the emulated test of PACK's kernel)."""
    g = gathered_pack(dtype)
    x = mc.values((3, 4), dtype, np.random.default_rng(1))
    mc.check_against_tflm(g, [x])
    for board in mc.BOARDS:
        a = analyze(g, board, schedule="plain")
        assert [l.kernel for l in a.layers][-1] == f"ck_{KERNEL[dtype]}", board
        assert a.bit_exact and a.fits, board
