/*
 * ck_quant.h - TFLite's fixed-point requantization primitives, bit-exact.
 *
 * Semantics follow TensorFlow Lite's kernels/internal/common.h and gemmlowp's
 * fixedpoint.h (default double rounding, i.e. without TFLITE_SINGLE_ROUNDING).
 * The Python twin is simulator/reference/quant.py; both must agree bit for bit.
 */
#ifndef CK_QUANT_H
#define CK_QUANT_H

#include <stdint.h>

/* (a * b * 2) >> 32, rounding half away from zero; INT32_MIN * INT32_MIN saturates.
 * gemmlowp writes (ab + nudge) / 2^31 with nudge = 2^30 (ab >= 0) or 1 - 2^30 (ab < 0) and a
 * division truncating toward zero; for both signs that equals floor((ab + 2^30) / 2^31)
 * (for ab < 0: ceil((ab + 1 - 2^30) / 2^31) = floor((ab + 2^30) / 2^31)), one add and an
 * arithmetic shift instead of a sign test and a 64-bit division. */
static inline int32_t ck_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    return (int32_t)(((int64_t)a * (int64_t)b + (1LL << 30)) >> 31);
}

/* Arithmetic shift right by exponent (0..31), rounding half away from zero.
 * "remainder > threshold" is the sign bit of threshold - remainder (both lie in [0, 2^31),
 * so the subtraction cannot overflow): no branch. */
static inline int32_t ck_rounding_divide_by_pot(int32_t x, int exponent)
{
    const int32_t mask = (int32_t)((1LL << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (int32_t)((uint32_t)x >> 31);
    return (x >> exponent) - ((threshold - remainder) >> 31);
}

/* x * multiplier * 2^(shift - 31): TFLite's MultiplyByQuantizedMultiplier. */
static inline int32_t ck_requantize(int32_t x, int32_t multiplier, int32_t shift)
{
    const int left = shift > 0 ? shift : 0;
    const int right = shift > 0 ? 0 : -shift;
    return ck_rounding_divide_by_pot(ck_srdhm((int32_t)((uint32_t)x << left), multiplier), right);
}

static inline int8_t ck_clamp_s8(int32_t x, int32_t lo, int32_t hi)
{
    return (int8_t)(x < lo ? lo : (x > hi ? hi : x));
}

/* clamp(v + zero_point) for an int8 zero point (|zp| <= 128). v is first limited to +-512,
 * which cannot change the result but keeps the add from overflowing int32 when a large
 * left shift drives v near INT32_MIN (TFLite's own int32 add is undefined there; the NumPy
 * reference adds in int64, and this matches it). */
static inline int8_t ck_offset_clamp_s8(int32_t v, int32_t zero_point, int32_t lo, int32_t hi)
{
    v = v < -512 ? -512 : (v > 512 ? 512 : v);
    return ck_clamp_s8(v + zero_point, lo, hi);
}

#endif /* CK_QUANT_H */
