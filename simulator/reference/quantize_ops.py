"""QUANTIZE (float32 -> int8, int8 -> int8) and DEQUANTIZE (int8 -> float32).

Semantics (facts, no code copied):
- float32 -> int8: reference/quantize.h AffineQuantize:
  ``q = (int32)TfLiteRound(x / (float)scale) + zp`` (float32 division, round half away from
  zero), clamped to int8. NaN is undefined in TFLite; here it maps to ``zp``, and values too
  large for int32 saturate.
- int8 -> int8: tflite-micro kernels/quantize_common.cc (QuantizeMultiplier of
  ``s_in / s_out``) and reference/requantize.h Requantize:
  ``q = MBQM(x - zp_in, m, shift) + zp_out`` clamped.
- DEQUANTIZE: reference/dequantize.h: ``(float)(double(scale) * (q - zp))``. For int8 the
  product is exact in double, so one float32 multiply gives the same bits.
"""
from __future__ import annotations

import numpy as np

from simulator.errors import ModelError
from simulator.reference import quant
from simulator.reference.spec import OpSpec


def quantize_f32_s8(x, *, scale: float, zero_point: int) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        q = x / np.float32(scale)                      # float32 / float32, as TFLite
        q = np.where(np.isnan(q), np.float32(0), q)
        q = np.clip(q, -512.0, 512.0).astype(np.float64)  # any |q| > 383 saturates anyway
    r = np.copysign(np.floor(np.abs(q) + 0.5), q).astype(np.int64)
    return quant.clamp_s8(r + int(zero_point))


def requantize_s8(x, *, input_zp, output_zp, multiplier, shift) -> np.ndarray:
    v = quant.multiply_by_quantized_multiplier(np.asarray(x, np.int64) - input_zp,
                                               multiplier, shift)
    return quant.clamp_s8(v + output_zp)


def dequantize_s8_f32(x, *, scale: float, zero_point: int) -> np.ndarray:
    d = (np.asarray(x, np.int64) - int(zero_point)).astype(np.float32)
    return (d * np.float32(scale)).astype(np.float32)


def _io(op, graph, inputs):
    x_t, out_t = graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])
    x = np.asarray(inputs[0]) if inputs else x_t.data
    return x_t, out_t, x


def run_quantize(op, graph, inputs) -> np.ndarray:
    x_t, out_t, x = _io(op, graph, inputs)
    if out_t.dtype != "int8" or out_t.quant is None:
        raise ModelError("QUANTIZE output must be quantized int8", op_index=op.index,
                         opcode=op.opcode, tensor_index=out_t.index)
    if x_t.dtype == "float32":
        return quantize_f32_s8(x, scale=float(np.float32(out_t.quant.scalar_scale)),
                               zero_point=out_t.quant.scalar_zero_point)
    if x_t.dtype == "int8" and x_t.quant is not None:
        m, sh = quant.quantize_multiplier(float(np.float32(x_t.quant.scalar_scale))
                                          / float(np.float32(out_t.quant.scalar_scale)))
        return requantize_s8(x, input_zp=x_t.quant.scalar_zero_point,
                             output_zp=out_t.quant.scalar_zero_point, multiplier=m, shift=sh)
    raise ModelError(f"QUANTIZE from {x_t.dtype} is not supported", op_index=op.index,
                     opcode=op.opcode, tensor_index=x_t.index)


def run_dequantize(op, graph, inputs) -> np.ndarray:
    x_t, out_t, x = _io(op, graph, inputs)
    if x_t.dtype != "int8" or x_t.quant is None or out_t.dtype != "float32":
        raise ModelError("only int8 -> float32 DEQUANTIZE is supported", op_index=op.index,
                         opcode=op.opcode, tensor_index=x_t.index)
    return dequantize_s8_f32(x, scale=float(np.float32(x_t.quant.scalar_scale)),
                             zero_point=x_t.quant.scalar_zero_point)


OPS = {"QUANTIZE": OpSpec(run_quantize), "DEQUANTIZE": OpSpec(run_dequantize)}
