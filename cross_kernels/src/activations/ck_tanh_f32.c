/* float32 TANH: sign(x) * (1 - t) / (1 + t), t = ck_expf(-2|x|) (see ck_float.h). */
#include "ck_float.h"
#include "../common/ck_check.h"

ck_status ck_tanh_f32(int32_t size, const float *input, float *output)
{
    if (CK_UNARY_F32_BAD(size, input, output)) {
        return CK_ARG_ERROR;
    }
    for (int32_t i = 0; i < size; ++i) {
        const float x = input[i];
        const float ax = x < 0.0f ? -x : x;
        const float t = ck_expf(-2.0f * ax);
        const float y = (1.0f - t) / (1.0f + t);
        output[i] = x < 0.0f ? -y : y;
    }
    return CK_OK;
}
