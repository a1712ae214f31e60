/* DEQUANTIZE int8 -> float32 (see ck_quantize.h). */
#include "ck_quantize.h"
#include "../common/ck_check.h"

ck_status ck_dequantize_s8_f32(const ck_affine_f32_params *p, const int8_t *in, float *out)
{
    int32_t i;
    if (CK_DEQUANTIZE_S8_F32_BAD(p, in, out)) {
        return CK_ARG_ERROR;
    }
    for (i = 0; i < p->size; ++i) {
        /* TFLite computes in double; the product of a float and an int8 difference is exact
         * in double, so one float multiply rounds to the same float. */
        out[i] = p->scale * (float)((int32_t)in[i] - p->zero_point);
    }
    return CK_OK;
}
