"""STRIDED_SLICE int8 and float32 at run time (constant begin/end/strides, negative indices and
steps, begin/end/shrink masks): reference vs tflite-micro, ck_strided_copy_x8/_x32 vs
reference on the host and under emulation on Cortex-M0+/M4/M7, refusals, and a model through
the whole pipeline."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import cstructs
from tests.helpers import movement_cases as mc
from simulator.analyze import analyze
from simulator.errors import ModelError
from simulator.reference.movement import slice_ranges, strided_slice, strided_view

Params = cstructs.struct("ck_strided_copy_params")
KERNEL = {"int8": "strided_copy_x8", "float32": "strided_copy_x32"}


def cases(n, seed):
    """Random slices with a non-empty output (an empty one has no kernel)."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        rank = int(rng.integers(1, 5))                   # TFLM: at most 4-D
        shape = tuple(int(d) for d in rng.integers(1, 6, rank))
        begin = [int(v) for v in rng.integers(-6, 7, rank)]
        end = [int(v) for v in rng.integers(-6, 7, rank)]
        strides = [int(v) for v in rng.choice([-3, -2, -1, 1, 1, 2, 3], rank)]
        masks = {k: int(rng.integers(0, 1 << rank)) if rng.random() < 0.5 else 0
                 for k in ("begin_mask", "end_mask", "shrink_axis_mask")}
        try:
            ranges = slice_ranges(shape, begin, end, strides, masks)
        except ModelError:                  # a negative-stride shrink: refused, tested below
            continue
        if any(r[1] == 0 for r in ranges):
            continue
        i = len(out)
        dtype = mc.DTYPES[i % 2]
        out.append(pytest.param(shape, (begin, end, strides), masks, dtype, i,
                                id=f"c{i}-{dtype}-r{rank}"))
    return out


def model(shape, bes, masks, dtype, seed):
    ranges = slice_ranges(shape, *bes, masks)
    out_shape = [r[1] for r in ranges if not r[3]]
    return mc.one_op("STRIDED_SLICE", [shape], list(bes), out_shape, dtype, seed, **masks)


def params(shape, bes, masks):
    ranges = slice_ranges(shape, *bes, masks)
    return mc.oo.struct(strided_view(shape, [r[:3] for r in ranges]), Params)


@pytest.mark.parametrize("shape,bes,masks,dtype,seed", cases(16, 1))
def test_reference_matches_tflm(shape, bes, masks, dtype, seed):
    xs = [mc.values(shape, dtype, np.random.default_rng(seed))]
    mc.check_against_tflm(model(shape, bes, masks, dtype, seed), xs)


@pytest.mark.parametrize("shape,bes,masks,dtype,seed", cases(24, 2))
def test_c_matches_reference(shape, bes, masks, dtype, seed):
    x = mc.values(shape, dtype, np.random.default_rng(seed))
    want = strided_slice(x, *bes, masks).reshape(-1)          # 0-D when every axis shrinks
    out = mc.hostlib.Guarded(want.shape, want.dtype)
    k = KERNEL[dtype]
    assert mc.host_call(f"shape/ck_{k}.c", f"ck_{k}", params(shape, bes, masks), x,
                        out.ptr) == 0
    assert out.intact() and np.array_equal(out.value().view(np.uint8), want.view(np.uint8))


def test_negative_stride_reading_before_the_input_is_refused():
    x = np.zeros(8, np.int8)
    out = mc.hostlib.Guarded((8,))
    p = mc.oo.struct(dict(in_size=8, offset=2, out_dims=[1] * 5 + [4],
                          in_strides=[0] * 5 + [-1]), Params)
    assert mc.host_call("shape/ck_strided_copy_x8.c", "ck_strided_copy_x8", p, x, out.ptr) == -1
    assert out.untouched()


def test_negative_stride_shrink_is_refused():
    with pytest.raises(ModelError, match="negative stride"):
        strided_slice(np.zeros((4, 2), np.int8), [1, 0], [2, 2], [-1, 1],
                      {"shrink_axis_mask": 1})


def test_rank_5_refused_as_tflm_does():
    with pytest.raises(ModelError, match="1-D to 4-D"):
        strided_slice(np.zeros((1,) * 5, np.int8), [0] * 5, [1] * 5, [1] * 5, {})


@pytest.mark.parametrize("opt", ["ellipsis_mask", "new_axis_mask", "offset"])
def test_unsupported_options_are_named_errors(opt):
    with pytest.raises(ModelError, match="ellipsis_mask|new_axis_mask|offset"):
        strided_slice(np.zeros((2, 3), np.int8), [0, 0], [1, 1], [1, 1], {opt: 1})


@pytest.mark.parametrize("board", mc.BOARDS)
def test_emulated_matches_reference(board):
    for case in cases(6, 3):
        shape, bes, masks, dtype, seed = case.values
        x = mc.values(shape, dtype, np.random.default_rng(seed))
        want = strided_slice(x, *bes, masks).reshape(-1)          # 0-D when every axis shrinks
        status, got, intact = mc.emulated(board, f"ck_{KERNEL[dtype]}",
                                          params(shape, bes, masks), [x.ravel()], want)
        assert status == 0 and intact, case.id
        assert np.array_equal(got.view(np.uint8), want.view(np.uint8)), f"{board}: {case.id}"


@pytest.mark.parametrize("dtype", mc.DTYPES)
def test_model_bit_exact(dtype):
    """Keras' Flatten-with-dynamic-batch pattern, on data: x[:, 1:, ::-2, 3]."""
    bes = ([0, 1, 0, 3], [0, 0, 0, 4], [1, 1, -2, 1])
    masks = dict(begin_mask=0b0101, end_mask=0b0111, shrink_axis_mask=0b1000)
    a = analyze(model((1, 5, 6, 8), bes, masks, dtype, 5), "stm32h743", schedule="plain")
    assert [l.kernel for l in a.layers] == [f"ck_{KERNEL[dtype]}"]
    assert a.bit_exact and a.fits
