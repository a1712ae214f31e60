/*
 * ck_pooling_internal.h - what ck_avgpool_s8.c and ck_maxpool_s8.c share (not public API):
 * the clipped window of one output pixel, the exact reciprocal that replaces the average's
 * division, and the packed byte max of the DSP paths.
 *
 * Loop order (both kernels): output pixel -> block of channels -> window rows -> window
 * columns. The window is clipped once per pixel; a block's running sums or maxima stay in
 * registers while its taps, one NHWC pixel apart, are read as words (4 channels per load).
 *
 * Exact division (average pool). TFLite rounds sum / count half away from zero:
 *   q = sign(sum) * floor((|sum| + h) / d),   d = count, h = floor(d / 2)
 * (for sum <= 0, (sum - h) / d truncated toward zero is -floor((h - sum) / d)). Let
 * n = |sum| + h and R = ceil(2^24 / d). Claim: floor(n R / 2^24) == floor(n / d) for every
 * 1 <= d <= 361 and every n the kernels can see, and n R does not overflow uint32.
 *   |sum| <= 128 d (int8 taps), so 0 <= n <= 128.5 d. Write R d = 2^24 + e with 0 <= e <= d - 1
 *   and n = q d + r with 0 <= r <= d - 1. Then n R / 2^24 = q + (r + n e / 2^24) / d, which is
 *   >= q, and < q + 1 as soon as n e < 2^24 (then r + n e / 2^24 < (d - 1) + 1). Now
 *   n e <= 128.5 d (d - 1), and 128.5 * 361 * 360 = 16,699,860 < 2^24 = 16,777,216
 *   (d = 362 gives 16,792,637: the bound is tight for this argument).
 *   n R <= 128.5 d (2^24 / d + 1) = 128.5 * 2^24 + 128.5 d < 2^31 + 2^23 + 2^16 < 2^32.
 * A 32 x 32 -> 32-bit multiply (one MULS, also on the M0+, which has no divide) and a shift.
 * test_pooling_fast_paths.py checks every (d, sum) pair of that range exhaustively. Larger
 * windows keep the division.
 *
 * Packed sums (DSP and SWAR paths) hold one channel per 16-bit lane, so they need
 * |sum| <= 32768 (signed lanes, SXTAB16) or sum + 128 d <= 65535 (biased unsigned lanes):
 * both hold for windows of at most 256 taps (CK_POOL_PACKED_TAPS); larger windows take the
 * int32 path.
 */
#ifndef CK_POOLING_INTERNAL_H
#define CK_POOLING_INTERNAL_H

#include <stdint.h>

#include "ck_pooling.h"
#include "../common/ck_check.h"
#include "ck_quant.h"
#include "../common/ck_simd.h"

#if defined(__GNUC__)
#define CK_POOL_INLINE static inline __attribute__((always_inline))
#else
#define CK_POOL_INLINE static inline
#endif

#define CK_POOL_RECIP_SHIFT 24
#define CK_POOL_RECIP_MAX_COUNT 361
#define CK_POOL_PACKED_TAPS 256

/* The clipped window of one output pixel. */
typedef struct {
    const int8_t *first;   /* channel 0 of the window's top-left tap */
    int32_t rows, cols;    /* taps in the image, each >= 1 */
    int32_t row_skip;      /* bytes from past a window row's last tap to the next row's first */
    int32_t channels;      /* bytes from one tap to the next along a row */
} ck_pool_window;

/* [lo, hi) of the taps of output index o along one axis, cut to [0, size). */
CK_POOL_INLINE void ck_pool_clip(int32_t o, int32_t stride, int32_t pad, int32_t filter,
                                 int32_t size, int32_t *lo, int32_t *hi)
{
    const int32_t start = o * stride - pad;
    *lo = start < 0 ? 0 : start;
    *hi = start + filter < size ? start + filter : size;
}

/* True when the whole (unclipped) window has at most `taps` taps; no overflow for any int32
 * filter sizes >= 1. */
static inline int ck_pool_window_at_most(const ck_pool_s8_params *p, int32_t taps)
{
    return p->filter_h <= taps && p->filter_w <= taps / p->filter_h;
}

/* ceil(2^24 / count), for 1 <= count <= CK_POOL_RECIP_MAX_COUNT */
static inline uint32_t ck_pool_recip(int32_t count)
{
    return ((1u << CK_POOL_RECIP_SHIFT) + (uint32_t)count - 1u) / (uint32_t)count;
}

/* sum / count rounded half away from zero, with half = count / 2 and recip =
 * ck_pool_recip(count): exact for |sum| <= 128 count (see the header comment). */
CK_POOL_INLINE int32_t ck_pool_avg(int32_t sum, uint32_t half, uint32_t recip)
{
    const int32_t sign = sum >> 31;                           /* 0 or -1 */
    const uint32_t n = (uint32_t)((sum ^ sign) - sign) + half;
    const int32_t q = (int32_t)((n * recip) >> CK_POOL_RECIP_SHIFT);
    return (q ^ sign) - sign;
}

/* TFLite's own expression, for windows beyond the reciprocal's range */
static inline int32_t ck_pool_avg_div(int32_t sum, int32_t count)
{
    return sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
}

#if defined(CK_HAVE_DSP)
/* v replicated in the four bytes of a word */
static inline uint32_t ck_pool_dup8(int32_t v) { return ((uint32_t)v & 0xFFu) * 0x01010101u; }

/* Per signed byte lane: max(a, b) and min(a, b). SSUB8 sets GE[i] when a[i] >= b[i]; SEL
 * takes a's byte there and b's elsewhere. One asm statement each, so no compiler can put
 * another GE-writing instruction between the two. */
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
CK_POOL_INLINE uint32_t ck_pool_max8(uint32_t a, uint32_t b)
{
    uint32_t t, r;
    __asm__("ssub8 %0, %2, %3\n\tsel %1, %2, %3" : "=&r"(t), "=r"(r) : "r"(a), "r"(b) : "cc");
    (void)t;
    return r;
}
CK_POOL_INLINE uint32_t ck_pool_min8(uint32_t a, uint32_t b)
{
    uint32_t t, r;
    __asm__("ssub8 %0, %2, %3\n\tsel %1, %3, %2" : "=&r"(t), "=r"(r) : "r"(a), "r"(b) : "cc");
    (void)t;
    return r;
}
#else
static inline uint32_t ck_pool_max8(uint32_t a, uint32_t b)
{
    uint32_t r = 0;
    int i;
    for (i = 0; i < 32; i += 8) {
        const int32_t x = (int8_t)(uint8_t)(a >> i), y = (int8_t)(uint8_t)(b >> i);
        r |= (uint32_t)(uint8_t)(x >= y ? x : y) << i;
    }
    return r;
}
static inline uint32_t ck_pool_min8(uint32_t a, uint32_t b) { return ck_pool_max8(b, a) ^ a ^ b; }
#endif
#endif /* CK_HAVE_DSP */

#endif /* CK_POOLING_INTERNAL_H */
