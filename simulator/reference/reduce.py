"""MEAN and SUM, int8, over any set of axes (models use H,W of NHWC with keep_dims).

Semantics (facts, no code copied): tflite-micro kernels/reduce_common.cc (PrepareMeanOrSum,
EvalIntegerMean) and reference/reduce.h QuantizedMeanOrSum:
``(multiplier, shift) = QuantizeMultiplier(s_in / s_out)``, then with
``k = min(floor(log2(count)), 32, 31 + shift)`` the multiplier becomes
``(multiplier << k) // count`` (int64 truncating) and the shift ``shift - k``;
``out = MBQM(int32(sum - zp_in * count), multiplier, shift) + zp_out`` clamped to int8.
Older TFLM sources take reference_ops::Mean (truncating integer division) when input and
output quantization match; the tflite-micro interpreter we test against (2026 wheel) rounds
in that case too, bit for bit as above (checked in tests/kernels/test_mean_s8.py), so there
is one path.
SUM (reduce_common.cc EvalSum, the same QuantizedMeanOrSum with ``compute_sum``) keeps the
plain ``QuantizeMultiplier(s_in / s_out)``: no 1/count factor, otherwise MEAN's arithmetic, so
the MEAN kernel runs it with :func:`sum_params` (checked against the interpreter in
tests/kernels/test_sum.py).
"""
from __future__ import annotations

import numpy as np

from simulator.errors import ModelError
from simulator.reference import quant
from simulator.reference.spec import OpSpec


def mean_params(s_in: float, zp_in: int, s_out: float, zp_out: int, count: int) -> dict:
    """(input_zp, output_zp, multiplier, shift) with the 1/count factor folded in."""
    s_in, s_out = float(np.float32(s_in)), float(np.float32(s_out))
    m, sh = quant.quantize_multiplier(s_in / s_out)
    if count < 1:
        raise ModelError("MEAN over an empty axis")
    k = min(count.bit_length() - 1, 32, 31 + sh)
    k = max(k, 0)
    return dict(input_zp=zp_in, output_zp=zp_out, multiplier=int((m << k) // count),
                shift=sh - k)


def sum_params(s_in: float, zp_in: int, s_out: float, zp_out: int) -> dict:
    """(input_zp, output_zp, multiplier, shift) of SUM: ``mean_params`` without the count."""
    return mean_params(s_in, zp_in, s_out, zp_out, 1)


def mean_s8(x, axes, keep_dims: bool, *, input_zp, output_zp, multiplier,
            shift) -> np.ndarray:
    x = np.asarray(x)
    axes = tuple(sorted({int(a) % x.ndim for a in axes}))
    count = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    sums = quant_wrap(x.astype(np.int64).sum(axis=axes, keepdims=keep_dims))
    shifted = quant_wrap(sums - input_zp * count)
    out = quant.multiply_by_quantized_multiplier(shifted, multiplier, shift) + output_zp
    return quant.clamp_s8(out)


def mean_geometry(shape, axes) -> tuple[int, int, int]:
    """(outer, reduce, inner) of ``ck_mean_s8``; the reduced axes must be contiguous."""
    rank = len(shape)
    axes = sorted({int(a) % rank for a in axes})
    if axes != list(range(axes[0], axes[-1] + 1)):
        raise ModelError(f"MEAN or SUM over non-contiguous axes {axes} has no C kernel")
    prod = lambda dims: int(np.prod(dims, dtype=np.int64))  # noqa: E731
    return (prod(shape[:axes[0]]), prod(shape[axes[0]:axes[-1] + 1]),
            prod(shape[axes[-1] + 1:]))


def quant_wrap(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64).astype(np.int32).astype(np.int64)


def _reduce(params_of):
    def run(op, graph, inputs) -> np.ndarray:
        x_t, axis_t, out_t = graph.tensor(op.inputs[0]), graph.tensor(op.inputs[1]), \
            graph.tensor(op.outputs[0])
        if x_t.dtype != "int8" or x_t.quant is None or out_t.quant is None:
            raise ModelError(f"only quantized int8 {op.opcode} is supported", op_index=op.index,
                             opcode=op.opcode, tensor_index=x_t.index)
        x = np.asarray(inputs[0]) if inputs else x_t.data
        axes = np.asarray(inputs[1] if inputs is not None and len(inputs) > 1
                          and inputs[1] is not None else axis_t.data).reshape(-1).tolist()
        count = int(np.prod([x.shape[int(a) % x.ndim] for a in set(axes)], dtype=np.int64))
        p = params_of(x_t.quant.scalar_scale, x_t.quant.scalar_zero_point,
                      out_t.quant.scalar_scale, out_t.quant.scalar_zero_point, count)
        out = mean_s8(x, axes, bool(op.options.get("keep_dims", False)), **p)
        return out.reshape(out_t.shape) if out.size == out_t.num_elements else out
    return run


run_mean = _reduce(mean_params)
run_sum = _reduce(lambda s_in, zp_in, s_out, zp_out, count: sum_params(s_in, zp_in, s_out,
                                                                       zp_out))

OPS = {"MEAN": OpSpec(run_mean), "SUM": OpSpec(run_sum)}
