/*
 * DEPTHWISE_CONV_2D int8 for cores with the DSP extension, depth_multiplier == 1.
 *
 * Channels are contiguous, so four channels share one 4-byte load of the input and of the
 * filter. SXTAB16 (with the input offset) and SXTB16 split each word into the even and odd
 * channels as int16 pairs, and SMLABB / SMLATT multiply-accumulate the bottom / top halves
 * into four per-channel accumulators. SMLAD does not fit here: it would add two different
 * channels together. Per tap and four channels: 2 LDR, 4 extends, 4 MACs; no scratch.
 *
 * With only k_h * k_w MACs per output, the per-output work decides the speed as much as the
 * MACs do, so: the accumulators start at the bias, the tap loop walks two pointers (input
 * and filter) with strides fixed per layer, the window bounds are computed once per pixel,
 * and the requantization is ck_requant_s8 (same bits as ck_finish_s8, half the work).
 * Other depth multipliers use the portable code; the last in_c % 4 channels, scalar code.
 */
#include "ck_conv_internal.h"
#include "ck_simd.h"

#if defined(CK_HAVE_DSP)

typedef struct {
    const int8_t *x;   /* input at the first valid tap, channel 0 */
    const int8_t *w;   /* filter at the first valid tap, channel 0 */
    int32_t rows, cols;            /* valid taps in y and x */
    int32_t x_step, x_row_step;    /* bytes between taps in x, and from a row's end to the next */
    int32_t w_row_step;            /* filter: from a row's end to the next */
} ck_window;

/* one tap of four channels: input word at px, filter word at pw */
#define CK_DW_TAP(px, pw)                                                                    \
    do {                                                                                     \
        const int32_t x_ = ck_read_s32(px), w_ = ck_read_s32(pw);                            \
        const int32_t xe_ = ck_sxtab16(off2, x_), xo_ = ck_sxtab16_ror8(off2, x_);           \
        const int32_t we_ = ck_sxtb16(w_), wo_ = ck_sxtb16_ror8(w_);                         \
        a0 = ck_smlabb(xe_, we_, a0);                                                        \
        a2 = ck_smlatt(xe_, we_, a2);                                                        \
        a1 = ck_smlabb(xo_, wo_, a1);                                                        \
        a3 = ck_smlatt(xo_, wo_, a3);                                                        \
    } while (0)

static void ck_dw_pixel(const ck_conv_params *p, const ck_window *win, const int32_t *bias,
                        const int32_t *mult, const int32_t *shift, int8_t *out)
{
    const int32_t ch = p->out_c;
    const int32_t off2 = ck_dup16(p->input_offset);
    const int32_t pc = p->per_channel, oo = p->output_offset;
    const int32_t lo = p->act_min, hi = p->act_max;
    int32_t c = 0;
    for (; c + 4 <= ch; c += 4) {
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        if (bias) {
            a0 = bias[c];
            a1 = bias[c + 1];
            a2 = bias[c + 2];
            a3 = bias[c + 3];
        }
        const int8_t *xp = win->x + c, *wp = win->w + c;
        for (int32_t ky = win->rows; ky > 0; --ky) {
            for (int32_t kx = win->cols; kx > 0; --kx) {
                CK_DW_TAP(xp, wp);
                xp += win->x_step;
                wp += ch;
            }
            xp += win->x_row_step;
            wp += win->w_row_step;
        }
        const int32_t *m = pc ? mult + c : mult, *s = pc ? shift + c : shift;
        const int32_t i = pc ? 1 : 0;
        out[c] = ck_requant_s8(a0, m[0], s[0], oo, lo, hi);
        out[c + 1] = ck_requant_s8(a1, m[i], s[i], oo, lo, hi);
        out[c + 2] = ck_requant_s8(a2, m[2 * i], s[2 * i], oo, lo, hi);
        out[c + 3] = ck_requant_s8(a3, m[3 * i], s[3 * i], oo, lo, hi);
    }
    for (; c < ch; ++c) {
        int32_t acc = bias ? bias[c] : 0;
        const int8_t *xp = win->x + c, *wp = win->w + c;
        for (int32_t ky = win->rows; ky > 0; --ky) {
            for (int32_t kx = win->cols; kx > 0; --kx) {
                acc += *wp * (*xp + p->input_offset);
                xp += win->x_step;
                wp += ch;
            }
            xp += win->x_row_step;
            wp += win->w_row_step;
        }
        const int32_t q = pc ? c : 0;
        out[c] = ck_requant_s8(acc, mult[q], shift[q], oo, lo, hi);
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
    const int32_t ch = p->out_c;
    int8_t *out = output;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * p->in_h * p->in_w * ch;
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            int32_t ky0, ky1;
            ck_valid_taps(iy0, p->dilation_h, p->in_h, p->k_h, &ky0, &ky1);
            for (int32_t ox = 0; ox < p->out_w; ++ox, out += ch) {
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                int32_t kx0, kx1;
                ck_valid_taps(ix0, p->dilation_w, p->in_w, p->k_w, &kx0, &kx1);
                ck_window win;
                win.rows = ky1 > ky0 ? ky1 - ky0 : 0;
                win.cols = kx1 > kx0 ? kx1 - kx0 : 0;
                if (win.cols == 0) {
                    win.rows = 0;
                }
                win.x = image + ((iy0 + ky0 * p->dilation_h) * p->in_w + ix0 +
                                 kx0 * p->dilation_w) * ch;
                win.w = filter + (ky0 * p->k_w + kx0) * ch;
                win.x_step = p->dilation_w * ch;
                win.x_row_step = p->dilation_h * p->in_w * ch - win.cols * win.x_step;
                win.w_row_step = p->k_w * ch - win.cols * ch;
                ck_dw_pixel(p, &win, bias, multiplier, shift, out);
            }
        }
    }
    return CK_OK;
#else
    return ck_depthwise_conv_s8(p, input, filter, bias, multiplier, shift, output);
#endif
}
