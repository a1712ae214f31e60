/*
 * FULLY_CONNECTED int8 for cores with the DSP extension, no scratch.
 *
 * Two weight rows share each expansion of the input: per 4 inputs, one input LDR gives
 * (x0,x2) and (x1,x3) plus offset via SXTAB16 / SXTAB16-ROR8; each row's 4-byte weight word
 * gives the matching (w0,w2) and (w1,w3) via SXTB16 / SXTB16-ROR8, so one SMLAD per pair
 * needs no repacking. Main loop (ck_fc_mac_3rows, 3 rows x 4 inputs): 4 LDR, 8 extends,
 * 6 SMLAD = 12 MACs in 10 M7 cycles (schedule and rules at the function); the last one or
 * two rows use ck_fc_rows (2 rows x 4 inputs: 3 LDR, 6 extends, 4 SMLAD in 8 M7 cycles, the
 * same schedule less one row; kept out of line so the layer loop stays small). Four rows per pass (5 LDR, 10 extends, 8 SMLAD, 25
 * instructions) would take 12.5 M7 cycles per 16 MACs at two instructions per cycle, about
 * the same per MAC as three rows, for two more registers. Accumulators start
 * at the bias; requantization is ck_requant_s8 (same bits as ck_finish_s8).
 * The idea of expanding int8 to int16 pairs for SMLAD is CMSIS-NN's (arm_nn_vec_mat_mult_t_s8);
 * this code is our own.
 */
#include "ck_fc_internal.h"
#include "../common/ck_simd.h"

#if defined(CK_HAVE_DSP)
/* acc[r] += sum_i w[r * n + i] * (x[i] + off) for r < rows (1 or 2; a missing second row
 * repeats the first and is dropped by the caller) */
__attribute__((noinline)) static void ck_fc_rows(const int8_t *x, const int8_t *w, int32_t n,
                                                 int32_t rows, int32_t off, int32_t *acc)
{
    const int8_t *w0 = w, *w1 = rows > 1 ? w + n : w;
    const int32_t off2 = ck_dup16(off);
    int32_t a0 = acc[0], a1 = acc[1];
    int32_t i = n & ~3;
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__GNUC__)
    /* The 3-row schedule of ck_fc_mac_3rows less one row (see there): 15 instructions in 8 M7
     * cycles per 8 MACs, every load >= 2 cycles before its reader, no two loads in a cycle,
     * each extend the older op of its cycle; the last group in an epilogue (no read ahead).
     *   c0 sxtb16 e <- row 1 | ldr row 0, w += 4      c4 smlad a0 (row 0 odd) | ldr next x
     *   c1 sxtb16 row 1 odd  | smlad a1 (e, xe)       c5 ldr next row 1       | subs
     *   c2 sxtb16 e <- row 0 | smlad a1 (row 1 odd)   c6 sxtab16 next xo
     *   c3 sxtb16 row 0 odd  | smlad a0 (e, xe)       c7 sxtab16 next xe      | bne */
    int32_t groups = n >> 2;
    if (groups > 0) {
        const int32_t d = (int32_t)(w1 - w0);   /* row 1 at w0 + d (0: a lone row twice) */
        const int8_t *xp = x, *wp = w0;
        int32_t xe, xo, ra, rb, e;
        __asm__ volatile(
            "ldr     %[xe], [%[xp]], #4\n\t"
            "ldr     %[ra], [%[wp], %[d]]\n\t"
            "sxtab16 %[xo], %[off2], %[xe], ror #8\n\t"
            "sxtab16 %[xe], %[off2], %[xe]\n\t"
            "subs    %[cnt], %[cnt], #1\n\t"
            "beq     2f\n\t"
            ".p2align 2\n\t"
            "1:\n\t"
            "sxtb16  %[e], %[ra]\n\t"
            "ldr     %[rb], [%[wp]], #4\n\t"
            "sxtb16  %[ra], %[ra], ror #8\n\t"
            "smlad   %[a1], %[e], %[xe], %[a1]\n\t"
            "sxtb16  %[e], %[rb]\n\t"
            "smlad   %[a1], %[ra], %[xo], %[a1]\n\t"
            "sxtb16  %[rb], %[rb], ror #8\n\t"
            "smlad   %[a0], %[e], %[xe], %[a0]\n\t"
            "smlad   %[a0], %[rb], %[xo], %[a0]\n\t"
            "ldr     %[xe], [%[xp]], #4\n\t"
            "ldr     %[ra], [%[wp], %[d]]\n\t"
            "subs    %[cnt], %[cnt], #1\n\t"
            "sxtab16 %[xo], %[off2], %[xe], ror #8\n\t"
            "sxtab16 %[xe], %[off2], %[xe]\n\t"
            "bne     1b\n\t"
            "2:\n\t"
            "sxtb16  %[e], %[ra]\n\t"
            "ldr     %[rb], [%[wp]], #4\n\t"
            "sxtb16  %[ra], %[ra], ror #8\n\t"
            "smlad   %[a1], %[e], %[xe], %[a1]\n\t"
            "sxtb16  %[e], %[rb]\n\t"
            "smlad   %[a1], %[ra], %[xo], %[a1]\n\t"
            "sxtb16  %[rb], %[rb], ror #8\n\t"
            "smlad   %[a0], %[e], %[xe], %[a0]\n\t"
            "smlad   %[a0], %[rb], %[xo], %[a0]\n\t"
            : [a0] "+r"(a0), [a1] "+r"(a1), [xp] "+r"(xp), [wp] "+r"(wp), [cnt] "+r"(groups),
              [xe] "=&r"(xe), [xo] "=&r"(xo), [ra] "=&r"(ra), [rb] "=&r"(rb), [e] "=&r"(e)
            : [d] "r"(d), [off2] "r"(off2)
            : "cc", "memory");
    }
#else
    for (i = 0; i + 4 <= n; i += 4) {
        const int32_t xw = ck_read_s32(x + i);
        const int32_t xe = ck_sxtab16(off2, xw), xo = ck_sxtab16_ror8(off2, xw);
        const int32_t wa = ck_read_s32(w0 + i), wb = ck_read_s32(w1 + i);
        a0 = ck_smlad(ck_sxtb16(wa), xe, a0);
        a0 = ck_smlad(ck_sxtb16_ror8(wa), xo, a0);
        a1 = ck_smlad(ck_sxtb16(wb), xe, a1);
        a1 = ck_smlad(ck_sxtb16_ror8(wb), xo, a1);
    }
#endif
    for (; i < n; ++i) {
        a0 += w0[i] * (x[i] + off);
        a1 += w1[i] * (x[i] + off);
    }
    acc[0] = a0;
    acc[1] = a1;
}

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__GNUC__)
/* acc[r] += sum_{i < 4 groups} w[r * n + i] * (x[i] + off) for r < 3, off2 = off in both
 * halfwords, groups >= 1.
 *
 * Software-pipelined: the loop body finishes group g's six SMLADs while it loads and extends
 * group g + 1's input word and two of its weight words; the last group runs in an epilogue
 * that loads nothing ahead (no read past a row or the input). A naked function for the 14
 * registers (inline assembly gets 13 when r7 is the frame pointer): r0 x, r1 row 0 (also
 * the base of rows 1 and 2 at + n and + 2n), r2 n, r3 off2, r4-r6 acc rows 0-2, r7 count,
 * r8 x even (and the raw input word), r9 x odd, r10 / r11 / r12 the raw words of rows 2 / 1
 * / 0 (each extended in place to its odd halves), lr every row's even halves in turn.
 * One iteration in M7 issue cycles (older | younger), with the jnk0le/random "pipeline cycle
 * test/doc/cortex_m7.md" (PIPE) rules it answers:
 *   c0 sxtb16 e <- row 2       | ldr row 0 (this group), w += 4
 *   c1 sxtb16 row 2 odd        | smlad a2 (e, xe)
 *   c2 sxtb16 e <- row 1       | smlad a2 (row 2 odd, xo)
 *   c3 sxtb16 row 1 odd        | smlad a1 (e, xe)
 *   c4 sxtb16 e <- row 0       | smlad a1 (row 1 odd, xo)
 *   c5 sxtb16 row 0 odd        | smlad a0 (e, xe)
 *   c6 smlad a0 (row 0 odd, xo) | ldr next x, x += 4
 *   c7 ldr next row 2          | subs count
 *   c8 sxtab16 next xo         | ldr next row 1
 *   c9 sxtab16 next xe         | bne
 * - extends (SXTB16/SXTAB16) are older-slot only and never pair with each other: eight per
 *   group fill eight cycles' older slots, and the MACs, loads and bookkeeping are their
 *   younger partners; MACs never share a cycle with each other;
 * - an extend or a MAC cannot consume a word load from the previous cycle: every load is
 *   >= 2 cycles older than the extend that reads it (row 0 4 cycles, the others 2-5);
 * - no two loads share a cycle (two loads pair only into different DTCM banks);
 * - a post-indexed base is ready the next cycle (the address unit writes it).
 * 20 instructions in 10 cycles per 12 MACs (0.83 cycles/MAC). On the single-issue M4 the
 * input and row-2 loads are adjacent (TRM 3.3.2: the second costs one cycle less). */
__attribute__((naked, noinline)) static void ck_fc_mac_3rows(
    __attribute__((unused)) const int8_t *x, __attribute__((unused)) const int8_t *w,
    __attribute__((unused)) int32_t n, __attribute__((unused)) int32_t off2,
    __attribute__((unused)) int32_t groups, __attribute__((unused)) int32_t *acc)
{
    __asm__ volatile(
        "push    {r4-r11, lr}\n\t"
        "ldr     r7, [sp, #36]\n\t"             /* groups */
        "ldr     r12, [sp, #40]\n\t"            /* acc */
        "ldm     r12, {r4-r6}\n\t"
        "ldr     r8, [r0], #4\n\t"
        "ldr     r10, [r1, r2, lsl #1]\n\t"
        "ldr     r11, [r1, r2]\n\t"
        "sxtab16 r9, r3, r8, ror #8\n\t"
        "sxtab16 r8, r3, r8\n\t"
        "subs    r7, r7, #1\n\t"
        "beq     2f\n\t"
        ".p2align 2\n\t"                        /* M4: a word-aligned branch target */
        "1:\n\t"
        "sxtb16  lr, r10\n\t"                   /* c0 */
        "ldr     r12, [r1], #4\n\t"
        "sxtb16  r10, r10, ror #8\n\t"          /* c1 */
        "smlad   r6, lr, r8, r6\n\t"
        "sxtb16  lr, r11\n\t"                   /* c2 */
        "smlad   r6, r10, r9, r6\n\t"
        "sxtb16  r11, r11, ror #8\n\t"          /* c3 */
        "smlad   r5, lr, r8, r5\n\t"
        "sxtb16  lr, r12\n\t"                   /* c4 */
        "smlad   r5, r11, r9, r5\n\t"
        "sxtb16  r12, r12, ror #8\n\t"          /* c5 */
        "smlad   r4, lr, r8, r4\n\t"
        "smlad   r4, r12, r9, r4\n\t"           /* c6 */
        "ldr     r8, [r0], #4\n\t"              /*    next group's input */
        "ldr     r10, [r1, r2, lsl #1]\n\t"     /* c7 next group's row 2 */
        "subs    r7, r7, #1\n\t"
        "sxtab16 r9, r3, r8, ror #8\n\t"        /* c8 */
        "ldr     r11, [r1, r2]\n\t"             /*    next group's row 1 */
        "sxtab16 r8, r3, r8\n\t"                /* c9 */
        "bne     1b\n\t"
        "2:\n\t"                                /* the last group: nothing loaded ahead */
        "sxtb16  lr, r10\n\t"
        "ldr     r12, [r1], #4\n\t"
        "sxtb16  r10, r10, ror #8\n\t"
        "smlad   r6, lr, r8, r6\n\t"
        "sxtb16  lr, r11\n\t"
        "smlad   r6, r10, r9, r6\n\t"
        "sxtb16  r11, r11, ror #8\n\t"
        "smlad   r5, lr, r8, r5\n\t"
        "sxtb16  lr, r12\n\t"
        "smlad   r5, r11, r9, r5\n\t"
        "sxtb16  r12, r12, ror #8\n\t"
        "smlad   r4, lr, r8, r4\n\t"
        "smlad   r4, r12, r9, r4\n\t"
        "ldr     r12, [sp, #40]\n\t"
        "stm     r12, {r4-r6}\n\t"
        "pop     {r4-r11, pc}\n\t");
}
#endif

/* acc[r] += sum_i w[r * n + i] * (x[i] + off) for r < 3 */
static inline void ck_fc_3rows(const int8_t *x, const int8_t *w, int32_t n, int32_t off,
                               int32_t *acc)
{
    const int32_t off2 = ck_dup16(off);
    int32_t groups = n >> 2;
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__GNUC__)
    if (groups > 0) {
        ck_fc_mac_3rows(x, w, n, off2, groups, acc);
    }
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2];
#else
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2];
    const int8_t *xp = x, *w0 = w;
    CK_NO_UNROLL
    for (; groups > 0; --groups, xp += 4, w0 += 4) {
        const int32_t xw = ck_read_s32(xp);
        const int32_t xe = ck_sxtab16(off2, xw), xo = ck_sxtab16_ror8(off2, xw);
        const int32_t wa = ck_read_s32(w0), wb = ck_read_s32(w0 + n);
        const int32_t wc = ck_read_s32(w0 + 2 * n);
        a0 = ck_smlad(ck_sxtb16(wa), xe, a0);
        a0 = ck_smlad(ck_sxtb16_ror8(wa), xo, a0);
        a1 = ck_smlad(ck_sxtb16(wb), xe, a1);
        a1 = ck_smlad(ck_sxtb16_ror8(wb), xo, a1);
        a2 = ck_smlad(ck_sxtb16(wc), xe, a2);
        a2 = ck_smlad(ck_sxtb16_ror8(wc), xo, a2);
    }
#endif
    for (int32_t i = n & ~3; i < n; ++i) {
        a0 += w[i] * (x[i] + off);
        a1 += w[n + i] * (x[i] + off);
        a2 += w[2 * n + i] * (x[i] + off);
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
}
#endif

ck_status ck_fully_connected_s8_dsp(const ck_fc_params *p, const int8_t *input,
                                    const int8_t *weights, const int32_t *bias,
                                    const int32_t *multiplier, const int32_t *shift,
                                    int8_t *output)
{
#if defined(CK_HAVE_DSP)
    const ck_status st = ck_fc_check_args(p, input, weights, multiplier, shift, output);
    if (st != CK_OK) {
        return st;
    }
    const int32_t n_in = p->in_features, n_out = p->out_features;
    const int32_t pc = p->per_channel, oo = p->output_offset;
    const int fast = ck_fast_requant_ok(bias, n_out, shift, pc ? n_out : 1, n_in);
    const int32_t oo2p1 = 2 * oo + 1;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *x = input + b * n_in;
        int8_t *out = output + b * n_out;
        for (int32_t o = 0; o < n_out;) {
            const int32_t rows = n_out - o >= 3 ? 3 : n_out - o;
            int32_t acc[3] = {0, 0, 0};
            for (int32_t r = 0; bias && r < rows; ++r) {
                acc[r] = bias[o + r];
            }
            if (rows == 3) {
                ck_fc_3rows(x, weights + o * n_in, n_in, p->input_offset, acc);
            } else {
                ck_fc_rows(x, weights + o * n_in, n_in, rows, p->input_offset, acc);
            }
            for (int32_t r = 0; r < rows; ++r, ++o) {
                const int32_t q = pc ? o : 0;
                int32_t v;
                if (fast) {
                    v = ck_requant_fast(acc[r], multiplier[q], shift[q], oo2p1);
                    v = v < p->act_min ? p->act_min : (v > p->act_max ? p->act_max : v);
                } else {
                    v = ck_requant_s8(acc[r], multiplier[q], shift[q], oo, p->act_min,
                                      p->act_max);
                }
                out[o] = (int8_t)v;
            }
        }
    }
    return CK_OK;
#else
    return ck_fully_connected_s8(p, input, weights, bias, multiplier, shift, output);
#endif
}
