/* float32 HARD_SWISH: x * min(6, max(0, x + 3)) / 6 (see ck_float.h), TFLM's reference
 * HardSwish with std::max / std::min's comparisons (a NaN x + 3 becomes 0). */
#include "ck_float.h"
#include "../common/ck_check.h"

ck_status ck_hard_swish_f32(int32_t size, const float *input, float *output)
{
    if (CK_UNARY_F32_BAD(size, input, output)) {
        return CK_ARG_ERROR;
    }
    for (int32_t i = 0; i < size; ++i) {
        const float x = input[i];
        float t = x + 3.0f;
        t = 0.0f < t ? t : 0.0f;
        t = t < 6.0f ? t : 6.0f;
        output[i] = x * t / 6.0f;
    }
    return CK_OK;
}
