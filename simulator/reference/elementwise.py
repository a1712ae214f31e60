"""ADD, SUB, MUL, SQUARED_DIFFERENCE, PRELU, MAXIMUM, MINIMUM, RELU and RELU6, int8, with
NumPy broadcasting.

Semantics (facts, no code copied):
- ADD: tflite-micro kernels/add_common.cc (CalculateOpDataAdd) and reference/integer_ops/
  add.h. ``left_shift = 20``; ``twice_max = 2 * max(s1, s2)``; input multipliers
  ``s_i / twice_max`` and output multiplier ``twice_max / (2**20 * s_out)`` through
  QuantizeMultiplierSmallerThanOneExp. Per element:
  ``v_i = MBQM((q_i - zp_i) << 20, m_i, shift_i)``;
  ``out = MBQM(v_1 + v_2, m_out, shift_out) + zp_out`` clamped to the activation range.
- SUB: kernels/sub_common.cc (CalculateOpDataSub): ADD's parameters (left shift 20, the same
  three multipliers); reference_ops::SubElementwise: ``MBQM(v_1 - v_2, m_out, shift_out)``.
  Not ADD with input 2's multiplier negated: SaturatingRoundingDoublingHighMul rounds a tie
  up, not away from zero, so ``MBQM(x, -m)`` and ``-MBQM(x, m)`` can differ by one.
- SQUARED_DIFFERENCE: kernels/squared_difference.cc (PrepareQuantized): ADD's input stage
  with ``left_shift = 7``, the output multiplier ``twice_max**2 / (2**14 * s_out)`` through
  QuantizeMultiplier (it may exceed one); ``d = v_1 - v_2``, ``out = MBQM(d * d, m_out,
  shift_out) + zp_out`` clamped to int8 (|d| < 2^15, so d * d fits in int32).
- MUL: kernels/mul_common.cc and reference/integer_ops/mul.h. Multiplier from
  ``s1 * s2 / s_out`` (QuantizeMultiplier);
  ``out = MBQM((q1 - zp1) * (q2 - zp2), m, shift) + zp_out`` clamped.
- RELU: kernels/activations_common.cc (CalculateReluOpData, ReluQuantized): requantize
  ``s_in / s_out`` then clamp to ``[max(-128, zp_out), 127]``.
- RELU6: Relu6Prepare/Relu6Quantized: no requantization; clamp the raw input to
  ``[zp_in, FloatToQuantizedType(6.0, s_in, zp_in)]`` (round(6 / s) + zp, clamped to int8).
- PRELU: tflite-micro kernels/prelu_common.cc (CalculatePreluParams): two QuantizeMultiplier
  pairs from double products of the float32 scales, ``s_in / s_out`` (identity) and
  ``s_in * s_alpha / s_out`` (alpha); reference_ops::BroadcastPrelu4DSlow: ``d = q - zp_in``,
  ``MBQM(d, identity)`` for ``d >= 0``, else ``MBQM(d * (alpha - zp_alpha), alpha)``, plus
  ``zp_out``, clamped to int8. alpha broadcasts against the input (per channel: ``[C]`` or
  ``[1, 1, C]``) and takes one (scale, zero point).
- MAXIMUM / MINIMUM: kernels/maximum_minimum.cc: the raw values' max / min with 4-D
  broadcasting, no requantization (the converter gives inputs and output one quantization).
Scales are float32 in the model and widened to double, as TFLite does.
MBQM is quant.multiply_by_quantized_multiplier.
"""
from __future__ import annotations

import numpy as np

from simulator.errors import ModelError
from simulator.reference import quant
from simulator.reference.padding import _round_half_away, activation_range_s8
from simulator.reference.spec import OpSpec

ADD_LEFT_SHIFT = 20


def _f32(x) -> float:
    return float(np.float32(x))


def add_params(s1: float, s2: float, s_out: float) -> dict:
    s1, s2, s_out = _f32(s1), _f32(s2), _f32(s_out)
    twice_max = 2.0 * max(s1, s2)
    m1, sh1 = quant.quantize_multiplier(s1 / twice_max)
    m2, sh2 = quant.quantize_multiplier(s2 / twice_max)
    mo, sho = quant.quantize_multiplier(twice_max / ((1 << ADD_LEFT_SHIFT) * s_out))
    return dict(left_shift=ADD_LEFT_SHIFT, input1_multiplier=m1, input1_shift=sh1,
                input2_multiplier=m2, input2_shift=sh2, output_multiplier=mo, output_shift=sho)


def add_s8(a, b, *, input1_zp, input2_zp, output_zp, left_shift, input1_multiplier,
           input1_shift, input2_multiplier, input2_shift, output_multiplier, output_shift,
           act_min=-128, act_max=127) -> np.ndarray:
    mbqm = quant.multiply_by_quantized_multiplier
    va = mbqm((np.asarray(a, np.int64) - input1_zp) << left_shift, input1_multiplier,
              input1_shift)
    vb = mbqm((np.asarray(b, np.int64) - input2_zp) << left_shift, input2_multiplier,
              input2_shift)
    out = mbqm(va + vb, output_multiplier, output_shift) + output_zp
    return quant.clamp_s8(out, act_min, act_max)


def sub_s8(a, b, *, input1_zp, input2_zp, output_zp, left_shift, input1_multiplier,
           input1_shift, input2_multiplier, input2_shift, output_multiplier, output_shift,
           act_min=-128, act_max=127) -> np.ndarray:
    mbqm = quant.multiply_by_quantized_multiplier
    va = mbqm((np.asarray(a, np.int64) - input1_zp) << left_shift, input1_multiplier,
              input1_shift)
    vb = mbqm((np.asarray(b, np.int64) - input2_zp) << left_shift, input2_multiplier,
              input2_shift)
    out = mbqm(va - vb, output_multiplier, output_shift) + output_zp
    return quant.clamp_s8(out, act_min, act_max)


SQD_LEFT_SHIFT = 7


def squared_difference_params(s1: float, s2: float, s_out: float) -> dict:
    s1, s2, s_out = _f32(s1), _f32(s2), _f32(s_out)
    twice_max = 2.0 * max(s1, s2)
    m1, sh1 = quant.quantize_multiplier(s1 / twice_max)
    m2, sh2 = quant.quantize_multiplier(s2 / twice_max)
    mo, sho = quant.quantize_multiplier(twice_max * twice_max
                                        / ((1 << (2 * SQD_LEFT_SHIFT)) * s_out))
    return dict(left_shift=SQD_LEFT_SHIFT, input1_multiplier=m1, input1_shift=sh1,
                input2_multiplier=m2, input2_shift=sh2, output_multiplier=mo, output_shift=sho)


def squared_difference_s8(a, b, *, input1_zp, input2_zp, output_zp, left_shift,
                          input1_multiplier, input1_shift, input2_multiplier, input2_shift,
                          output_multiplier, output_shift, act_min=-128,
                          act_max=127) -> np.ndarray:
    mbqm = quant.multiply_by_quantized_multiplier
    va = mbqm((np.asarray(a, np.int64) - input1_zp) << left_shift, input1_multiplier,
              input1_shift)
    vb = mbqm((np.asarray(b, np.int64) - input2_zp) << left_shift, input2_multiplier,
              input2_shift)
    d = va - vb
    out = mbqm(d * d, output_multiplier, output_shift) + output_zp
    return quant.clamp_s8(out, act_min, act_max)


def mul_s8(a, b, *, input1_zp, input2_zp, output_zp, output_multiplier, output_shift,
           act_min=-128, act_max=127) -> np.ndarray:
    prod = (np.asarray(a, np.int64) - input1_zp) * (np.asarray(b, np.int64) - input2_zp)
    out = quant.multiply_by_quantized_multiplier(prod, output_multiplier, output_shift)
    return quant.clamp_s8(out + output_zp, act_min, act_max)


def relu_params(s_in: float, zp_in: int, s_out: float, zp_out: int) -> dict:
    m, sh = quant.quantize_multiplier(_f32(s_in) / _f32(s_out))
    return dict(input_zp=zp_in, output_zp=zp_out, multiplier=m, shift=sh,
                act_min=max(-128, zp_out), act_max=127)


def relu6_params(s_in: float, zp_in: int) -> dict:
    six = _round_half_away(np.float32(6.0) / np.float32(s_in)) + zp_in
    # Identity requantization (x * 2^30 * 2^(1-31) == x exactly) keeps one kernel for both.
    return dict(input_zp=0, output_zp=0, multiplier=1 << 30, shift=1,
                act_min=max(-128, min(127, zp_in)), act_max=max(-128, min(127, six)))


def relu_s8(x, *, input_zp, output_zp, multiplier, shift, act_min, act_max) -> np.ndarray:
    v = quant.multiply_by_quantized_multiplier(np.asarray(x, np.int64) - input_zp,
                                               multiplier, shift) + output_zp
    return quant.clamp_s8(v, act_min, act_max)


def prelu_params(s_in: float, s_alpha: float, s_out: float) -> dict:
    s_in, s_alpha, s_out = _f32(s_in), _f32(s_alpha), _f32(s_out)
    m1, sh1 = quant.quantize_multiplier(s_in / s_out)
    m2, sh2 = quant.quantize_multiplier(s_in * s_alpha / s_out)
    return dict(identity_multiplier=m1, identity_shift=sh1, alpha_multiplier=m2,
                alpha_shift=sh2)


def prelu_s8(x, alpha, *, input_zp, alpha_zp, output_zp, identity_multiplier, identity_shift,
             alpha_multiplier, alpha_shift) -> np.ndarray:
    mbqm = quant.multiply_by_quantized_multiplier
    d, a = np.broadcast_arrays(np.asarray(x, np.int64) - input_zp,
                               np.asarray(alpha, np.int64) - alpha_zp)
    out = np.where(d >= 0, mbqm(d, identity_multiplier, identity_shift),
                   mbqm(d * a, alpha_multiplier, alpha_shift))
    return quant.clamp_s8(out + output_zp, -128, 127)


def broadcast4(shape1, shape2) -> tuple[list[int], list[int], list[int]]:
    """(out_dims, in1_strides, in2_strides) of ``ck_broadcast4`` for two broadcastable shapes
    of rank <= 4 (right-aligned; stride 0 along a broadcast dimension)."""
    out = np.broadcast_shapes(tuple(shape1), tuple(shape2))
    if len(out) > 4:
        raise ModelError(f"broadcast of {shape1} and {shape2} has more than 4 dimensions")
    out4 = [1] * (4 - len(out)) + [int(d) for d in out]

    def strides(shape):
        s4 = [1] * (4 - len(shape)) + [int(d) for d in shape]
        st, acc = [0] * 4, 1
        for i in range(3, -1, -1):
            st[i] = acc if s4[i] == out4[i] and s4[i] != 1 else 0
            acc *= s4[i]
        return st
    return out4, strides(shape1), strides(shape2)


# ---- IR adapters --------------------------------------------------------------------------

def _tensors(op, graph, inputs, n_in):
    ts = [graph.tensor(i) for i in op.inputs[:n_in]] + [graph.tensor(op.outputs[0])]
    for t in ts:
        if t.dtype != "int8" or t.quant is None:
            raise ModelError("only quantized int8 is supported", op_index=op.index,
                             opcode=op.opcode, tensor_index=t.index)
    vals = [np.asarray(inputs[k]) if inputs is not None and k < len(inputs)
            and inputs[k] is not None else ts[k].data for k in range(n_in)]
    return ts, vals


def _act(op, out_t):
    return activation_range_s8(op.options.get("fused_activation_function", "NONE"),
                               _f32(out_t.quant.scalar_scale), out_t.quant.scalar_zero_point)


def _zps(ts):
    return dict(input1_zp=ts[0].quant.scalar_zero_point, input2_zp=ts[1].quant.scalar_zero_point,
                output_zp=ts[2].quant.scalar_zero_point)


def run_add(op, graph, inputs) -> np.ndarray:
    ts, (a, b) = _tensors(op, graph, inputs, 2)
    lo, hi = _act(op, ts[2])
    p = add_params(*(t.quant.scalar_scale for t in ts))
    return add_s8(a, b, **_zps(ts), **p, act_min=lo, act_max=hi)


def run_sub(op, graph, inputs) -> np.ndarray:
    ts, (a, b) = _tensors(op, graph, inputs, 2)
    lo, hi = _act(op, ts[2])
    p = add_params(*(t.quant.scalar_scale for t in ts))
    return sub_s8(a, b, **_zps(ts), **p, act_min=lo, act_max=hi)


def run_squared_difference(op, graph, inputs) -> np.ndarray:
    ts, (a, b) = _tensors(op, graph, inputs, 2)
    p = squared_difference_params(*(t.quant.scalar_scale for t in ts))
    return squared_difference_s8(a, b, **_zps(ts), **p)


def run_mul(op, graph, inputs) -> np.ndarray:
    ts, (a, b) = _tensors(op, graph, inputs, 2)
    lo, hi = _act(op, ts[2])
    s1, s2, so = (_f32(t.quant.scalar_scale) for t in ts)
    m, sh = quant.quantize_multiplier(s1 * s2 / so)
    return mul_s8(a, b, **_zps(ts), output_multiplier=m, output_shift=sh, act_min=lo,
                  act_max=hi)


def prelu_fields(op, graph) -> dict:
    """ck_prelu_s8_params: zero points, then prelu_params."""
    x_t, a_t, out_t = (graph.tensor(i) for i in (*op.inputs[:2], op.outputs[0]))
    return dict(input_zp=x_t.quant.scalar_zero_point, alpha_zp=a_t.quant.scalar_zero_point,
                output_zp=out_t.quant.scalar_zero_point,
                **prelu_params(x_t.quant.scalar_scale, a_t.quant.scalar_scale,
                               out_t.quant.scalar_scale))


def run_prelu(op, graph, inputs) -> np.ndarray:
    _, (x, alpha) = _tensors(op, graph, inputs, 2)
    return prelu_s8(x, alpha, **prelu_fields(op, graph))


def _raw_binary(fn):
    def run(op, graph, inputs):
        _, (a, b) = _tensors(op, graph, inputs, 2)
        return fn(np.asarray(a, np.int8), np.asarray(b, np.int8))
    return run


def relu_fields(op, graph) -> dict:
    """ck_relu_s8_params after ``size`` (RELU: requantize, then clamp)."""
    x_t, out_t = graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])
    return relu_params(x_t.quant.scalar_scale, x_t.quant.scalar_zero_point,
                       out_t.quant.scalar_scale, out_t.quant.scalar_zero_point)


def relu6_fields(op, graph) -> dict:
    """ck_relu_s8_params after ``size`` (RELU6: the identity multiplier, a clamp)."""
    x_t = graph.tensor(op.inputs[0])
    return relu6_params(x_t.quant.scalar_scale, x_t.quant.scalar_zero_point)


def run_relu(op, graph, inputs) -> np.ndarray:
    _, (x,) = _tensors(op, graph, inputs, 1)
    return relu_s8(x, **relu_fields(op, graph))


def run_relu6(op, graph, inputs) -> np.ndarray:
    _, (x,) = _tensors(op, graph, inputs, 1)
    return relu_s8(x, **relu6_fields(op, graph))


OPS = {"ADD": OpSpec(run_add, onnx=("Add",)), "MUL": OpSpec(run_mul, onnx=("Mul",)),
       "SUB": OpSpec(run_sub, onnx=("Sub",)), "SQUARED_DIFFERENCE": OpSpec(run_squared_difference),
       "RELU": OpSpec(run_relu, params=relu_fields, onnx=("Relu",)),
       "RELU6": OpSpec(run_relu6, params=relu6_fields),
       "PRELU": OpSpec(run_prelu),
       "MAXIMUM": OpSpec(_raw_binary(np.maximum), shared_quant=True),
       "MINIMUM": OpSpec(_raw_binary(np.minimum), shared_quant=True)}
