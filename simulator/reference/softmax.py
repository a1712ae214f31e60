"""SOFTMAX, int8 in -> int8 out, over the last axis.

Semantics (facts, no code copied):
- tflite-micro kernels/softmax_common.cc (CalculateSoftmaxParams): int8 output must have
  zero point -128 and scale exactly 1/256; ``PreprocessSoftmaxScaling(beta, input_scale, 5)``
  quantizes ``min(beta * input_scale * 2**26, 2**31 - 1)`` with QuantizeMultiplierGreaterThanOne
  into (input_multiplier, input_left_shift); ``diff_min = -CalculateInputRadius(5, left_shift)``.
- reference/softmax.h (templated quantized Softmax): per row, ``d = q - max``; entries with
  ``d >= diff_min`` contribute ``exp_on_negative_values`` (Q5.26 in, Q0.31 out) of
  ``MultiplyByQuantizedMultiplierGreaterThanOne(d, multiplier, left_shift)`` (double
  rounding: SaturatingRoundingDoublingHighMul of ``d << left_shift``), summed in Q12.19;
  ``GetReciprocal`` normalises the sum by its leading zeros and takes
  one_over_one_plus_x_for_x_in_0_1; each output is
  ``RoundingDivideByPOT(SRDHM(scale, exp), num_bits_over_unit + 23) - 128`` clamped; entries
  below diff_min give -128.
"""
from __future__ import annotations

import numpy as np

from simulator.errors import ModelError
from simulator.reference import quant
from simulator.reference.spec import OpSpec
from simulator.reference.activations import (
    calculate_input_radius, exp_on_negative_values, one_over_one_plus_x_for_x_in_0_1, wrap32)

SCALED_DIFF_INTEGER_BITS = 5
ACCUMULATION_INTEGER_BITS = 12


def softmax_params(beta: float, input_scale: float) -> tuple[int, int, int]:
    """(input_multiplier, input_left_shift, diff_min) as TFLM's Prepare makes them."""
    beta = float(np.float32(beta))
    scale = float(np.float32(input_scale))
    real = min(beta * scale * float(1 << (31 - SCALED_DIFF_INTEGER_BITS)), float((1 << 31) - 1))
    if not real > 1.0:
        raise ModelError(f"softmax beta * input_scale = {beta * scale!r} is too small for "
                         f"TFLite's int8 kernel (needs > 2**-26)")
    multiplier, left_shift = quant.quantize_multiplier(real)
    return multiplier, left_shift, -calculate_input_radius(SCALED_DIFF_INTEGER_BITS, left_shift)


def _clz32(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.int64) & 0xFFFFFFFF
    bit_length = sum((x >= (1 << k)).astype(np.int64) for k in range(32))
    return 32 - bit_length


def softmax_s8(x, *, input_multiplier: int, input_left_shift: int, diff_min: int) -> np.ndarray:
    """int8 ``x`` [..., depth] -> int8 probabilities (scale 1/256, zero point -128)."""
    x = np.asarray(x)
    shape = x.shape
    rows = x.reshape(-1, shape[-1]).astype(np.int64)
    diff = rows - rows.max(axis=1, keepdims=True)
    valid = diff >= diff_min
    rescaled = quant.saturating_rounding_doubling_high_mul(
        wrap32(diff * (1 << input_left_shift)), input_multiplier)
    exps = exp_on_negative_values(rescaled, SCALED_DIFF_INTEGER_BITS)
    # Rescale<12> of a Q0.31 value is a rounding right shift by 12.
    terms = quant.rounding_divide_by_pot(exps, ACCUMULATION_INTEGER_BITS)
    sums = wrap32(np.where(valid, terms, 0).sum(axis=1, keepdims=True))
    headroom = _clz32(sums)
    num_bits_over_unit = ACCUMULATION_INTEGER_BITS - headroom
    shifted_minus_one = wrap32(((sums << headroom) & 0xFFFFFFFF) - (1 << 31))
    scale = one_over_one_plus_x_for_x_in_0_1(shifted_minus_one)
    exponent = num_bits_over_unit + 31 - 8
    if np.any((exponent < 0) | (exponent > 31)):
        raise ModelError("softmax reciprocal exponent out of range (row too long)")
    out = quant.rounding_divide_by_pot(quant.saturating_rounding_doubling_high_mul(scale, exps),
                                       exponent) - 128
    out = np.where(valid, np.clip(out, -128, 127), -128)
    return out.astype(np.int8).reshape(shape)


def run_softmax(op, graph, inputs) -> np.ndarray:
    x_t, out_t = graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])
    for t in (x_t, out_t):
        if t.dtype != "int8" or t.quant is None:
            raise ModelError("only int8 SOFTMAX is supported", op_index=op.index,
                             opcode=op.opcode, tensor_index=t.index)
    if (out_t.quant.scalar_zero_point != -128
            or np.float32(out_t.quant.scalar_scale) != np.float32(1.0 / 256)):
        raise ModelError("int8 SOFTMAX output must have scale 1/256 and zero point -128",
                         op_index=op.index, opcode=op.opcode, tensor_index=out_t.index)
    m, s, dmin = softmax_params(op.options.get("beta", 1.0), x_t.quant.scalar_scale)
    x = np.asarray(inputs[0]) if inputs else x_t.data
    return softmax_s8(x, input_multiplier=m, input_left_shift=s, diff_min=dmin)


# TFLite's int8 SOFTMAX output quantization is fixed (the quantization spec: 1/256, -128).
OPS = {"SOFTMAX": OpSpec(run_softmax, fixed_output=(1.0 / 256, -128))}
