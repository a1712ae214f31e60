/* int8 MAX_POOL_2D (see ck_pooling.h; loop order and layout in ck_pooling_internal.h).
 * The running maxima start at act_min, which applies the lower clamp for free; act_max is
 * applied once per channel at the end. DSP cores keep 4 channels per register, 8 per block
 * (SSUB8 + SEL per word and tap, act_max as a packed min, one word store); the others keep
 * 4 int32 maxima. Channels past the last block of 4 take the one-channel loop. */
#include "ck_pooling_internal.h"

CK_POOL_INLINE void max_channel(const ck_pool_window *w, int8_t *dst, int32_t lo, int32_t hi)
{
    const int8_t *t = w->first;
    int32_t m = lo, y, x;
    for (y = 0; y < w->rows; ++y, t += w->row_skip) {
        for (x = 0; x < w->cols; ++x, t += w->channels) {
            m = *t > m ? *t : m;
        }
    }
    *dst = (int8_t)(m < hi ? m : hi);
}

#if !defined(CK_HAVE_DSP)
/* Four channels in four registers, out of line so that they start from a clean register set
 * (Armv6-M has seven free low registers once r7 holds the frame pointer). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void max_block4(const int8_t *row, int32_t rows, int32_t span, int32_t skip,
                       int32_t channels, int8_t *dst, int32_t lo, int32_t hi)
{
    int32_t m0 = lo, m1 = lo, m2 = lo, m3 = lo;
    do {
        const int8_t *t = row, *end = row + span;
        CK_NO_UNROLL
        do {
            m0 = t[0] > m0 ? t[0] : m0;
            m1 = t[1] > m1 ? t[1] : m1;
            m2 = t[2] > m2 ? t[2] : m2;
            m3 = t[3] > m3 ? t[3] : m3;
            t += channels;
        } while (t != end);
        row = end + skip;
    } while (--rows);
    dst[0] = (int8_t)(m0 < hi ? m0 : hi);
    dst[1] = (int8_t)(m1 < hi ? m1 : hi);
    dst[2] = (int8_t)(m2 < hi ? m2 : hi);
    dst[3] = (int8_t)(m3 < hi ? m3 : hi);
}
#endif

static void max_pixel(const ck_pool_window *w, int8_t *dst, int32_t lo, int32_t hi)
{
    const int32_t channels = w->channels, rows = w->rows, cols = w->cols, skip = w->row_skip;
    ck_pool_window tail = *w;
    int32_t c = 0;
#if defined(CK_HAVE_DSP)
    const uint32_t lo4 = ck_pool_dup8(lo), hi4 = ck_pool_dup8(hi);
    for (; c + 8 <= channels; c += 8) {
        const int8_t *t = w->first + c;
        uint32_t m0 = lo4, m1 = lo4;
        int32_t n = rows * cols, k = cols;
        do {
            m0 = ck_pool_max8(m0, (uint32_t)ck_read_s32(t));
            m1 = ck_pool_max8(m1, (uint32_t)ck_read_s32(t + 4));
            t += channels;
            if (--k == 0) {
                t += skip;
                k = cols;
            }
        } while (--n);
        ck_write_s32(dst + c, (int32_t)ck_pool_min8(m0, hi4));
        ck_write_s32(dst + c + 4, (int32_t)ck_pool_min8(m1, hi4));
    }
    if (c + 4 <= channels) {
        const int8_t *t = w->first + c;
        uint32_t m = lo4;
        int32_t n = rows * cols, k = cols;
        do {
            m = ck_pool_max8(m, (uint32_t)ck_read_s32(t));
            t += channels;
            if (--k == 0) {
                t += skip;
                k = cols;
            }
        } while (--n);
        ck_write_s32(dst + c, (int32_t)ck_pool_min8(m, hi4));
        c += 4;
    }
#else
    for (; c + 4 <= channels; c += 4) {
        max_block4(w->first + c, rows, cols * channels, skip, channels, dst + c, lo, hi);
    }
#endif
    for (; c < channels; ++c) {
        tail.first = w->first + c;
        max_channel(&tail, dst + c, lo, hi);
    }
}

ck_status ck_maxpool_s8(const ck_pool_s8_params *p, const int8_t *in, int8_t *out)
{
    int32_t b, oy, ox, ys, ye, xs, xe;
    ck_pool_window w;
    if (ck_pool_s8_check(p, in, out) != CK_OK) {
        return CK_ARG_ERROR;
    }
    w.channels = p->channels;
    for (b = 0; b < p->batches; ++b) {
        for (oy = 0; oy < p->out_h; ++oy) {
            ck_pool_clip(oy, p->stride_h, p->pad_top, p->filter_h, p->in_h, &ys, &ye);
            w.rows = ye - ys;
            for (ox = 0; ox < p->out_w; ++ox) {
                ck_pool_clip(ox, p->stride_w, p->pad_left, p->filter_w, p->in_w, &xs, &xe);
                w.cols = xe - xs;
                w.row_skip = (p->in_w - w.cols) * p->channels;
                w.first = in + (((size_t)b * p->in_h + ys) * p->in_w + xs) * p->channels;
                max_pixel(&w, out, p->act_min, p->act_max);
                out += p->channels;
            }
        }
    }
    return CK_OK;
}
