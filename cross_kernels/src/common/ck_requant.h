/*
 * ck_requant.h - the int8 output stage shared by the conv-family and fully-connected kernels
 * (not public API): bias, requantize (ck_types.h's multiplier / shift convention), output
 * offset and the activation-range clamp, with the DSP kernels' fast path.
 */
#ifndef CK_REQUANT_H
#define CK_REQUANT_H

#include <stdint.h>

#include "ck_quant.h"

/* bias, requantize, offset and clamp one accumulator of channel c.
 * The requantized value is limited to +-512 before the offset so the add cannot overflow;
 * that does not change the clamped result (|offset| <= 128). */
static inline int8_t ck_finish_s8(int32_t acc, int32_t c, const int32_t *bias,
                                  const int32_t *multiplier, const int32_t *shift,
                                  int32_t per_channel, int32_t output_offset, int32_t act_min,
                                  int32_t act_max)
{
    if (bias) {
        acc = (int32_t)((uint32_t)acc + (uint32_t)bias[c]);
    }
    const int32_t q = per_channel ? c : 0;
    int32_t r = ck_requantize(acc, multiplier[q], shift[q]);
    r = r < -512 ? -512 : (r > 512 ? 512 : r);
    return ck_clamp_s8(r + output_offset, act_min, act_max);
}

/* The same bits as ck_finish_s8 without the bias (the DSP kernels start their accumulators at
 * bias[c]), in about half the instructions; the reasoning, step by step:
 *  - ck_srdhm's "(ab + nudge) / 2^31" with nudge = 2^30 or 1 - 2^30 by sign and division
 *    truncating toward zero equals floor((ab + 2^30) / 2^31) for both signs (for ab < 0,
 *    ceil((ab + 1 - 2^30) / 2^31) = floor((ab + 2^30) / 2^31)), i.e. one 64-bit add and shift;
 *    the single saturating case (both operands INT32_MIN) is kept;
 *  - ck_rounding_divide_by_pot's "remainder > threshold" becomes the sign bit of
 *    threshold - remainder (both in [0, 2^31), so the subtraction cannot overflow);
 *  - clamping to [-512, 511] instead of [-512, 512] before the offset is the same after the
 *    final clamp (511 + offset >= 383 > act_max), and is one SSAT on Armv7E-M. */
static inline int8_t ck_requant_s8(int32_t acc, int32_t multiplier, int32_t shift,
                                   int32_t output_offset, int32_t act_min, int32_t act_max)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    const int32_t x = (int32_t)((uint32_t)acc << left);
    int32_t s;
    if (x == INT32_MIN && multiplier == INT32_MIN) {
        s = INT32_MAX;
    } else {
        s = (int32_t)(((int64_t)x * multiplier + (1LL << 30)) >> 31);
    }
    const int32_t mask = (int32_t)((1u << right) - 1u);
    const int32_t threshold = (mask >> 1) + (int32_t)((uint32_t)s >> 31);
    int32_t r = (s >> right) - ((threshold - (s & mask)) >> 31);
    r = r < -512 ? -512 : (r > 511 ? 511 : r);
    r += output_offset;
    r = r < act_min ? act_min : r;
    return (int8_t)(r > act_max ? act_max : r);
}

/* --- Requantization fast path of the DSP kernels (shift < 0, small accumulators) ----------
 * Conv, depthwise and FC layers almost always requantize with a right shift (shift < 0), and
 * their accumulators stay far below 2^30. Under exactly those two conditions, checked once per
 * layer by ck_fast_requant_ok, ck_requant_s8 gives the same bits as (r = -shift >= 1):
 *   s = SMMULR(2 * acc, multiplier)      (2acc m + 2^31) >> 32 == (acc m + 2^30) >> 31 as
 *                                        long as 2 * acc fits; acc = INT32_MIN cannot occur,
 *                                        so neither can the saturating doubling-high case;
 *   t = s + (s >> 31)                    s - 1 for s < 0 (no overflow: |s| <= 2^30);
 *   v = ((t >> (r - 1)) + 1) >> 1        = floor((s + 2^(r-1) - [s < 0]) / 2^r), which is the
 *                                        round-half-away-from-zero of ck_rounding_divide_by_pot
 *                                        (for r >= 1; r = 0 is excluded by shift < 0);
 *   out = clamp(v + output_offset, act_min, act_max)
 * where the +output_offset is folded in before the final halving ((u + 1 + 2 oo) >> 1 =
 * ((u + 1) >> 1) + oo), and the clamp to [-512, 511] of ck_requant_s8 is replaced by
 * SSAT #8, which gives the same value after the [act_min, act_max] clamp (|oo| <= 128).
 * r - 1 = -shift - 1 = ~shift. */
static inline int ck_fast_requant_ok(const int32_t *bias, int32_t n_bias, const int32_t *shift,
                                     int32_t n_shift, int64_t taps)
{
    const int64_t limit = (1LL << 30) - 1 - taps * 128 * 255;   /* |w (x + off)| <= 32640 */
    if (limit < 0) {
        return 0;
    }
    for (int32_t i = 0; i < n_shift; ++i) {
        if (shift[i] >= 0) {
            return 0;
        }
    }
    for (int32_t i = 0; bias && i < n_bias; ++i) {
        const int64_t b = bias[i];
        if (b > limit || -b > limit) {
            return 0;
        }
    }
    return 1;
}

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__GNUC__)
static inline int32_t ck_smmulr(int32_t a, int32_t b)
{
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
/* ssat(u >> 1, 8): one SSAT with its shift operand */
static inline int32_t ck_ssat8_half(int32_t u)
{
    int32_t r;
    __asm__("ssat %0, #8, %1, asr #1" : "=r"(r) : "r"(u) : "cc");
    return r;
}
#else
static inline int32_t ck_smmulr(int32_t a, int32_t b)
{
    return (int32_t)(((int64_t)a * b + 0x80000000LL) >> 32);
}
static inline int32_t ck_ssat8_half(int32_t u)
{
    const int32_t v = u >> 1;
    return v < -128 ? -128 : (v > 127 ? 127 : v);
}
#endif

/* the fast path up to the act clamp: a value in [-128, 127]; oo2p1 = 2 * output_offset + 1 */
static inline int32_t ck_requant_fast(int32_t acc, int32_t multiplier, int32_t shift,
                                      int32_t oo2p1)
{
    const int32_t s = ck_smmulr(acc * 2, multiplier);
    const int32_t t = s + (s >> 31);
    return ck_ssat8_half((t >> ~shift) + oo2p1);
}

/* SMMULR, (a * b + 2^31) >> 32, exactly, for every int32 a and b, from four 16 x 16-bit MULS:
 * Armv6-M has no long multiply, and the library's 64 x 64-bit __aeabi_lmul costs a call and
 * about 40 cycles. With a = ah 2^16 + al, b = bh 2^16 + bl (al, bl in [0, 2^16), ah, bh
 * signed) every partial product fits int32 (|al bh|, |ah bl| < 2^31, |ah bh| <= 2^30), and
 *   a b + 2^31 = (ah bh + (al bh >> 16) + (ah bl >> 16)) 2^32
 *              + ((al bh & 0xffff) + (ah bl & 0xffff) + 0x8000) 2^16 + al bl
 * (>> arithmetic, i.e. floor); the last term adds (al bl >> 16) to the middle bracket and a
 * remainder below 2^16 that cannot carry into 2^32. */
static inline int32_t ck_smmulr_m0(int32_t a, int32_t b)
{
    const uint32_t al = (uint32_t)a & 0xffffu, bl = (uint32_t)b & 0xffffu;
    const int32_t ah = a >> 16, bh = b >> 16;
    const int32_t lh = (int32_t)al * bh, hl = ah * (int32_t)bl;
    const uint32_t mid = ((al * bl) >> 16) + ((uint32_t)lh & 0xffffu) +
                         ((uint32_t)hl & 0xffffu) + 0x8000u;
    return ah * bh + (lh >> 16) + (hl >> 16) + (int32_t)(mid >> 16);
}

/* A layer's output stage for the Armv6-M kernels, read once per call into a local (the
 * kernels' int8 stores may alias any memory, so fields read through the params pointer are
 * reloaded after every output otherwise). */
typedef struct {
    const int32_t *bias, *multiplier, *shift;
    int32_t per_channel, output_offset, act_min, act_max;
    int fast;           /* ck_fast_requant_ok held for the layer */
} ck_requant_m0;

static inline ck_requant_m0 ck_requant_m0_init(const int32_t *bias, const int32_t *multiplier,
                                               const int32_t *shift, int32_t per_channel,
                                               int32_t output_offset, int32_t act_min,
                                               int32_t act_max, int32_t n_out, int64_t taps)
{
    ck_requant_m0 r = {bias, multiplier, shift, per_channel, output_offset, act_min, act_max,
                       ck_fast_requant_ok(bias, n_out, shift, per_channel ? n_out : 1, taps)};
    return r;
}

/* ck_finish_s8's bits: the bias added first (wrapping, as there), then ck_requant_fast's steps
 * with ck_smmulr_m0 when the layer passed ck_fast_requant_ok (its final SSAT is dropped: the
 * [act_min, act_max] clamp inside [-128, 127] gives the same value), else ck_requant_s8 (no
 * 64-bit shift for the rounding mask, which Armv6-M pays as a library call per output).
 * Always inlined: clang outlined it in the conv kernel, and the call and the reloads of rq
 * cost about 15 of the 60-odd cycles per output (measured, 1x1 8->16 conv on the M0+). */
#if defined(__GNUC__)
#define CK_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define CK_ALWAYS_INLINE inline
#endif
static CK_ALWAYS_INLINE int8_t ck_finish_s8_m0(const ck_requant_m0 *rq, int32_t acc, int32_t c)
{
    if (rq->bias) {
        acc = (int32_t)((uint32_t)acc + (uint32_t)rq->bias[c]);
    }
    const int32_t q = rq->per_channel ? c : 0;
    if (rq->fast) {
        const int32_t s = ck_smmulr_m0(acc * 2, rq->multiplier[q]);
        const int32_t t = s + (s >> 31);
        int32_t r = ((t >> ~rq->shift[q]) + 2 * rq->output_offset + 1) >> 1;
        r = r < rq->act_min ? rq->act_min : r;
        return (int8_t)(r > rq->act_max ? rq->act_max : r);
    }
    return ck_requant_s8(acc, rq->multiplier[q], rq->shift[q], rq->output_offset, rq->act_min,
                         rq->act_max);
}

#endif /* CK_REQUANT_H */
