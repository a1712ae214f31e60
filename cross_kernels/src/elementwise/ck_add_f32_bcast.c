/* float32 ADD, b repeated along the leading axes: a [outer, inner], b [inner] (ck_float.h). */
#include "ck_float.h"
#include "../common/ck_check.h"

ck_status ck_add_f32_bcast(int32_t outer, int32_t inner, int32_t activation, const float *a,
                           const float *b, float *out)
{
    if (CK_BCAST_F32_BAD(outer, inner, activation, a, b, out)) {
        return CK_ARG_ERROR;
    }
    for (int32_t o = 0; o < outer; ++o) {
        const float *x = a + (size_t)o * (size_t)inner;
        float *y = out + (size_t)o * (size_t)inner;
        for (int32_t i = 0; i < inner; ++i) {
            y[i] = ck_activation_f32(x[i] + b[i], activation);
        }
    }
    return CK_OK;
}
