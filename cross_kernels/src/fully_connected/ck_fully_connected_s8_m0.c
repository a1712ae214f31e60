/* FULLY_CONNECTED int8 for Armv6-M (Cortex-M0/M0+, no DSP): four output rows per pass, so
 * each input byte is loaded and offset once for four multiply-accumulates (see
 * ck_fully_connected.h); two rows left run as one two-row pass, three as a four-row pass with
 * one row repeated.
 * Same bits as ck_fully_connected_s8: the same int32 sums in another order, the same
 * requantized values (common/ck_requant.h, ck_finish_s8_m0). */
#include "ck_fc_internal.h"
#include "../common/ck_dot4.h"

static int32_t ck_fc_dot1(const int8_t *x, const int8_t *w, int32_t n, int32_t off)
{
    int32_t a = 0;
    for (int32_t i = 0; i < n; ++i) {
        a += w[i] * (x[i] + off);
    }
    return a;
}

ck_status ck_fully_connected_s8_m0(const ck_fc_params *p, const int8_t *input,
                                   const int8_t *weights, const int32_t *bias,
                                   const int32_t *multiplier, const int32_t *shift,
                                   int8_t *output)
{
    const ck_status st = ck_fc_check_args(p, input, weights, multiplier, shift, output);
    if (st != CK_OK) {
        return st;
    }
    const int32_t n_in = p->in_features, n_out = p->out_features, off = p->input_offset;
    const ck_requant_m0 rq = ck_requant_m0_init(bias, multiplier, shift, p->per_channel,
                                                p->output_offset, p->act_min, p->act_max,
                                                n_out, n_in);
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *x = input + b * n_in;
        int8_t *out = output + b * n_out;
        int32_t o = 0;
        for (; o + 4 <= n_out; o += 4) {
            int32_t acc[4] = {0, 0, 0, 0};
            ck_dot4(x, weights + o * n_in, n_in, n_in, off, acc);
            for (int32_t k = 0; k < 4; ++k) {
                out[o + k] = ck_finish_s8_m0(&rq, acc[k], o + k);
            }
        }
        if (n_out - o >= 2) {   /* 2 rows left: ck_dot2; 3: rows [o, o+1, o+1, o+2] */
            const int8_t *w = weights + o * n_in;
            const int32_t left = n_out - o;
            int32_t acc[4] = {0, 0, 0, 0};
            if (left == 3) {
                ck_dot4_rows(x, w, w + n_in, n_in, n_in, off, acc);
            } else {
                ck_dot2(x, w, n_in, n_in, off, acc);
            }
            out[o] = ck_finish_s8_m0(&rq, acc[0], o);
            out[o + 1] = ck_finish_s8_m0(&rq, acc[1], o + 1);
            if (left == 3) {
                out[o + 2] = ck_finish_s8_m0(&rq, acc[3], o + 2);
            }
            o = n_out;
        }
        for (; o < n_out; ++o) {
            const int32_t acc = ck_fc_dot1(x, weights + o * n_in, n_in, off);
            out[o] = ck_finish_s8_m0(&rq, acc, o);
        }
    }
    return CK_OK;
}
