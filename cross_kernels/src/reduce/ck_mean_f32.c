/* float32 MEAN over the middle axis of [outer, reduce, inner] (see ck_float.h). */
#include "ck_float.h"
#include "../common/ck_check.h"

ck_status ck_mean_f32(int32_t outer, int32_t reduce, int32_t inner, const float *input,
                      float *output)
{
    if (CK_MEAN_F32_BAD(outer, reduce, inner, input, output)) {
        return CK_ARG_ERROR;
    }
    const float count = (float)reduce;
    for (int32_t o = 0; o < outer; ++o) {
        const float *x = input + (size_t)o * (size_t)reduce * (size_t)inner;
        for (int32_t i = 0; i < inner; ++i) {
            float s = 0.0f;
            for (int32_t r = 0; r < reduce; ++r) {
                s = s + x[(size_t)r * (size_t)inner + (size_t)i];
            }
            output[(size_t)o * (size_t)inner + (size_t)i] = s / count;
        }
    }
    return CK_OK;
}
