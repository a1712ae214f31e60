/* float32 LEAKY_RELU: x > 0 ? x : x * alpha (see ck_float.h), TFLM's reference LeakyRelu. */
#include "ck_float.h"
#include "../common/ck_check.h"

ck_status ck_leaky_relu_f32(int32_t size, float alpha, const float *input, float *output)
{
    if (CK_UNARY_F32_BAD(size, input, output)) {
        return CK_ARG_ERROR;
    }
    for (int32_t i = 0; i < size; ++i) {
        const float x = input[i];
        output[i] = x > 0.0f ? x : x * alpha;
    }
    return CK_OK;
}
