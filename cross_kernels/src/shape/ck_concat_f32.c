/* float32 CONCATENATION along any axis, viewed as [outer, axis, inner] (see ck_float.h). */
#include "ck_float.h"
#include "../common/ck_check.h"

ck_status ck_concat_f32(const ck_concat_f32_params *p, const float *const *inputs,
                        const int32_t *axis_sizes, float *output)
{
    if (CK_CONCAT_BAD(p, inputs, axis_sizes, output)) {
        return CK_ARG_ERROR;
    }
    for (int32_t k = 0; k < p->num_inputs; ++k) {
        if (!inputs[k] || axis_sizes[k] < 0) {
            return CK_ARG_ERROR;
        }
    }
    float *out = output;
    for (int32_t o = 0; o < p->outer_size; ++o) {
        for (int32_t k = 0; k < p->num_inputs; ++k) {
            const size_t n = (size_t)axis_sizes[k] * (size_t)p->inner_size;
            const float *src = inputs[k] + (size_t)o * n;
            for (size_t i = 0; i < n; ++i) {
                *out++ = src[i];
            }
        }
    }
    return CK_OK;
}
