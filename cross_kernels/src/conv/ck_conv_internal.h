/* ck_conv_internal.h - helpers shared by the conv-family kernels (not public API). */
#ifndef CK_CONV_INTERNAL_H
#define CK_CONV_INTERNAL_H

#include <stdint.h>

#include "ck_conv.h"
#include "../common/ck_check.h"
#include "../common/ck_requant.h"

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
