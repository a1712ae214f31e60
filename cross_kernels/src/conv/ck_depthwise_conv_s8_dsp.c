/*
 * DEPTHWISE_CONV_2D int8 for cores with the DSP extension, depth_multiplier == 1.
 *
 * Channels are contiguous, so four channels share one 4-byte load of the input and of the
 * filter. SXTAB16 (with the input offset) and SXTB16 split each word into the even and odd
 * channels as int16 pairs, and SMLABB / SMLATT multiply-accumulate the bottom / top halves
 * into four per-channel accumulators. SMLAD does not fit here: it would add two different
 * channels together. Per tap and four channels: 2 LDR, 4 extends, 4 MACs; no scratch.
 * Other depth multipliers and the last in_c % 4 channels use scalar code.
 */
#include "ck_conv_internal.h"
#include "ck_simd.h"

#if defined(CK_HAVE_DSP)

typedef struct {
    int32_t iy0, ix0, ky0, ky1, kx0, kx1;
} ck_window;

static void ck_dw_pixel(const ck_conv_params *p, const int8_t *image, const int8_t *filter,
                        const ck_window *win, const int32_t *bias, const int32_t *mult,
                        const int32_t *shift, int8_t *out)
{
    const int32_t ch = p->out_c;
    const int32_t off2 = ck_dup16(p->input_offset);
    int32_t c = 0;
    for (; c + 4 <= ch; c += 4) {
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (int32_t ky = win->ky0; ky < win->ky1; ++ky) {
            const int32_t iy = win->iy0 + ky * p->dilation_h;
            const int8_t *row = image + iy * p->in_w * ch + c;
            const int8_t *wrow = filter + ky * p->k_w * ch + c;
            for (int32_t kx = win->kx0; kx < win->kx1; ++kx) {
                const int32_t x = ck_read_s32(row + (win->ix0 + kx * p->dilation_w) * ch);
                const int32_t w = ck_read_s32(wrow + kx * ch);
                const int32_t xe = ck_sxtab16(off2, x), xo = ck_sxtab16_ror8(off2, x);
                const int32_t we = ck_sxtb16(w), wo = ck_sxtb16_ror8(w);
                a0 = ck_smlabb(xe, we, a0);
                a2 = ck_smlatt(xe, we, a2);
                a1 = ck_smlabb(xo, wo, a1);
                a3 = ck_smlatt(xo, wo, a3);
            }
        }
        out[c] = CK_CONV_FINISH(p, a0, c, bias, mult, shift);
        out[c + 1] = CK_CONV_FINISH(p, a1, c + 1, bias, mult, shift);
        out[c + 2] = CK_CONV_FINISH(p, a2, c + 2, bias, mult, shift);
        out[c + 3] = CK_CONV_FINISH(p, a3, c + 3, bias, mult, shift);
    }
    for (; c < ch; ++c) {
        int32_t acc = 0;
        for (int32_t ky = win->ky0; ky < win->ky1; ++ky) {
            const int32_t iy = win->iy0 + ky * p->dilation_h;
            for (int32_t kx = win->kx0; kx < win->kx1; ++kx) {
                const int32_t ix = win->ix0 + kx * p->dilation_w;
                acc += filter[(ky * p->k_w + kx) * ch + c] *
                       (image[(iy * p->in_w + ix) * ch + c] + p->input_offset);
            }
        }
        out[c] = CK_CONV_FINISH(p, acc, c, bias, mult, shift);
    }
}

#endif /* CK_HAVE_DSP */

ck_status ck_depthwise_conv_s8_dsp(const ck_conv_params *p, const int8_t *input,
                                   const int8_t *filter, const int32_t *bias,
                                   const int32_t *multiplier, const int32_t *shift,
                                   int8_t *output)
{
#if defined(CK_HAVE_DSP)
    const ck_status st = ck_conv_check_args(p, 1, input, filter, multiplier, shift, output);
    if (st != CK_OK) {
        return st;
    }
    if (p->depth_multiplier != 1) {
        return ck_depthwise_conv_s8(p, input, filter, bias, multiplier, shift, output);
    }
    int8_t *out = output;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * p->in_h * p->in_w * p->in_c;
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            ck_window win;
            win.iy0 = oy * p->stride_h - p->pad_top;
            ck_valid_taps(win.iy0, p->dilation_h, p->in_h, p->k_h, &win.ky0, &win.ky1);
            for (int32_t ox = 0; ox < p->out_w; ++ox, out += p->out_c) {
                win.ix0 = ox * p->stride_w - p->pad_left;
                ck_valid_taps(win.ix0, p->dilation_w, p->in_w, p->k_w, &win.kx0, &win.kx1);
                ck_dw_pixel(p, image, filter, &win, bias, multiplier, shift, out);
            }
        }
    }
    return CK_OK;
#else
    return ck_depthwise_conv_s8(p, input, filter, bias, multiplier, shift, output);
#endif
}
