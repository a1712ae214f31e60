/* FULLY_CONNECTED int8, portable C (see ck_fully_connected.h). */
#include "ck_fc_internal.h"

ck_status ck_fully_connected_s8(const ck_fc_params *p, const int8_t *input,
                                const int8_t *weights, const int32_t *bias,
                                const int32_t *multiplier, const int32_t *shift,
                                int8_t *output)
{
    const ck_status st = ck_fc_check_args(p, input, weights, multiplier, shift, output);
    if (st != CK_OK) {
        return st;
    }
    const int32_t n_in = p->in_features, off = p->input_offset;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *x = input + b * n_in;
        int8_t *out = output + b * p->out_features;
        for (int32_t o = 0; o < p->out_features; ++o) {
            const int8_t *w = weights + o * n_in;
            int32_t acc = 0;
            for (int32_t i = 0; i < n_in; ++i) {
                acc += w[i] * (x[i] + off);
            }
            out[o] = CK_FC_FINISH(p, acc, o, bias, multiplier, shift);
        }
    }
    return CK_OK;
}
