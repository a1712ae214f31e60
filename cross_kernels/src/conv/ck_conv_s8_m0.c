/* CONV_2D int8 for Armv6-M (Cortex-M0/M0+, no DSP): four output channels per input load
 * (common/ck_dot4.h), no division and no per-tap index arithmetic in the loops (see ck_conv.h).
 * Two loop orders by the shape:
 *  - a receptive field of at most CK_CONV_M0_GATHER taps (first layers with 1-3 input channels,
 *    small 3x3 convs) is gathered once per output pixel into a stack buffer, padding as
 *    -input_offset (so that x + input_offset = 0 contributes nothing, as a skipped tap), then
 *    every group of four channels is one dot product over all taps;
 *  - otherwise (long reductions, 1x1 convs) one dot product per valid filter row, whose taps
 *    are contiguous in both input and filter.
 * A 1x1 filter over an in-image pixel is one run of in_c taps (no gather).
 * Same bits as ck_conv_s8: the same int32 sums in another order, the same finish. Dilation
 * other than 1 goes to ck_conv_s8. Takes (and ignores) the wrapper's scratch arguments. */
#include "ck_conv_internal.h"
#include "../common/ck_dot4.h"

#define CK_CONV_M0_GATHER 128

/* the receptive field of the output pixel whose top-left tap is (iy0, ix0), padding -off */
static void ck_conv_m0_gather(const ck_conv_params *p, const int8_t *image, int32_t iy0,
                              int32_t ix0, int8_t *col)
{
    const int32_t in_c = p->in_c, row = p->k_w * in_c;
    const int8_t pad = (int8_t)(-p->input_offset);
    for (int32_t ky = 0; ky < p->k_h; ++ky, col += row) {
        const int32_t iy = iy0 + ky;
        if (iy < 0 || iy >= p->in_h) {
            for (int32_t i = 0; i < row; ++i) {
                col[i] = pad;
            }
            continue;
        }
        const int8_t *x = image + (iy * p->in_w + ix0) * in_c;
        for (int32_t kx = 0, i = 0; kx < p->k_w; ++kx) {
            const int32_t ix = ix0 + kx;
            const int valid = ix >= 0 && ix < p->in_w;
            for (int32_t ci = 0; ci < in_c; ++ci, ++i) {
                col[i] = valid ? x[i] : pad;
            }
        }
    }
}

static int32_t ck_conv_m0_dot1(const int8_t *x, const int8_t *w, int32_t n, int32_t off)
{
    int32_t acc = 0;
    for (int32_t i = 0; i < n; ++i) {
        acc += w[i] * (x[i] + off);
    }
    return acc;
}

/* out[c] for every channel c of a pixel whose taps are one contiguous run x[0..taps) (a
 * gathered field, or a 1x1 filter's pixel); kept apart from the row-run path so that the
 * compiler's register allocation serves this, the common loop */
static void ck_conv_m0_run(const int8_t *x, const int8_t *filter, int32_t taps, int32_t out_c,
                           int32_t off, const ck_requant_m0 *rq, int8_t *out)
{
    int32_t c = 0;
    for (const int8_t *w = filter; c + 4 <= out_c; c += 4, w += 4 * taps) {
        int32_t acc[4] = {0, 0, 0, 0};
        ck_dot4(x, w, taps, taps, off, acc);
        out[c] = ck_finish_s8_m0(rq, acc[0], c);
        out[c + 1] = ck_finish_s8_m0(rq, acc[1], c + 1);
        out[c + 2] = ck_finish_s8_m0(rq, acc[2], c + 2);
        out[c + 3] = ck_finish_s8_m0(rq, acc[3], c + 3);
    }
    for (; c < out_c; ++c) {
        out[c] = ck_finish_s8_m0(rq, ck_conv_m0_dot1(x, filter + c * taps, taps, off), c);
    }
}

/* one output pixel, all channels, one run per valid filter row (taps contiguous in a row) */
static void ck_conv_m0_rows(const ck_conv_params *p, const int8_t *image, int32_t iy0,
                            int32_t ix0, const int8_t *filter, const ck_requant_m0 *rq,
                            int8_t *out)
{
    const int32_t in_c = p->in_c, taps = p->k_h * p->k_w * in_c, off = p->input_offset;
    int32_t ky0, ky1, kx0, kx1;
    ck_valid_taps(iy0, 1, p->in_h, p->k_h, &ky0, &ky1);
    ck_valid_taps(ix0, 1, p->in_w, p->k_w, &kx0, &kx1);
    const int32_t run = (kx1 - kx0) * in_c;
    for (int32_t c = 0; c < p->out_c; c += 4) {
        const int32_t group = p->out_c - c < 4 ? p->out_c - c : 4;
        const int8_t *w = filter + c * taps + kx0 * in_c;
        int32_t acc[4] = {0, 0, 0, 0};
        for (int32_t ky = ky0; ky < ky1; ++ky) {
            const int8_t *x = image + ((iy0 + ky) * p->in_w + ix0 + kx0) * in_c;
            const int8_t *wk = w + ky * p->k_w * in_c;
            if (group == 4) {
                ck_dot4(x, wk, taps, run, off, acc);
            } else {
                for (int32_t k = 0; k < group; ++k) {
                    acc[k] += ck_conv_m0_dot1(x, wk + k * taps, run, off);
                }
            }
        }
        for (int32_t k = 0; k < group; ++k) {
            out[c + k] = ck_finish_s8_m0(rq, acc[k], c + k);
        }
    }
}

ck_status ck_conv_s8_m0(const ck_conv_params *p, const int8_t *input, const int8_t *filter,
                        const int32_t *bias, const int32_t *multiplier, const int32_t *shift,
                        int8_t *output, void *scratch, int32_t scratch_bytes)
{
    (void)scratch;
    (void)scratch_bytes;
    const ck_status st = ck_conv_check_args(p, 0, input, filter, multiplier, shift, output);
    if (st != CK_OK) {
        return st;
    }
    if (p->dilation_h != 1 || p->dilation_w != 1) {
        return ck_conv_s8(p, input, filter, bias, multiplier, shift, output);
    }
    const int32_t in_c = p->in_c;
    const int32_t taps = p->k_h * p->k_w * in_c, off = p->input_offset;
    const int pointwise = p->k_h == 1 && p->k_w == 1;
    const int gather = !pointwise && taps <= CK_CONV_M0_GATHER;
    const ck_requant_m0 rq = ck_requant_m0_init(bias, multiplier, shift, p->per_channel,
                                                p->output_offset, p->act_min, p->act_max,
                                                p->out_c, (int64_t)p->k_h * p->k_w * in_c);
    int8_t col[CK_CONV_M0_GATHER];
    int8_t *out = output;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = input + (int32_t)b * p->in_h * p->in_w * in_c;
        for (int32_t oy = 0, iy0 = -p->pad_top; oy < p->out_h; ++oy, iy0 += p->stride_h) {
            for (int32_t ox = 0, ix0 = -p->pad_left; ox < p->out_w;
                 ++ox, ix0 += p->stride_w, out += p->out_c) {
                const int inside = iy0 >= 0 && ix0 >= 0 && iy0 < p->in_h && ix0 < p->in_w;
                if (gather) {
                    ck_conv_m0_gather(p, image, iy0, ix0, col);
                    ck_conv_m0_run(col, filter, taps, p->out_c, off, &rq, out);
                } else if (pointwise && inside) {
                    ck_conv_m0_run(image + (iy0 * p->in_w + ix0) * in_c, filter, in_c,
                                   p->out_c, off, &rq, out);
                } else {
                    ck_conv_m0_rows(p, image, iy0, ix0, filter, &rq, out);
                }
            }
        }
    }
    return CK_OK;
}
