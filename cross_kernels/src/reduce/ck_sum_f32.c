/* float32 SUM over the middle axis of [outer, reduce, inner] (see ck_float.h): ck_mean_f32's
 * sum, in the same order, without the division. */
#include "ck_float.h"
#include "../common/ck_check.h"

ck_status ck_sum_f32(int32_t outer, int32_t reduce, int32_t inner, const float *input,
                     float *output)
{
    if (CK_MEAN_F32_BAD(outer, reduce, inner, input, output)) {
        return CK_ARG_ERROR;
    }
    for (int32_t o = 0; o < outer; ++o) {
        const float *x = input + (size_t)o * (size_t)reduce * (size_t)inner;
        for (int32_t i = 0; i < inner; ++i) {
            float s = 0.0f;
            for (int32_t r = 0; r < reduce; ++r) {
                s = s + x[(size_t)r * (size_t)inner + (size_t)i];
            }
            output[(size_t)o * (size_t)inner + (size_t)i] = s;
        }
    }
    return CK_OK;
}
