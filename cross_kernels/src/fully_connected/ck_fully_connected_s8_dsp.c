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
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *x = input + b * n_in;
        int8_t *out = output + b * n_out;
        for (int32_t o = 0; o < n_out; o += 2) {
            const int32_t rows = n_out - o < 2 ? n_out - o : 2;
            int32_t acc[2] = {0, 0};
            for (int32_t r = 0; bias && r < rows; ++r) {
                acc[r] = bias[o + r];
            }
            ck_fc_rows(x, weights + o * n_in, n_in, rows, p->input_offset, acc);
            for (int32_t r = 0; r < rows; ++r) {
                const int32_t q = p->per_channel ? o + r : 0;
                out[o + r] = ck_requant_s8(acc[r], multiplier[q], shift[q], p->output_offset,
                                           p->act_min, p->act_max);
            }
        }
    }
    return CK_OK;
#else
    return ck_fully_connected_s8(p, input, weights, bias, multiplier, shift, output);
#endif
}
