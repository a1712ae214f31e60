"""LOGISTIC, TANH, LEAKY_RELU and HARD_SWISH, int8, plus the gemmlowp fixed-point
transcendental math LOGISTIC and TANH share with SOFTMAX.

Semantics (facts, no code copied):
- tflite-micro kernels/logistic_common.cc and tanh.cc (Prepare): with 4 integer bits,
  ``input_multiplier, input_left_shift = frexp(input_scale * 2**27)`` (the mantissa rounded
  with TfLiteRound to Q31) and ``input_range_radius = CalculateInputRadius(4, left_shift)``
  = ``floor(15 * 2**27 / 2**left_shift)``.
- reference/integer_ops/logistic.h and tanh.h (Eval): ``d = q - input_zp``; ``d <= -radius``
  gives -128, ``d >= radius`` gives 127; otherwise
  ``x = MultiplyByQuantizedMultiplier(d, multiplier, left_shift)`` read as Q4.27, then
  gemmlowp ``logistic``/``tanh`` to Q0.31, then ``RoundingDivideByPOT`` by 23 (logistic,
  output ``- 128``) or 24 (tanh), clamped. The output quantization is fixed by the op
  (logistic 1/256 zp -128, tanh 1/128 zp 0); TFLM does not read the output scale.
- gemmlowp fixedpoint.h: exp_on_negative_values (Taylor series around -1/8 on [-1/4, 0)
  followed by a barrel shifter of exp(-2^k) Q0.31 constants), one_over_one_plus_x_for_x_in_0_1
  and one_minus_x_over_one_plus_x_for_x_in_0_1 (three Newton-Raphson steps from
  48/17 - 32/17 * d), logistic, tanh. The constants below are the published Q0.31 / Q2.29
  values of those functions.

- LEAKY_RELU: tflite-micro kernels/leaky_relu_common.cc (CalculateOpDataLeakyRelu): two
  QuantizeMultiplier pairs, ``s_in * alpha / s_out`` and ``s_in / s_out``, each product taken
  in double from the float32 scales and alpha; reference_ops::QuantizeLeakyRelu: ``d = q -
  zp_in``, ``zp_out + MBQM(d, identity)`` for ``d >= 0``, else ``zp_out + MBQM(d, alpha)``,
  clamped to int8.
- HARD_SWISH: kernels/hard_swish_common.cc (HardSwishPrepare): in float32
  ``hires = s_in / 128``, output multiplier ``hires / s_out`` and "reluish" multiplier
  ``hires / (3 / 32768)``, each QuantizeMultiplier'd then DownScaleInt32ToInt16Multiplier'd
  (``(m + 2^15) >> 16``, 32767 when ``m >= INT32_MAX - 2^15``); the output exponent must be
  <= 0. reference_ops::HardSwish (hard_swish.h), all in int16: ``x = (q - zp_in) * 2^7``;
  ``pre = SRDHM16(x, out_mult)``; reluish: a saturating left shift by ``exp - 1``, SRDHM16
  by the reluish multiplier, a saturating left shift by 1 (exp > 0) or RoundingDivideByPOT by
  ``-exp`` (exp < 0), then ``(r + 2^15) >> 1``; ``out = RDBPOT(SDHM16(r, pre), -out_exp) +
  zp_out`` clamped, where SDHM16 is the truncating ``a * b / 2^15``. RDBPOT on int16 keeps
  gemmlowp's int16 mask (``(1 << e) - 1`` truncated to 16 bits) for exponents >= 16.

All helpers take and return int64 arrays holding int32 raw fixed-point values.
"""
from __future__ import annotations

import math

import numpy as np

from simulator.errors import ModelError
from simulator.reference import quant
from simulator.reference.spec import OpSpec

INT32_MIN, INT32_MAX = quant.INT32_MIN, quant.INT32_MAX

# gemmlowp fixedpoint.h constants: exp(-1/8), 1/3 (Q0.31); 48/17, -32/17 (Q2.29);
# exp(-2^k) for k = -2..4 (Q0.31).
EXP_MINUS_ONE_EIGHTH = 1895147668
ONE_THIRD = 715827883
C_48_OVER_17 = 1515870810
C_NEG_32_OVER_17 = -1010580540
EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
              (2, 39332535), (3, 720401), (4, 242))

_srdhm = quant.saturating_rounding_doubling_high_mul
_rdbpot = quant.rounding_divide_by_pot


def wrap32(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64).astype(np.int32).astype(np.int64)


def saturating_shift_left(x, exponent: int) -> np.ndarray:
    """gemmlowp SaturatingRoundingMultiplyByPOT for a positive exponent."""
    x = np.asarray(x, dtype=np.int64)
    threshold = (1 << (31 - exponent)) - 1
    out = wrap32(x << exponent)
    return np.where(x > threshold, INT32_MAX, np.where(x < -threshold, INT32_MIN, out))


def rounding_half_sum(a, b) -> np.ndarray:
    s = np.asarray(a, dtype=np.int64) + np.asarray(b, dtype=np.int64)
    s = s + np.where(s >= 0, 1, -1)
    return np.where(s >= 0, s // 2, -((-s) // 2))      # C division truncates


def exp_on_interval_neg_quarter_to_0(a) -> np.ndarray:
    """exp(a) for Q0.31 ``a`` in [-1/4, 0)."""
    x = wrap32(np.asarray(a, dtype=np.int64) + (1 << 28))          # a + 1/8
    x2 = _srdhm(x, x)
    x3 = _srdhm(x2, x)
    x4 = _srdhm(x2, x2)
    x4_over_4 = _rdbpot(x4, 2)
    poly = _rdbpot(wrap32(_srdhm(wrap32(x4_over_4 + x3), ONE_THIRD) + x2), 1)
    return wrap32(EXP_MINUS_ONE_EIGHTH + _srdhm(EXP_MINUS_ONE_EIGHTH, wrap32(x + poly)))


def exp_on_negative_values(a, integer_bits: int) -> np.ndarray:
    """exp(a) in Q0.31 for ``a`` <= 0 given in Q(integer_bits).(31 - integer_bits)."""
    a = np.asarray(a, dtype=np.int64)
    frac_bits = 31 - integer_bits
    quarter = 1 << (frac_bits - 2)
    a_mod = wrap32((a & (quarter - 1)) - quarter)
    result = exp_on_interval_neg_quarter_to_0(saturating_shift_left(a_mod, integer_bits)
                                              if integer_bits else a_mod)
    remainder = wrap32(a_mod - a)
    for exponent, multiplier in EXP_BARREL:
        if integer_bits > exponent:
            bit = (remainder >> (frac_bits + exponent)) & 1
            result = np.where(bit != 0, _srdhm(result, multiplier), result)
    if integer_bits > 5:
        result = np.where(a < -(1 << (36 - integer_bits)), 0, result)
    return np.where(a == 0, INT32_MAX, result)


def _newton_reciprocal_q2(a) -> np.ndarray:
    """1 / (1 + a) / 2 in Q2.29 from Q0.31 ``a`` in [0, 1): gemmlowp's Newton-Raphson."""
    half_denominator = rounding_half_sum(a, INT32_MAX)
    x = wrap32(C_48_OVER_17 + _srdhm(half_denominator, C_NEG_32_OVER_17))
    for _ in range(3):
        one_minus = wrap32((1 << 29) - _srdhm(half_denominator, x))
        x = wrap32(x + saturating_shift_left(_srdhm(x, one_minus), 2))
    return x


def one_over_one_plus_x_for_x_in_0_1(a) -> np.ndarray:
    return saturating_shift_left(_newton_reciprocal_q2(a), 1)


def one_minus_x_over_one_plus_x_for_x_in_0_1(a) -> np.ndarray:
    return saturating_shift_left(wrap32(_newton_reciprocal_q2(a) - (1 << 29)), 2)


def logistic_fixed(a, integer_bits: int) -> np.ndarray:
    """gemmlowp logistic: Q(integer_bits) -> Q0.31."""
    a = np.asarray(a, dtype=np.int64)
    positive = a > 0
    abs_a = np.where(positive, a, wrap32(-a))
    r_pos = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(wrap32(-abs_a),
                                                                    integer_bits))
    r_neg = wrap32(INT32_MAX - r_pos)
    return np.where(a == 0, 1 << 30, np.where(positive, r_pos, r_neg))


def tanh_fixed(a, integer_bits: int) -> np.ndarray:
    """gemmlowp tanh: Q(integer_bits) -> Q0.31."""
    a = np.asarray(a, dtype=np.int64)
    negative = a < 0
    n = np.where(negative, a, wrap32(-a))
    t = one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(n, integer_bits + 1))
    return np.where(a == 0, 0, np.where(negative, wrap32(-t), t))


# ---- int8 ops ------------------------------------------------------------------------------

INPUT_INTEGER_BITS = 4


def calculate_input_radius(integer_bits: int, left_shift: int, total_signed_bits: int = 31) -> int:
    """TFLite quantization_util.cc CalculateInputRadius."""
    max_rescaled = (1.0 * ((1 << integer_bits) - 1) * (1 << (total_signed_bits - integer_bits))
                    / 2.0 ** left_shift)
    return int(math.floor(max_rescaled))


def sigmoid_params(input_scale: float) -> tuple[int, int, int]:
    """(input_multiplier, input_left_shift, input_range_radius) as TFLM's Prepare makes them."""
    real = float(np.float32(input_scale)) * float(1 << (31 - INPUT_INTEGER_BITS))
    frac, left_shift = math.frexp(real)
    multiplier = int(quant._tflite_round(frac * (1 << 31)))
    if multiplier >= 1 << 31:
        raise ModelError(f"input scale {input_scale!r} gives an int32 overflow in TFLite's "
                         f"sigmoid multiplier")
    return multiplier, left_shift, calculate_input_radius(INPUT_INTEGER_BITS, left_shift)


def _sigmoid_like_s8(x, input_zp, multiplier, left_shift, radius, fixed_fn, out_shift, out_zp):
    d = np.asarray(x, dtype=np.int64) - int(input_zp)
    q4 = quant.multiply_by_quantized_multiplier(d, multiplier, left_shift)
    y = _rdbpot(fixed_fn(q4, INPUT_INTEGER_BITS), out_shift) + out_zp
    y = np.clip(y, -128, 127)
    y = np.where(d <= -radius, -128, np.where(d >= radius, 127, y))
    return y.astype(np.int8)


def logistic_s8(x, *, input_zp, input_multiplier, input_left_shift, input_range_radius):
    """int8 sigmoid; output scale 1/256, zero point -128."""
    return _sigmoid_like_s8(x, input_zp, input_multiplier, input_left_shift,
                            input_range_radius, logistic_fixed, 23, -128)


def tanh_s8(x, *, input_zp, input_multiplier, input_left_shift, input_range_radius):
    """int8 tanh; output scale 1/128, zero point 0."""
    return _sigmoid_like_s8(x, input_zp, input_multiplier, input_left_shift,
                            input_range_radius, tanh_fixed, 24, 0)


def _io(op, graph, inputs):
    x_t, out_t = graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])
    for t in (x_t, out_t):
        if t.dtype != "int8" or t.quant is None:
            raise ModelError("only quantized int8 is supported", op_index=op.index,
                             opcode=op.opcode, tensor_index=t.index)
    x = np.asarray(inputs[0]) if inputs else x_t.data
    return x_t, out_t, x


def sigmoid_fields(op, graph) -> dict:
    """ck_sigmoid_s8_params after ``size``, in the struct's order."""
    x_t = graph.tensor(op.inputs[0])
    m, s, r = sigmoid_params(x_t.quant.scalar_scale)
    return dict(input_zp=x_t.quant.scalar_zero_point, input_multiplier=m,
                input_left_shift=s, input_range_radius=r)


def run_logistic(op, graph, inputs) -> np.ndarray:
    x_t, out_t, x = _io(op, graph, inputs)
    if out_t.quant.scalar_zero_point != -128:
        raise ModelError("int8 LOGISTIC needs output zero point -128", op_index=op.index,
                         opcode=op.opcode, tensor_index=out_t.index)
    return logistic_s8(x, **sigmoid_fields(op, graph))


def run_tanh(op, graph, inputs) -> np.ndarray:
    x_t, _, x = _io(op, graph, inputs)
    return tanh_s8(x, **sigmoid_fields(op, graph))


# ---- LEAKY_RELU ------------------------------------------------------------------------------

def leaky_relu_params(s_in: float, zp_in: int, s_out: float, zp_out: int, alpha: float) -> dict:
    """ck_leaky_relu_s8_params after ``size``, as TFLM's Prepare makes them."""
    s_in, s_out, alpha = (float(np.float32(v)) for v in (s_in, s_out, alpha))
    if alpha < 0 or not math.isfinite(alpha):
        raise ModelError(f"LEAKY_RELU alpha {alpha!r} is not supported (0 or more)")
    mi, si = quant.quantize_multiplier(s_in / s_out)
    ma, sa = quant.quantize_multiplier(s_in * alpha / s_out)
    return dict(input_zp=int(zp_in), output_zp=int(zp_out), identity_multiplier=mi,
                identity_shift=si, alpha_multiplier=ma, alpha_shift=sa)


def leaky_relu_s8(x, *, input_zp, output_zp, identity_multiplier, identity_shift,
                  alpha_multiplier, alpha_shift) -> np.ndarray:
    d = np.asarray(x, dtype=np.int64) - int(input_zp)
    mbqm = quant.multiply_by_quantized_multiplier
    y = np.where(d >= 0, mbqm(d, identity_multiplier, identity_shift),
                 mbqm(d, alpha_multiplier, alpha_shift))
    return quant.clamp_s8(y + int(output_zp))


# ---- HARD_SWISH (int16 fixed point) ----------------------------------------------------------

INT16_MIN, INT16_MAX = -(1 << 15), (1 << 15) - 1


def wrap16(x) -> np.ndarray:
    return ((np.asarray(x, dtype=np.int64) + (1 << 15)) & 0xFFFF) - (1 << 15)


def _trunc_div(a, d: int) -> np.ndarray:
    """C integer division (toward zero) by a positive ``d``."""
    a = np.asarray(a, dtype=np.int64)
    return np.where(a >= 0, a // d, -((-a) // d))


def srdhm16(a, b) -> np.ndarray:
    """gemmlowp SaturatingRoundingDoublingHighMul on int16."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    ab = a * b
    r = wrap16(_trunc_div(ab + np.where(ab >= 0, 1 << 14, 1 - (1 << 14)), 1 << 15))
    return np.where((a == b) & (a == INT16_MIN), INT16_MAX, r)


def sdhm16(a, b) -> np.ndarray:
    """hard_swish.h SaturatingDoublingHighMul: as srdhm16, truncating instead of rounding."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    r = wrap16(_trunc_div(a * b, 1 << 15))
    return np.where((a == b) & (a == INT16_MIN), INT16_MAX, r)


def saturating_left_shift16(x, amount: int) -> np.ndarray:
    return np.clip(np.asarray(x, dtype=np.int64) * (1 << amount), INT16_MIN, INT16_MAX)


def rounding_divide_by_pot16(x, exponent: int) -> np.ndarray:
    """gemmlowp RoundingDivideByPOT with IntegerType int16 (mask truncated to 16 bits)."""
    x = np.asarray(x, dtype=np.int64)
    mask = int(wrap16((1 << exponent) - 1))
    threshold = wrap16((mask >> 1) + (x < 0))
    return wrap16((x >> exponent) + ((x & mask) > threshold))


def downscale_multiplier16(m: int) -> int:
    """TFLite DownScaleInt32ToInt16Multiplier."""
    if m >= INT32_MAX - (1 << 15):
        return INT16_MAX
    return (m + (1 << 15)) >> 16


def hard_swish_params(s_in: float, zp_in: int, s_out: float, zp_out: int) -> dict:
    """ck_hard_swish_s8_params after ``size``, as TFLM's HardSwishPrepare makes them."""
    f32 = np.float32
    hires = f32(1.0 / 128.0) * f32(s_in)
    om, oe = quant.quantize_multiplier(float(hires / f32(s_out)))
    rm, re_ = quant.quantize_multiplier(float(hires / f32(3.0 / 32768.0)))
    if oe > 0:
        raise ModelError(f"HARD_SWISH output scale {s_out!r} is below input scale / 128 "
                         f"({float(hires)!r}): TFLM refuses it (output exponent {oe} > 0)")
    if re_ > 31:
        raise ModelError(f"HARD_SWISH input scale {s_in!r} is too large")
    return dict(input_zp=int(zp_in), output_zp=int(zp_out),
                reluish_multiplier=downscale_multiplier16(rm), reluish_exponent=re_,
                output_multiplier=downscale_multiplier16(om), output_exponent=oe)


def hard_swish_s8(x, *, input_zp, output_zp, reluish_multiplier, reluish_exponent,
                  output_multiplier, output_exponent) -> np.ndarray:
    hires = wrap16((np.asarray(x, dtype=np.int64) - int(input_zp)) * (1 << 7))
    pre = srdhm16(hires, output_multiplier)
    r = hires
    if reluish_exponent > 0:
        r = saturating_left_shift16(r, reluish_exponent - 1)
    r = srdhm16(r, reluish_multiplier)
    if reluish_exponent > 0:
        r = saturating_left_shift16(r, 1)
    if reluish_exponent < 0:
        r = rounding_divide_by_pot16(r, -reluish_exponent)
    r = (r + (1 << 15)) >> 1
    y = wrap16(rounding_divide_by_pot16(sdhm16(r, pre), -output_exponent) + int(output_zp))
    return quant.clamp_s8(y)


def leaky_relu_fields(op, graph) -> dict:
    x_t, out_t = graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])
    return leaky_relu_params(x_t.quant.scalar_scale, x_t.quant.scalar_zero_point,
                             out_t.quant.scalar_scale, out_t.quant.scalar_zero_point,
                             op.options.get("alpha", 0.0))


def hard_swish_fields(op, graph) -> dict:
    x_t, out_t = graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])
    return hard_swish_params(x_t.quant.scalar_scale, x_t.quant.scalar_zero_point,
                             out_t.quant.scalar_scale, out_t.quant.scalar_zero_point)


def run_leaky_relu(op, graph, inputs) -> np.ndarray:
    _, _, x = _io(op, graph, inputs)
    return leaky_relu_s8(x, **leaky_relu_fields(op, graph))


def run_hard_swish(op, graph, inputs) -> np.ndarray:
    _, _, x = _io(op, graph, inputs)
    return hard_swish_s8(x, **hard_swish_fields(op, graph))


# LOGISTIC's and TANH's output quantization is fixed by the op (TFLM ignores the output scale).
OPS = {"LOGISTIC": OpSpec(run_logistic, params=sigmoid_fields, fixed_output=(1.0 / 256, -128),
                          onnx=("Sigmoid",)),
       "TANH": OpSpec(run_tanh, params=sigmoid_fields, fixed_output=(1.0 / 128, 0),
                      onnx=("Tanh",)),
       "LEAKY_RELU": OpSpec(run_leaky_relu, params=leaky_relu_fields),
       "HARD_SWISH": OpSpec(run_hard_swish, params=hard_swish_fields, onnx=("HardSwish",))}
