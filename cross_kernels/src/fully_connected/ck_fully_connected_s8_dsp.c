/*
 * FULLY_CONNECTED int8 for cores with the DSP extension, no scratch.
 *
 * Two weight rows share each expansion of the input: per 4 inputs, one input LDR gives
 * (x0,x2) and (x1,x3) plus offset via SXTAB16 / SXTAB16-ROR8; each row's 4-byte weight word
 * gives the matching (w0,w2) and (w1,w3) via SXTB16 / SXTB16-ROR8, so one SMLAD per pair
 * needs no repacking. Inner loop (2 rows x 4 inputs): 3 LDR, 6 extends, 4 SMLAD = 8 MACs.
 * Four rows per pass (5 LDR, 10 extends, 8 SMLAD) was measured slower with clang: the loop
 * then needs more registers than r7-as-frame-pointer leaves and spills. Accumulators start
 * at the bias; requantization is ck_requant_s8 (same bits as ck_finish_s8).
 * The idea of expanding int8 to int16 pairs for SMLAD is CMSIS-NN's (arm_nn_vec_mat_mult_t_s8);
 * this code is our own.
 */
#include "ck_fc_internal.h"
#include "../conv/ck_simd.h"

#if defined(CK_HAVE_DSP)
/* acc[r] += sum_i w[r * n + i] * (x[i] + off) for r < rows (1 or 2; a missing second row
 * repeats the first and is dropped by the caller) */
static void ck_fc_rows(const int8_t *x, const int8_t *w, int32_t n, int32_t rows, int32_t off,
                       int32_t *acc)
{
    const int8_t *w0 = w, *w1 = rows > 1 ? w + n : w;
    const int32_t off2 = ck_dup16(off);
    int32_t a0 = acc[0], a1 = acc[1];
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const int32_t xw = ck_read_s32(x + i);
        const int32_t xe = ck_sxtab16(off2, xw), xo = ck_sxtab16_ror8(off2, xw);
        const int32_t wa = ck_read_s32(w0 + i), wb = ck_read_s32(w1 + i);
        a0 = ck_smlad(ck_sxtb16(wa), xe, a0);
        a0 = ck_smlad(ck_sxtb16_ror8(wa), xo, a0);
        a1 = ck_smlad(ck_sxtb16(wb), xe, a1);
        a1 = ck_smlad(ck_sxtb16_ror8(wb), xo, a1);
    }
    for (; i < n; ++i) {
        a0 += w0[i] * (x[i] + off);
        a1 += w1[i] * (x[i] + off);
    }
    acc[0] = a0;
    acc[1] = a1;
}

/* acc[r] += sum_i w[r * n + i] * (x[i] + off) for r < 3 */
__attribute__((noinline)) static void ck_fc_3rows(const int8_t *x, const int8_t *w, int32_t n,
                                                  int32_t off, int32_t *acc)
{
    const int32_t off2 = ck_dup16(off);
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2];
    int32_t groups = n >> 2;
    const int8_t *xp = x, *w0 = w;
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__GNUC__)
    if (groups > 0) {
        int32_t xe, xo, p, q, r;
        __asm__ volatile(
            "1:\n\t"
            "ldr     %[xo], [%[xp]], #4\n\t"
            "ldr     %[p], [%[w0], %[n]]\n\t"                 /* row 1 */
            "sxtab16 %[xe], %[off2], %[xo]\n\t"
            "ldr     %[q], [%[w0], %[n], lsl #1]\n\t"         /* row 2 */
            "sxtab16 %[xo], %[off2], %[xo], ror #8\n\t"
            "subs    %[cnt], %[cnt], #1\n\t"
            "sxtb16  %[r], %[p]\n\t"
            "sxtb16  %[p], %[p], ror #8\n\t"
            "smlad   %[a1], %[r], %[xe], %[a1]\n\t"
            "sxtb16  %[r], %[q]\n\t"
            "smlad   %[a1], %[p], %[xo], %[a1]\n\t"
            "sxtb16  %[q], %[q], ror #8\n\t"
            "ldr     %[p], [%[w0]], #4\n\t"                   /* row 0 */
            "smlad   %[a2], %[r], %[xe], %[a2]\n\t"
            "sxtb16  %[r], %[p]\n\t"
            "smlad   %[a2], %[q], %[xo], %[a2]\n\t"
            "sxtb16  %[p], %[p], ror #8\n\t"
            "smlad   %[a0], %[r], %[xe], %[a0]\n\t"
            "smlad   %[a0], %[p], %[xo], %[a0]\n\t"
            "bne     1b\n\t"
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [xp] "+r"(xp), [w0] "+r"(w0),
              [cnt] "+r"(groups), [xe] "=&r"(xe), [xo] "=&r"(xo), [p] "=&r"(p),
              [q] "=&r"(q), [r] "=&r"(r)
            : [n] "r"(n), [off2] "r"(off2)
            : "cc", "memory");
    }
#else
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
