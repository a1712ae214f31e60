/* GATHER with constant indices, 8-bit elements: [outer, axis, inner] rows picked by index
 * (see ck_shape.h). */
#include "ck_shape.h"
#include "../common/ck_check.h"

ck_status ck_gather_x8(const ck_gather_params *p, const int8_t *in, const int32_t *indices,
                       int8_t *out)
{
    int32_t o, k, i;
    if (CK_GATHER_BAD(p, in, indices, out)) {
        return CK_ARG_ERROR;
    }
    for (k = 0; k < p->num_indices; ++k) {
        if (indices[k] < 0 || indices[k] >= p->axis_size) {
            return CK_ARG_ERROR;
        }
    }
    for (o = 0; o < p->outer; ++o) {
        const int8_t *base = in + (size_t)o * (size_t)p->axis_size * (size_t)p->inner;
        for (k = 0; k < p->num_indices; ++k) {
            const int8_t *src = base + (size_t)indices[k] * (size_t)p->inner;
            for (i = 0; i < p->inner; ++i) {
                *out++ = src[i];
            }
        }
    }
    return CK_OK;
}
