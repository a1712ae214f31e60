/* int8 AVERAGE_POOL_2D (see ck_pooling.h; loop order, packed sums and the exact reciprocal in
 * ck_pooling_internal.h). Windows of at most 256 taps sum 4 channels per word in 16-bit
 * lanes on DSP cores (two SXTAB16 per load) and in int32 registers elsewhere, then divide by
 * one multiply; larger windows sum in int32 and keep TFLite's division. */
#include "ck_pooling_internal.h"

typedef struct {
    uint32_t half, recip;
    int32_t lo, hi;
} avg_finish;

CK_POOL_INLINE int8_t finish(int32_t sum, const avg_finish *f)
{
    return ck_clamp_s8(ck_pool_avg(sum, f->half, f->recip), f->lo, f->hi);
}

/* One channel, int32 sum (any window size). */
static int32_t sum_channel(const ck_pool_window *w, const int8_t *t)
{
    int32_t sum = 0, y, x;
    for (y = 0; y < w->rows; ++y, t += w->row_skip) {
        for (x = 0; x < w->cols; ++x, t += w->channels) {
            sum += *t;
        }
    }
    return sum;
}

#if defined(CK_HAVE_DSP)
/* Lanes (c, c+2) in even, (c+1, c+3) in odd: 16-bit sums, exact for <= 256 taps. */
CK_POOL_INLINE void store4(int8_t *dst, int32_t even, int32_t odd, const avg_finish *f)
{
    dst[0] = finish((int16_t)even, f);
    dst[1] = finish((int16_t)odd, f);
    dst[2] = finish(even >> 16, f);
    dst[3] = finish(odd >> 16, f);
}
#else
/* Four int32 sums, out of line so they start from a clean register set on Armv6-M. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void avg_block4(const int8_t *row, int32_t rows, int32_t span, int32_t skip,
                       int32_t channels, int8_t *dst, const avg_finish *f)
{
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    do {
        const int8_t *t = row, *end = row + span;
        CK_NO_UNROLL
        do {
            s0 += t[0];
            s1 += t[1];
            s2 += t[2];
            s3 += t[3];
            t += channels;
        } while (t != end);
        row = end + skip;
    } while (--rows);
    dst[0] = finish(s0, f);
    dst[1] = finish(s1, f);
    dst[2] = finish(s2, f);
    dst[3] = finish(s3, f);
}
#endif

/* Windows of at most CK_POOL_PACKED_TAPS taps. */
static void avg_pixel(const ck_pool_window *w, int8_t *dst, const avg_finish *f)
{
    const int32_t channels = w->channels, rows = w->rows, cols = w->cols, skip = w->row_skip;
    int32_t c = 0;
#if defined(CK_HAVE_DSP)
    for (; c + 8 <= channels; c += 8) {
        const int8_t *t = w->first + c;
        int32_t e0 = 0, o0 = 0, e1 = 0, o1 = 0;
        int32_t n = rows * cols, k = cols;
        do {
            const int32_t v0 = ck_read_s32(t), v1 = ck_read_s32(t + 4);
            e0 = ck_sxtab16(e0, v0);
            o0 = ck_sxtab16_ror8(o0, v0);
            e1 = ck_sxtab16(e1, v1);
            o1 = ck_sxtab16_ror8(o1, v1);
            t += channels;
            if (--k == 0) {
                t += skip;
                k = cols;
            }
        } while (--n);
        store4(dst + c, e0, o0, f);
        store4(dst + c + 4, e1, o1, f);
    }
    if (c + 4 <= channels) {
        const int8_t *t = w->first + c;
        int32_t e = 0, o = 0;
        int32_t n = rows * cols, k = cols;
        do {
            const int32_t v = ck_read_s32(t);
            e = ck_sxtab16(e, v);
            o = ck_sxtab16_ror8(o, v);
            t += channels;
            if (--k == 0) {
                t += skip;
                k = cols;
            }
        } while (--n);
        store4(dst + c, e, o, f);
        c += 4;
    }
#else
    for (; c + 4 <= channels; c += 4) {
        avg_block4(w->first + c, rows, cols * channels, skip, channels, dst + c, f);
    }
#endif
    for (; c < channels; ++c) {
        dst[c] = finish(sum_channel(w, w->first + c), f);
    }
}

/* Windows beyond the packed sums' or the reciprocal's range. */
static void avg_pixel_wide(const ck_pool_window *w, int8_t *dst, int32_t lo, int32_t hi)
{
    const int32_t count = w->rows * w->cols;
    int32_t c;
    for (c = 0; c < w->channels; ++c) {
        const int32_t sum = sum_channel(w, w->first + c);
        const int32_t q = count <= CK_POOL_RECIP_MAX_COUNT
                              ? ck_pool_avg(sum, (uint32_t)count / 2u, ck_pool_recip(count))
                              : ck_pool_avg_div(sum, count);
        dst[c] = ck_clamp_s8(q, lo, hi);
    }
}

ck_status ck_avgpool_s8(const ck_pool_s8_params *p, const int8_t *in, int8_t *out)
{
    int32_t b, oy, ox, ys, ye, xs, xe, count = 0;
    ck_pool_window w;
    avg_finish f;
    int packed;
    if (ck_pool_s8_check(p, in, out) != CK_OK) {
        return CK_ARG_ERROR;
    }
    packed = ck_pool_window_at_most(p, CK_POOL_PACKED_TAPS);
    w.channels = p->channels;
    f.lo = p->act_min;
    f.hi = p->act_max;
    f.half = 0;
    f.recip = 0;
    for (b = 0; b < p->batches; ++b) {
        for (oy = 0; oy < p->out_h; ++oy) {
            ck_pool_clip(oy, p->stride_h, p->pad_top, p->filter_h, p->in_h, &ys, &ye);
            w.rows = ye - ys;
            for (ox = 0; ox < p->out_w; ++ox) {
                ck_pool_clip(ox, p->stride_w, p->pad_left, p->filter_w, p->in_w, &xs, &xe);
                w.cols = xe - xs;
                w.row_skip = (p->in_w - w.cols) * p->channels;
                w.first = in + (((size_t)b * p->in_h + ys) * p->in_w + xs) * p->channels;
                if (!packed) {
                    avg_pixel_wide(&w, out, p->act_min, p->act_max);
                } else {
                    if (w.rows * w.cols != count) {      /* changes only at the borders */
                        count = w.rows * w.cols;
                        f.half = (uint32_t)count / 2u;
                        f.recip = ck_pool_recip(count);
                    }
                    avg_pixel(&w, out, &f);
                }
                out += p->channels;
            }
        }
    }
    return CK_OK;
}
