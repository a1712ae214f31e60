/* float32 FULLY_CONNECTED (see ck_float.h for the operation order). */
#include "ck_float.h"
#include "../common/ck_check.h"

ck_status ck_fully_connected_f32(const ck_fc_f32_params *p, const float *input,
                                 const float *weights, const float *bias, float *output)
{
    if (CK_FC_F32_BAD(p, input, weights, output)) {
        return CK_ARG_ERROR;
    }
    for (int32_t b = 0; b < p->batches; ++b) {
        const float *x = input + (size_t)b * p->in_features;
        for (int32_t o = 0; o < p->out_features; ++o) {
            const float *w = weights + (size_t)o * p->in_features;
            float acc = bias ? bias[o] : 0.0f;
            for (int32_t i = 0; i < p->in_features; ++i) {
                acc = acc + x[i] * w[i];
            }
            *output++ = ck_activation_f32(acc, p->activation);
        }
    }
    return CK_OK;
}
