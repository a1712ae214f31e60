"""TFLite's SAME/VALID geometry and fused-activation clamps, as the kernels compute them.

Sources (semantics only, no code copied):
- output size and padding: tensorflow/lite/kernels/padding.h (ComputeOutSize,
  ComputePaddingWithOffset): the effective filter is ``(k - 1) * dilation + 1``; SAME gives
  ``ceil(in / stride)`` outputs, VALID ``(in + stride - eff) / stride``; the leading pad is
  half the total (the odd pixel goes to the end).
- activation range: tensorflow/lite/kernels/kernel_util.cc (CalculateActivationRangeQuantized):
  each bound is ``zero_point + round(f / scale)`` in float32 with std::round (half away from
  zero), clipped to the int8 range.
"""
from __future__ import annotations

import math

import numpy as np

from simulator.errors import ModelError

INT8_MIN, INT8_MAX = -128, 127


def effective_filter_size(k: int, dilation: int) -> int:
    return (k - 1) * dilation + 1


def compute_padding(in_size: int, k: int, stride: int, dilation: int,
                    padding: str) -> tuple[int, int]:
    """Return ``(pad_before, out_size)`` for one spatial axis; ``padding`` is "SAME"/"VALID"."""
    if min(in_size, k, stride, dilation) < 1:
        raise ModelError(f"bad conv geometry: in={in_size} k={k} stride={stride} "
                         f"dilation={dilation}")
    eff = effective_filter_size(k, dilation)
    if padding == "SAME":
        out = (in_size + stride - 1) // stride
    elif padding == "VALID":
        out = (in_size + stride - eff) // stride
    else:
        raise ModelError(f"unknown padding {padding!r} (expected SAME or VALID)")
    if out < 1:
        raise ModelError(f"{padding} padding gives no output: input {in_size} is smaller "
                         f"than the effective filter {eff}")
    total = max((out - 1) * stride + eff - in_size, 0)
    return total // 2, out


def _round_half_away(x: np.float32) -> int:
    return int(math.copysign(math.floor(abs(float(x)) + 0.5), float(x)))


def _quantize_bound(f: float, scale: float, zero_point: int) -> int:
    return int(zero_point) + _round_half_away(np.float32(f) / np.float32(scale))


def activation_range_s8(fused: str, scale: float, zero_point: int) -> tuple[int, int]:
    """``(act_min, act_max)`` for an int8 output with the given fused activation."""
    fused = fused or "NONE"
    if fused == "NONE":
        return INT8_MIN, INT8_MAX
    bounds = {"RELU": (0.0, None), "RELU6": (0.0, 6.0), "RELU_N1_TO_1": (-1.0, 1.0)}
    if fused not in bounds:
        raise ModelError(f"fused activation {fused} is not supported on int8 outputs")
    lo, hi = bounds[fused]
    act_min = max(INT8_MIN, _quantize_bound(lo, scale, zero_point))
    act_max = INT8_MAX if hi is None else min(INT8_MAX, _quantize_bound(hi, scale, zero_point))
    return act_min, act_max
