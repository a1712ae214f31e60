/* int8 CONCATENATION along any axis (see ck_shape.h). */
#include "ck_shape.h"
#include "../common/ck_check.h"

ck_status ck_concat_s8(const ck_concat_s8_params *p, const int8_t *const *inputs,
                       const int32_t *axis_sizes, int8_t *out)
{
    int32_t o, k;
    if (CK_CONCAT_BAD(p, inputs, axis_sizes, out)) {
        return CK_ARG_ERROR;
    }
    for (k = 0; k < p->num_inputs; ++k) {
        if (!inputs[k] || axis_sizes[k] < 0) {
            return CK_ARG_ERROR;
        }
    }
    for (o = 0; o < p->outer_size; ++o) {
        for (k = 0; k < p->num_inputs; ++k) {
            const size_t n = (size_t)axis_sizes[k] * (size_t)p->inner_size;
            const int8_t *src = inputs[k] + (size_t)o * n;
            size_t i;
            for (i = 0; i < n; ++i) {
                *out++ = src[i];
            }
        }
    }
    return CK_OK;
}
