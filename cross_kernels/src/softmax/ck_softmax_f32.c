/* float32 SOFTMAX over the last axis, with ck_expf (see ck_float.h). */
#include "ck_float.h"
#include "../common/ck_check.h"

ck_status ck_softmax_f32(int32_t rows, int32_t depth, float beta, const float *input,
                         float *output)
{
    if (CK_SOFTMAX_F32_BAD(rows, depth, beta, input, output)) {
        return CK_ARG_ERROR;
    }
    for (int32_t r = 0; r < rows; ++r) {
        const float *x = input + (size_t)r * depth;
        float *y = output + (size_t)r * depth;
        float m = x[0];
        for (int32_t i = 1; i < depth; ++i) {
            m = x[i] > m ? x[i] : m;
        }
        float sum = 0.0f;
        for (int32_t i = 0; i < depth; ++i) {
            y[i] = ck_expf((x[i] - m) * beta);
            sum = sum + y[i];
        }
        for (int32_t i = 0; i < depth; ++i) {
            y[i] = y[i] / sum;
        }
    }
    return CK_OK;
}
