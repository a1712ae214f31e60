/* float32 RELU / RELU6 (see ck_float.h). */
#include "ck_float.h"

ck_status ck_relu_f32(int32_t size, int32_t activation, const float *input, float *output)
{
    if (!input || !output || size < 0
        || (activation != CK_ACT_RELU && activation != CK_ACT_RELU6)) {
        return CK_ARG_ERROR;
    }
    for (int32_t i = 0; i < size; ++i) {
        output[i] = ck_activation_f32(input[i], activation);
    }
    return CK_OK;
}
