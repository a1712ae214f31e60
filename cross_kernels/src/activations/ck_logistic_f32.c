/* float32 LOGISTIC: 1 / (1 + ck_expf(-x)) (see ck_float.h). */
#include "ck_float.h"
#include "../common/ck_check.h"

ck_status ck_logistic_f32(int32_t size, const float *input, float *output)
{
    if (CK_UNARY_F32_BAD(size, input, output)) {
        return CK_ARG_ERROR;
    }
    for (int32_t i = 0; i < size; ++i) {
        const float e = ck_expf(-input[i]);
        output[i] = 1.0f / (1.0f + e);
    }
    return CK_OK;
}
