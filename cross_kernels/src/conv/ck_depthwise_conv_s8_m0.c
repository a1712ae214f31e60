/* DEPTHWISE_CONV_2D int8 for Armv6-M (Cortex-M0/M0+, no DSP), depth multiplier 1: four
 * channels per pass over the valid taps, pointers stepped instead of per-tap index products,
 * and no division (the portable kernel's c / depth_multiplier is a library call per output
 * channel on Armv6-M, which has no divide instruction). Other depth multipliers and dilations
 * run ck_depthwise_conv_s8. Same bits: the same int32 sums, the same finish (see ck_conv.h). */
#include "ck_conv_internal.h"

/* n = 4 channels (or 1) of one output pixel over its rows x cols valid taps from x, w */
static void ck_dw_m0_group(const ck_conv_params *p, const int8_t *x, const int8_t *w,
                           int32_t rows, int32_t cols, int32_t n, int32_t *acc)
{
    const int32_t in_c = p->in_c, off = p->input_offset;
    const int32_t x_row = p->in_w * in_c, w_row = p->k_w * in_c;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (int32_t ky = 0; ky < rows; ++ky, x += x_row, w += w_row) {
        const int8_t *xp = x, *wp = w;
        for (int32_t kx = 0; kx < cols; ++kx, xp += in_c, wp += in_c) {
            a0 += wp[0] * (xp[0] + off);
            if (n > 1) {
                a1 += wp[1] * (xp[1] + off);
                a2 += wp[2] * (xp[2] + off);
                a3 += wp[3] * (xp[3] + off);
            }
        }
    }
    acc[0] = a0;
    if (n > 1) {
        acc[1] = a1;
        acc[2] = a2;
        acc[3] = a3;
    }
}

#if defined(__ARM_ARCH_6M__) && defined(__GNUC__)
/* Four channels of one output pixel over rows x cols taps, in Thumb-1 assembly (the
 * compilers' code for ck_dw_m0_group measured about 20 cycles per MAC): accumulators in
 * r8-r11, the offset in lr, the tap step in r12; 37 cycles per tap of four MACs on the TRM's
 * timing, 12 more per filter row. State block: acc[4], input_offset, in_c, cols, and the
 * steps from a row's end to the next row's start in input and filter. */
static void ck_dw_m0_group4(const ck_conv_params *p, const int8_t *x, const int8_t *w,
                            int32_t rows, int32_t cols, int32_t *acc)
{
    const int32_t span = cols * p->in_c;
    int32_t st[9] = {0, 0, 0, 0, p->input_offset, p->in_c, cols,
                     p->in_w * p->in_c - span, p->k_w * p->in_c - span};
    if (rows > 0 && cols > 0) {
        const int8_t *xp = x, *wp = w;
        int32_t n, i, xv, t;
        void *sp = st;
        __asm__ volatile(
            ".syntax unified\n\t"
            "ldr %[x], [%[sp], #16]\n\t mov lr, %[x]\n\t"
            "ldr %[x], [%[sp], #20]\n\t mov r12, %[x]\n\t"
            "movs %[x], #0\n\t mov r8, %[x]\n\t mov r9, %[x]\n\t"
            "mov r10, %[x]\n\t mov r11, %[x]\n\t"
            "0:\n\t"
            "ldr %[n], [%[sp], #24]\n\t"
            "1:\n\t"
            "movs %[i], #0\n\t"
            "ldrsb %[x], [%[xp], %[i]]\n\t add %[x], lr\n\t ldrsb %[t], [%[wp], %[i]]\n\t"
            "muls %[t], %[x]\n\t add r8, %[t]\n\t adds %[i], #1\n\t"
            "ldrsb %[x], [%[xp], %[i]]\n\t add %[x], lr\n\t ldrsb %[t], [%[wp], %[i]]\n\t"
            "muls %[t], %[x]\n\t add r9, %[t]\n\t adds %[i], #1\n\t"
            "ldrsb %[x], [%[xp], %[i]]\n\t add %[x], lr\n\t ldrsb %[t], [%[wp], %[i]]\n\t"
            "muls %[t], %[x]\n\t add r10, %[t]\n\t adds %[i], #1\n\t"
            "ldrsb %[x], [%[xp], %[i]]\n\t add %[x], lr\n\t ldrsb %[t], [%[wp], %[i]]\n\t"
            "muls %[t], %[x]\n\t add r11, %[t]\n\t"
            "add %[xp], r12\n\t add %[wp], r12\n\t"
            "subs %[n], #1\n\t"
            "bne 1b\n\t"
            "ldr %[x], [%[sp], #28]\n\t add %[xp], %[x]\n\t"
            "ldr %[x], [%[sp], #32]\n\t add %[wp], %[x]\n\t"
            "subs %[rows], #1\n\t"
            "bne 0b\n\t"
            "mov %[x], r8\n\t str %[x], [%[sp], #0]\n\t"
            "mov %[x], r9\n\t str %[x], [%[sp], #4]\n\t"
            "mov %[x], r10\n\t str %[x], [%[sp], #8]\n\t"
            "mov %[x], r11\n\t str %[x], [%[sp], #12]\n\t"
            : [i] "=&l"(i), [x] "=&l"(xv), [t] "=&l"(t), [n] "=&l"(n), [xp] "+l"(xp),
              [wp] "+l"(wp), [sp] "+l"(sp), [rows] "+l"(rows)
            :
            : "r8", "r9", "r10", "r11", "r12", "lr", "cc", "memory");
    }
    acc[0] = st[0];
    acc[1] = st[1];
    acc[2] = st[2];
    acc[3] = st[3];
}
#else
static void ck_dw_m0_group4(const ck_conv_params *p, const int8_t *x, const int8_t *w,
                            int32_t rows, int32_t cols, int32_t *acc)
{
    ck_dw_m0_group(p, x, w, rows, cols, 4, acc);
}
#endif

ck_status ck_depthwise_conv_s8_m0(const ck_conv_params *p, const int8_t *input,
                                  const int8_t *filter, const int32_t *bias,
                                  const int32_t *multiplier, const int32_t *shift,
                                  int8_t *output)
{
    const ck_status st = ck_conv_check_args(p, 1, input, filter, multiplier, shift, output);
    if (st != CK_OK) {
        return st;
    }
    if (p->depth_multiplier != 1 || p->dilation_h != 1 || p->dilation_w != 1) {
        return ck_depthwise_conv_s8(p, input, filter, bias, multiplier, shift, output);
    }
    const int32_t ch = p->in_c;
    const ck_requant_m0 rq = ck_requant_m0_init(bias, multiplier, shift, p->per_channel,
                                                p->output_offset, p->act_min, p->act_max, ch,
                                                (int64_t)p->k_h * p->k_w);
    int8_t *out = output;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = input + (int32_t)b * p->in_h * p->in_w * ch;
        for (int32_t oy = 0, iy0 = -p->pad_top; oy < p->out_h; ++oy, iy0 += p->stride_h) {
            int32_t ky0, ky1;
            ck_valid_taps(iy0, 1, p->in_h, p->k_h, &ky0, &ky1);
            for (int32_t ox = 0, ix0 = -p->pad_left; ox < p->out_w;
                 ++ox, ix0 += p->stride_w, out += ch) {
                int32_t kx0, kx1;
                ck_valid_taps(ix0, 1, p->in_w, p->k_w, &kx0, &kx1);
                const int8_t *x = image + ((iy0 + ky0) * p->in_w + ix0 + kx0) * ch;
                const int8_t *w = filter + (ky0 * p->k_w + kx0) * ch;
                for (int32_t c = 0; c < ch; c += 4) {
                    const int32_t n = ch - c < 4 ? ch - c : 4;
                    int32_t acc[4];
                    if (n == 4) {
                        ck_dw_m0_group4(p, x + c, w + c, ky1 - ky0, kx1 - kx0, acc);
                    } else {
                        for (int32_t k = 0; k < n; ++k) {
                            ck_dw_m0_group(p, x + c + k, w + c + k, ky1 - ky0, kx1 - kx0, 1,
                                           acc + k);
                        }
                    }
                    for (int32_t k = 0; k < n; ++k) {
                        out[c + k] = ck_finish_s8_m0(&rq, acc[k], c + k);
                    }
                }
            }
        }
    }
    return CK_OK;
}
