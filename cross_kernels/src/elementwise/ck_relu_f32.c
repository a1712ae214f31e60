/* float32 RELU / RELU6 (see ck_float.h). */
#include "ck_float.h"
#include "../common/ck_check.h"

ck_status ck_relu_f32(int32_t size, int32_t activation, const float *input, float *output)
{
    if (CK_RELU_F32_BAD(size, activation, input, output)) {
        return CK_ARG_ERROR;
    }
    for (int32_t i = 0; i < size; ++i) {
        output[i] = ck_activation_f32(input[i], activation);
    }
    return CK_OK;
}
