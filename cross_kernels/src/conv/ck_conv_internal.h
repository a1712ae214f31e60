/* ck_conv_internal.h - helpers shared by the conv-family kernels (not public API). */
#ifndef CK_CONV_INTERNAL_H
#define CK_CONV_INTERNAL_H

#include <stdint.h>

#include "ck_conv.h"
#include "ck_quant.h"

ck_status ck_conv_check_args(const ck_conv_params *p, int depthwise, const int8_t *input,
                             const int8_t *filter, const int32_t *multiplier,
                             const int32_t *shift, const int8_t *output);

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

#define CK_CONV_FINISH(p, acc, c, bias, mult, shift)                                        \
    ck_finish_s8((acc), (c), (bias), (mult), (shift), (p)->per_channel, (p)->output_offset,  \
                 (p)->act_min, (p)->act_max)

/* First and one-past-last filter tap k such that origin + k * dilation lies in [0, size). */
static inline void ck_valid_taps(int32_t origin, int32_t dilation, int32_t size, int32_t k,
                                 int32_t *first, int32_t *end)
{
    int32_t lo = origin < 0 ? (-origin + dilation - 1) / dilation : 0;
    int32_t hi = origin < size ? (size - 1 - origin) / dilation + 1 : 0;
    *first = lo;
    *end = hi < k ? hi : k;
}

#endif /* CK_CONV_INTERNAL_H */
