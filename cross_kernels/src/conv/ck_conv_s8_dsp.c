/*
 * CONV_2D int8 for cores with the DSP extension (Cortex-M4/M7): im2col + dual 16-bit MACs.
 *
 * The approach is the one CMSIS-NN describes for arm_convolve_s8 (im2col of two output
 * pixels into an int16 scratch, then a 2x2 output-channel x pixel matrix kernel built on
 * SMLAD); the code and the data layout below are our own.
 *
 * im2col layout: the two pixels of a pair share one buffer of 2 * K int16 (K = k_h * k_w *
 * in_c, input offset already added, padded taps stored as 0), so the MAC loop walks a single
 * pointer. Each whole group g of four taps k..k+3 (k < k4 = K & ~3) fills int16 [8g, 8g + 8):
 * pixel 0 as (x[k], x[k+2], x[k+1], x[k+3]), then pixel 1 the same way. That order is what
 * SXTAB16 and SXTAB16-with-ROR8 of a 4-byte input word produce, and it pairs with SXTB16 /
 * SXTB16-ROR8 of a 4-byte weight word, so neither side needs a repack (PKHBT). The last
 * K % 4 taps follow in order: pixel 0's at 2 * k4, pixel 1's after them.
 *
 * MAC loop (ck_conv_mac_2x2, 2 channels x 2 pixels, 4 taps): 4 im2col LDRs + 2 weight LDRs,
 * 4 SXTB16, 8 SMLAD = 16 MACs in 14 registers (4 accumulators, 2 im2col words, 4 weight
 * halves, 3 pointers, the count), so nothing spills. On the M7 two MACs never share a cycle
 * but loads, extends and the loop bookkeeping pair with them: 10 cycles per 16 MACs under
 * the published pipeline rules (schedule and rules at the function). It is kept out of line
 * so a profile shows the inner loop on its own. Outputs are requantized by ck_requant_fast
 * (SMMULR, shift, SSAT: the same bits, see common/ck_requant.h) when ck_fast_requant_ok holds
 * for the layer, as in the depthwise and FC kernels; else by ck_requant_s8. Weight rows start at c * K bytes: with
 * K % 4 != 0 half the rows are not word aligned, and their weight loads are unaligned.
 */
#include "ck_conv_internal.h"
#include "../common/ck_simd.h"

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

/* where tap k of pixel pix (0 or 1) lives in a pair buffer (see the layout above) */
static inline int32_t ck_col_slot(int32_t k, int32_t k4, int32_t taps, int32_t pix)
{
    if (k < k4) {
        return 8 * (k >> 2) + 4 * pix + ((k & 1) << 1) + ((k >> 1) & 1);
    }
    return 2 * k4 + pix * (taps - k4) + (k - k4);
}

/* taps k .. k + n - 1 of pixel pix from src (n input bytes), or zeros when src is NULL */
static void ck_col_put(int16_t *col, int32_t k, int32_t n, int32_t k4, int32_t taps,
                       int32_t pix, const int8_t *src, int32_t off)
{
    const int32_t end = k + n;
    if (((k | n) & 3) == 0 && end <= k4) {   /* whole groups: one word in, two words out */
        int16_t *dst = col + 8 * (k >> 2) + 4 * pix;
        const int32_t off2 = ck_dup16(off);
        for (int32_t g = n >> 2; g > 0; --g, dst += 8) {
            const int32_t x = src ? ck_read_s32(src) : 0;
            ck_write_s32(dst, src ? ck_sxtab16(off2, x) : 0);
            ck_write_s32(dst + 2, src ? ck_sxtab16_ror8(off2, x) : 0);
            src = src ? src + 4 : src;
        }
        return;
    }
    for (; k < end; ++k) {
        col[ck_col_slot(k, k4, taps, pix)] = (int16_t)(src ? *src++ + off : 0);
    }
}

static void ck_im2col(const ck_conv_params *p, const int8_t *image, int32_t oy, int32_t ox,
                      int16_t *col, int32_t pix)
{
    const int32_t in_c = p->in_c;
    const int32_t taps = p->k_h * p->k_w * in_c;
    const int32_t k4 = taps & ~3;
    const int32_t ix0 = ox * p->stride_w - p->pad_left;
    int32_t k = 0;
    for (int32_t ky = 0; ky < p->k_h; ++ky) {
        const int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dilation_h;
        const int row_in = iy >= 0 && iy < p->in_h;
        const int8_t *row = image + iy * p->in_w * in_c;
        if (row_in && p->dilation_w == 1 && ix0 >= 0 && ix0 + p->k_w <= p->in_w) {
            /* the whole filter row is inside the image and contiguous in memory */
            ck_col_put(col, k, p->k_w * in_c, k4, taps, pix, row + ix0 * in_c,
                       p->input_offset);
            k += p->k_w * in_c;
            continue;
        }
        for (int32_t kx = 0; kx < p->k_w; ++kx, k += in_c) {
            const int32_t ix = ix0 + kx * p->dilation_w;
            const int inside = row_in && ix >= 0 && ix < p->in_w;
            ck_col_put(col, k, in_c, k4, taps, pix, inside ? row + ix * in_c : 0,
                       p->input_offset);
        }
    }
}

/* acc[0..3] = (ch0 px0, ch0 px1, ch1 px0, ch1 px1) over the first 4 * groups taps.
 *
 * The GNU-C build (gcc and clang) fixes the schedule in inline assembly, software-pipelined:
 * the loop body finishes group g's eight SMLADs while it loads and extends group g + 1's
 * words, and the last group runs in an epilogue that loads nothing ahead (no read past the
 * filter rows or the pair buffer). 14 registers: 4 accumulators, 4 weight halves (a raw
 * weight word is loaded into its even half's register and extended in place after its odd
 * half), 2 im2col words, 3 pointers, the count (register names below are the roles; the
 * code uses fixed registers, see the function). One iteration, in M7 issue cycles
 * (older | younger), with the jnk0le/random "pipeline cycle test/doc/cortex_m7.md" (PIPE)
 * rule each placement answers:
 *   c0 sxtb16 we1          | smlad a00 (we0 xa)    extends are older-slot only and never pair
 *   c1 smlad a10 (we1 xa)  | subs n                with each other; MACs never pair with each
 *   c2 smlad a01 (we0 xb)  | ldr xa <- px0 (1,3)   other or with a store, so each MAC's partner
 *   c3 ldr we0 <- w0 next  | smlad a11 (we1 xb)    is a load, an extend or the bookkeeping
 *   c4 smlad a00 (wo0 xa)  | ldr xb <- px1 (1,3)
 *   c5 ldr we1 <- w1 next  | smlad a10 (wo1 xa)
 *   c6 smlad a01 (wo0 xb)  | ldr xa <- next px0 (0,2), col += 16 (pre-indexed)
 *   c7 sxtb16 wo0 (ror 8)  | smlad a11 (wo1 xb)
 *   c8 sxtb16 we0          | ldr xb <- next px1 (0,2)
 *   c9 sxtb16 wo1 (ror 8)  | bne
 * - "multiplications and multiply accumulates can't consume ldr result from previous cycle",
 *   nor can an extend ("uxtab" consumes a word load a cycle later): every load is >= 2
 *   cycles older than its first reader (im2col words 2-4, weight words 4);
 * - two loads pair only when they hit different DTCM banks (even/odd words): no two loads
 *   share a cycle here, so the schedule holds whatever the bank of each pointer;
 * - the accumulator is read a stage late ("can be chained on accumulator dependency each
 *   cycle"), so a00 .. a11 can be updated in any order;
 * - pre/post-indexed base registers come from the address unit and are ready the next cycle.
 * 20 instructions in 10 cycles per 16 MACs (the floor is 8: one MAC per cycle). The M4 is
 * single issue: there the order puts two pairs of loads back to back (TRM 3.3.2: a load
 * after a load costs one cycle less), 25 cycles per 16 MACs against 27 for the previous loop.
 * The C loop below is the same computation, for other compilers and for CK_DSP_EMULATE. */
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
/* A naked function: the schedule needs 14 registers, one more than inline assembly gets when
 * the compiler keeps r7 as frame pointer. Arguments as AAPCS passes them: r0 col, r1 w0,
 * r2 w1, r3 groups, acc on the stack. Registers: a00 r4, a01 r5, a10 r6, a11 r7, we0 r8,
 * wo0 r9, we1 r10, wo1 r11, xa r12, xb lr. groups must be >= 1 (the caller checks). */
__attribute__((naked, noinline)) static void ck_conv_mac_2x2(
    __attribute__((unused)) const int16_t *col, __attribute__((unused)) const int8_t *w0,
    __attribute__((unused)) const int8_t *w1, __attribute__((unused)) int32_t groups,
    __attribute__((unused)) int32_t *acc)
{
    __asm__ volatile(
        "push   {r4-r11, lr}\n\t"
        "ldr    r12, [sp, #36]\n\t"            /* acc (the fifth argument) */
        "ldm    r12, {r4-r7}\n\t"
        "ldr    r8, [r1], #4\n\t"
        "ldr    r10, [r2], #4\n\t"
        "ldr    r12, [r0]\n\t"
        "ldr    lr, [r0, #8]\n\t"
        "sxtb16 r9, r8, ror #8\n\t"
        "sxtb16 r8, r8\n\t"
        "sxtb16 r11, r10, ror #8\n\t"
        "subs   r3, r3, #1\n\t"
        "beq    2f\n\t"
        ".p2align 2\n\t"                       /* M4: a word-aligned branch target */
        "1:\n\t"
        "sxtb16 r10, r10\n\t"                  /* c0 */
        "smlad  r4, r8, r12, r4\n\t"
        "smlad  r6, r10, r12, r6\n\t"          /* c1 */
        "subs   r3, r3, #1\n\t"
        "smlad  r5, r8, lr, r5\n\t"            /* c2 */
        "ldr    r12, [r0, #4]\n\t"             /*    pixel 0, taps (1, 3) */
        "ldr    r8, [r1], #4\n\t"              /* c3 next group's weights, row 0 */
        "smlad  r7, r10, lr, r7\n\t"
        "smlad  r4, r9, r12, r4\n\t"           /* c4 */
        "ldr    lr, [r0, #12]\n\t"             /*    pixel 1, taps (1, 3) */
        "ldr    r10, [r2], #4\n\t"             /* c5 next group's weights, row 1 */
        "smlad  r6, r11, r12, r6\n\t"
        "smlad  r5, r9, lr, r5\n\t"            /* c6 */
        "ldr    r12, [r0, #16]!\n\t"           /*    next group: pixel 0, taps (0, 2) */
        "sxtb16 r9, r8, ror #8\n\t"            /* c7 */
        "smlad  r7, r11, lr, r7\n\t"
        "sxtb16 r8, r8\n\t"                    /* c8 */
        "ldr    lr, [r0, #8]\n\t"              /*    next group: pixel 1, taps (0, 2) */
        "sxtb16 r11, r10, ror #8\n\t"          /* c9 */
        "bne    1b\n\t"
        "2:\n\t"                               /* the last group: nothing loaded ahead */
        "sxtb16 r10, r10\n\t"
        "smlad  r4, r8, r12, r4\n\t"
        "smlad  r6, r10, r12, r6\n\t"
        "smlad  r5, r8, lr, r5\n\t"
        "ldr    r12, [r0, #4]\n\t"
        "smlad  r7, r10, lr, r7\n\t"
        "ldr    lr, [r0, #12]\n\t"
        "smlad  r4, r9, r12, r4\n\t"
        "smlad  r6, r11, r12, r6\n\t"
        "smlad  r5, r9, lr, r5\n\t"
        "smlad  r7, r11, lr, r7\n\t"
        "ldr    r12, [sp, #36]\n\t"
        "stm    r12, {r4-r7}\n\t"
        "pop    {r4-r11, pc}\n\t");
}
#else
__attribute__((noinline)) static void ck_conv_mac_2x2(const int16_t *col, const int8_t *w0,
                                                      const int8_t *w1, int32_t groups,
                                                      int32_t *acc)
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    CK_NO_UNROLL
    for (; groups > 0; --groups, col += 8) {
        const int32_t wa = ck_read_s32(w0), wb = ck_read_s32(w1);
        w0 += 4;
        w1 += 4;
        const int32_t we0 = ck_sxtb16(wa), wo0 = ck_sxtb16_ror8(wa);
        const int32_t we1 = ck_sxtb16(wb), wo1 = ck_sxtb16_ror8(wb);
        int32_t x = ck_read_s32(col);
        a00 = ck_smlad(we0, x, a00);
        a10 = ck_smlad(we1, x, a10);
        x = ck_read_s32(col + 4);
        a01 = ck_smlad(we0, x, a01);
        a11 = ck_smlad(we1, x, a11);
        x = ck_read_s32(col + 2);
        a00 = ck_smlad(wo0, x, a00);
        a10 = ck_smlad(wo1, x, a10);
        x = ck_read_s32(col + 6);
        a01 = ck_smlad(wo0, x, a01);
        a11 = ck_smlad(wo1, x, a11);
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}
#endif

/* out of line: keeps ck_mat_mult small enough for its registers on the fast path */
__attribute__((noinline)) static int8_t ck_conv_out_slow(int32_t acc, int32_t m, int32_t s,
                                                         int32_t oo, int32_t lo, int32_t hi)
{
    return ck_requant_s8(acc, m, s, oo, lo, hi);
}

/* one output: ck_requant_fast (same bits, see common/ck_requant.h) when the layer allows */
static inline int8_t ck_conv_out(int32_t acc, int32_t m, int32_t s, int fast, int32_t oo,
                                 int32_t oo2p1, int32_t lo, int32_t hi)
{
    if (fast) {
        const int32_t v = ck_requant_fast(acc, m, s, oo2p1);
        return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
    }
    return ck_conv_out_slow(acc, m, s, oo, lo, hi);
}

/* a pair buffer (pixel 1 ignored when out1 is NULL) against every output channel; fast:
 * ck_fast_requant_ok held for the layer */
static void ck_mat_mult(const ck_conv_params *p, const int8_t *filter, const int16_t *col,
                        const int32_t *bias, const int32_t *mult, const int32_t *shift,
                        int fast, int8_t *out0, int8_t *out1)
{
    const int32_t taps = p->k_h * p->k_w * p->in_c;
    const int32_t k4 = taps & ~3;
    const int16_t *t0 = col + 2 * k4, *t1 = t0 + (taps - k4);
    const int32_t pc = p->per_channel, oo = p->output_offset, oo2p1 = 2 * oo + 1;
    const int32_t lo = p->act_min, hi = p->act_max;
    for (int32_t c = 0; c < p->out_c; c += 2) {
        const int32_t c1 = c + 1 < p->out_c ? c + 1 : c;
        const int8_t *w0 = filter + c * taps, *w1 = filter + c1 * taps;
        const int32_t b0 = bias ? bias[c] : 0, b1 = bias ? bias[c1] : 0;
        int32_t acc[4] = {b0, b0, b1, b1};
        if (k4 > 0) {
            ck_conv_mac_2x2(col, w0, w1, k4 >> 2, acc);
        }
        for (int32_t k = k4; k < taps; ++k) {   /* wrapping: a lone pixel's slots are stale */
            acc[0] = (int32_t)((uint32_t)acc[0] + (uint32_t)(w0[k] * t0[k - k4]));
            acc[1] = (int32_t)((uint32_t)acc[1] + (uint32_t)(w0[k] * t1[k - k4]));
            acc[2] = (int32_t)((uint32_t)acc[2] + (uint32_t)(w1[k] * t0[k - k4]));
            acc[3] = (int32_t)((uint32_t)acc[3] + (uint32_t)(w1[k] * t1[k - k4]));
        }
        const int32_t q0 = pc ? c : 0, q1 = pc ? c1 : 0;
        out0[c] = ck_conv_out(acc[0], mult[q0], shift[q0], fast, oo, oo2p1, lo, hi);
        if (out1) {
            out1[c] = ck_conv_out(acc[1], mult[q0], shift[q0], fast, oo, oo2p1, lo, hi);
        }
        if (c1 != c) {
            out0[c1] = ck_conv_out(acc[2], mult[q1], shift[q1], fast, oo, oo2p1, lo, hi);
            if (out1) {
                out1[c1] = ck_conv_out(acc[3], mult[q1], shift[q1], fast, oo, oo2p1, lo, hi);
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
    int16_t *col = (int16_t *)scratch;
    const int fast = ck_fast_requant_ok(bias, p->out_c, shift, p->per_channel ? p->out_c : 1,
                                        (int64_t)p->k_h * p->k_w * p->in_c);
    int8_t *pending = 0;   /* the output of a pixel already in the pair buffer */
    int8_t *out = output;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * p->in_h * p->in_w * p->in_c;
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            for (int32_t ox = 0; ox < p->out_w; ++ox, out += p->out_c) {
                ck_im2col(p, image, oy, ox, col, pending ? 1 : 0);
                if (!pending) {
                    pending = out;
                    continue;
                }
                ck_mat_mult(p, filter, col, bias, multiplier, shift, fast, pending, out);
                pending = 0;
            }
        }
    }
    if (pending) {
        ck_mat_mult(p, filter, col, bias, multiplier, shift, fast, pending, 0);
    }
    return CK_OK;
#else
    (void)scratch;
    (void)scratch_bytes;
    return ck_conv_s8(p, input, filter, bias, multiplier, shift, output);
#endif
}
