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
