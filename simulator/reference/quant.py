"""TFLite's fixed-point requantization arithmetic, vectorised and bit-exact.

These are the primitives every int8 op is defined with. The semantics follow
TensorFlow Lite's ``tensorflow/lite/kernels/internal/common.h`` and gemmlowp's
``fixedpoint.h`` (SaturatingRoundingDoublingHighMul, RoundingDivideByPOT,
MultiplyByQuantizedMultiplier with the default double rounding, i.e. without
TFLITE_SINGLE_ROUNDING) and ``quantization_util.cc`` (QuantizeMultiplier).
The C twins live in ``cross_kernels/include/ck_quant.h`` and must agree bit for bit.
"""
from __future__ import annotations

import math

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1


def saturating_rounding_doubling_high_mul(a, b):
    """(a * b * 2) >> 32 with round-half-away-from-zero; saturates INT32_MIN*INT32_MIN."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    overflow = (a == INT32_MIN) & (b == INT32_MIN)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    s = ab + nudge
    # C integer division truncates toward zero; NumPy's // floors.
    q = np.where(s >= 0, s >> 31, -((-s) >> 31))
    return np.where(overflow, INT32_MAX, q).astype(np.int64)


def rounding_divide_by_pot(x, exponent):
    """Arithmetic right shift by ``exponent`` (0..31) rounding half away from zero."""
    x = np.asarray(x, dtype=np.int64)
    exponent = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def multiply_by_quantized_multiplier(x, multiplier, shift):
    """TFLite MultiplyByQuantizedMultiplier: x * multiplier * 2**(shift-31), int32 semantics.

    ``shift`` > 0 is a left shift applied before the high multiply (saturating to int32
    is the caller's contract: TFLite never passes values that overflow).
    """
    x = np.asarray(x, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    shifted = (x * (np.int64(1) << left)).astype(np.int32).astype(np.int64)
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, multiplier), right)


def _tflite_round(x: float) -> float:
    # TfLiteRound is std::round: half away from zero (Python's round() is half-to-even).
    return math.copysign(math.floor(abs(x) + 0.5), x)


def quantize_multiplier(real_multiplier: float) -> tuple[int, int]:
    """Split a positive real multiplier into (int32 q31 multiplier, shift), as TFLite does."""
    if real_multiplier == 0.0:
        return 0, 0
    if real_multiplier < 0 or not math.isfinite(real_multiplier):
        raise ValueError(f"multiplier must be finite and >= 0, got {real_multiplier!r}")
    frac, shift = math.frexp(real_multiplier)
    q = int(_tflite_round(frac * (1 << 31)))
    if q == (1 << 31):
        q //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return q, shift


def quantize_multipliers(real_multipliers) -> tuple[np.ndarray, np.ndarray]:
    """Vector form of :func:`quantize_multiplier` for per-channel scales."""
    pairs = [quantize_multiplier(float(m)) for m in np.ravel(real_multipliers)]
    return (np.array([p[0] for p in pairs], dtype=np.int32),
            np.array([p[1] for p in pairs], dtype=np.int32))


def clamp_s8(x, act_min: int = -128, act_max: int = 127) -> np.ndarray:
    return np.clip(np.asarray(x, dtype=np.int64), act_min, act_max).astype(np.int8)
