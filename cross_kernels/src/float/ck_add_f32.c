/* float32 ADD, same-shape operands (see ck_float.h). */
#include "ck_float.h"

ck_status ck_add_f32(int32_t size, int32_t activation, const float *a, const float *b, float *out)
{
    if (!a || !b || !out || size < 0 || ck_activation_bad(activation)) {
        return CK_ARG_ERROR;
    }
    for (int32_t i = 0; i < size; ++i) {
        out[i] = ck_activation_f32(a[i] + b[i], activation);
    }
    return CK_OK;
}
