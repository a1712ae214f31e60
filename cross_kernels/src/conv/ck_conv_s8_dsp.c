/*
 * CONV_2D int8 for cores with the DSP extension (Cortex-M4/M7): im2col + dual 16-bit MACs.
 *
 * The approach is the one CMSIS-NN describes for arm_convolve_s8 (im2col of two output
 * pixels into an int16 scratch, then a 2x2 output-channel x pixel matrix kernel built on
 * SMLAD); the code and the data layout below are our own.
 *
 * im2col row layout (K = k_h * k_w * in_c int16 per pixel, input offset already added,
 * padded taps stored as 0): each whole group of four taps k..k+3 is stored as
 * (x[k], x[k+2], x[k+1], x[k+3]). That is exactly what SXTAB16 and SXTAB16-with-ROR8 of a
 * 4-byte input word produce, and it pairs with SXTB16 / SXTB16-ROR8 of a 4-byte weight
 * word, so neither side needs a repack (PKHBT). The last K % 4 taps are stored in order.
 *
 * Inner loop (2 channels x 2 pixels, 4 taps): 2 weight LDRs + 4 im2col LDRs,
 * 4 SXTB16, 8 SMLAD = 16 MACs.
 */
#include "ck_conv_internal.h"
#include "ck_simd.h"

int32_t ck_conv_s8_dsp_get_buffer_size(const ck_conv_params *p)
{
    if (!p || p->k_h < 1 || p->k_w < 1 || p->in_c < 1 ||
        (int64_t)p->k_h * p->k_w * p->in_c > CK_CONV_MAX_TAPS) {
        return CK_ARG_ERROR;
    }
#if defined(CK_HAVE_DSP)
    return 2 * p->k_h * p->k_w * p->in_c * (int32_t)sizeof(int16_t);
#else
    return 0;
#endif
}

#if defined(CK_HAVE_DSP)

/* index of tap k inside an im2col row whose first k4 taps are in groups of four */
static inline int32_t ck_col_index(int32_t k, int32_t k4)
{
    return k < k4 ? (k & ~3) | ((k & 1) << 1) | ((k >> 1) & 1) : k;
}

/* n input bytes (tap k onwards) plus offset into the row; src == NULL stores zeros */
static void ck_col_put(int16_t *col, int32_t k, int32_t k4, const int8_t *src, int32_t n,
                       int32_t off, int32_t off2)
{
    const int32_t end = k + n;
    if (!src) {
        for (; k < end; ++k) {
            col[ck_col_index(k, k4)] = 0;
        }
        return;
    }
    for (; k < end && (k & 3); ++k) {
        col[ck_col_index(k, k4)] = (int16_t)(*src++ + off);
    }
    for (; k + 4 <= end && k + 4 <= k4; k += 4, src += 4) {
        const int32_t x = ck_read_s32(src);
        ck_write_s32(col + k, ck_sxtab16(off2, x));
        ck_write_s32(col + k + 2, ck_sxtab16_ror8(off2, x));
    }
    for (; k < end; ++k) {
        col[ck_col_index(k, k4)] = (int16_t)(*src++ + off);
    }
}

static void ck_im2col(const ck_conv_params *p, const int8_t *image, int32_t oy, int32_t ox,
                      int16_t *col)
{
    const int32_t in_c = p->in_c;
    const int32_t k4 = (p->k_h * p->k_w * in_c) & ~3;
    const int32_t off2 = ck_dup16(p->input_offset);
    int32_t k = 0;
    for (int32_t ky = 0; ky < p->k_h; ++ky) {
        const int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dilation_h;
        for (int32_t kx = 0; kx < p->k_w; ++kx, k += in_c) {
            const int32_t ix = ox * p->stride_w - p->pad_left + kx * p->dilation_w;
            const int inside = iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w;
            const int8_t *src = inside ? image + (iy * p->in_w + ix) * in_c : 0;
            ck_col_put(col, k, k4, src, in_c, p->input_offset, off2);
        }
    }
}

/* one or two im2col rows (col1 may be NULL) against every output channel */
static void ck_mat_mult(const ck_conv_params *p, const int8_t *filter, const int16_t *col0,
                        const int16_t *col1, const int32_t *bias, const int32_t *mult,
                        const int32_t *shift, int8_t *out0, int8_t *out1)
{
    const int32_t taps = p->k_h * p->k_w * p->in_c;
    const int32_t k4 = taps & ~3;
    const int16_t *c1 = col1 ? col1 : col0;   /* computed and dropped for a lone pixel */
    int32_t c = 0;
    for (; c < p->out_c; c += 2) {
        const int8_t *w0 = filter + c * taps;
        const int8_t *w1 = c + 1 < p->out_c ? w0 + taps : w0;
        int32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0;  /* a<channel><pixel> */
        const int8_t *pw0 = w0, *pw1 = w1;
        const int16_t *px0 = col0, *px1 = c1;
        /* one weight word at a time keeps the 4 accumulators, 4 im2col words and the
         * pointers in registers */
        CK_NO_UNROLL
        for (int32_t n = k4 >> 2; n > 0; --n) {
            const int32_t x0e = ck_read_s32(px0), x0o = ck_read_s32(px0 + 2);
            const int32_t x1e = ck_read_s32(px1), x1o = ck_read_s32(px1 + 2);
            px0 += 4;
            px1 += 4;
            int32_t w = ck_read_s32(pw0);
            pw0 += 4;
            int32_t we = ck_sxtb16(w), wo = ck_sxtb16_ror8(w);
            a00 = ck_smlad(we, x0e, a00);
            a00 = ck_smlad(wo, x0o, a00);
            a01 = ck_smlad(we, x1e, a01);
            a01 = ck_smlad(wo, x1o, a01);
            w = ck_read_s32(pw1);
            pw1 += 4;
            we = ck_sxtb16(w);
            wo = ck_sxtb16_ror8(w);
            a10 = ck_smlad(we, x0e, a10);
            a10 = ck_smlad(wo, x0o, a10);
            a11 = ck_smlad(we, x1e, a11);
            a11 = ck_smlad(wo, x1o, a11);
        }
        int32_t k = k4;
        for (; k < taps; ++k) {
            a00 += w0[k] * col0[k];
            a01 += w0[k] * c1[k];
            a10 += w1[k] * col0[k];
            a11 += w1[k] * c1[k];
        }
        out0[c] = CK_CONV_FINISH(p, a00, c, bias, mult, shift);
        if (col1) {
            out1[c] = CK_CONV_FINISH(p, a01, c, bias, mult, shift);
        }
        if (c + 1 < p->out_c) {
            out0[c + 1] = CK_CONV_FINISH(p, a10, c + 1, bias, mult, shift);
            if (col1) {
                out1[c + 1] = CK_CONV_FINISH(p, a11, c + 1, bias, mult, shift);
            }
        }
    }
}

#endif /* CK_HAVE_DSP */

ck_status ck_conv_s8_dsp(const ck_conv_params *p, const int8_t *input, const int8_t *filter,
                         const int32_t *bias, const int32_t *multiplier, const int32_t *shift,
                         int8_t *output, void *scratch, int32_t scratch_bytes)
{
#if defined(CK_HAVE_DSP)
    const ck_status st = ck_conv_check_args(p, 0, input, filter, multiplier, shift, output);
    if (st != CK_OK) {
        return st;
    }
    if (!scratch || scratch_bytes < ck_conv_s8_dsp_get_buffer_size(p)) {
        return CK_NO_SCRATCH;
    }
    const int32_t taps = p->k_h * p->k_w * p->in_c;
    int16_t *cols[2] = {(int16_t *)scratch, (int16_t *)scratch + taps};
    int8_t *outs[2] = {0, 0};
    int pending = 0;
    int8_t *out = output;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * p->in_h * p->in_w * p->in_c;
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            for (int32_t ox = 0; ox < p->out_w; ++ox, out += p->out_c) {
                ck_im2col(p, image, oy, ox, cols[pending]);
                outs[pending++] = out;
                if (pending == 2) {
                    ck_mat_mult(p, filter, cols[0], cols[1], bias, multiplier, shift, outs[0],
                                outs[1]);
                    pending = 0;
                }
            }
        }
    }
    if (pending) {
        ck_mat_mult(p, filter, cols[0], 0, bias, multiplier, shift, outs[0], 0);
    }
    return CK_OK;
#else
    (void)scratch;
    (void)scratch_bytes;
    return ck_conv_s8(p, input, filter, bias, multiplier, shift, output);
#endif
}
