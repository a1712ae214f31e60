/* int8 PAD / PADV2 (see ck_shape.h). */
#include "ck_shape.h"
#include "../common/ck_check.h"

ck_status ck_pad_s8(const ck_pad_s8_params *p, const int8_t *in, int8_t *out)
{
    int32_t od[4], i0, i1, i2, i3;
    int d;
    if (CK_PAD_S8_BAD(p, in, out)) {
        return CK_ARG_ERROR;
    }
    for (d = 0; d < 4; ++d) {
        if (p->in_dims[d] < 1 || p->pad_before[d] < 0 || p->pad_after[d] < 0) {
            return CK_ARG_ERROR;
        }
        od[d] = p->pad_before[d] + p->in_dims[d] + p->pad_after[d];
    }
    for (i0 = 0; i0 < od[0]; ++i0) {
        const int32_t j0 = i0 - p->pad_before[0];
        for (i1 = 0; i1 < od[1]; ++i1) {
            const int32_t j1 = i1 - p->pad_before[1];
            for (i2 = 0; i2 < od[2]; ++i2) {
                const int32_t j2 = i2 - p->pad_before[2];
                const int inside = j0 >= 0 && j0 < p->in_dims[0] && j1 >= 0
                    && j1 < p->in_dims[1] && j2 >= 0 && j2 < p->in_dims[2];
                const int8_t *row = in + (((size_t)j0 * p->in_dims[1] + (size_t)j1)
                                          * p->in_dims[2] + (size_t)j2) * p->in_dims[3];
                for (i3 = 0; i3 < od[3]; ++i3) {
                    const int32_t j3 = i3 - p->pad_before[3];
                    *out++ = inside && j3 >= 0 && j3 < p->in_dims[3] ? row[j3]
                                                                      : (int8_t)p->pad_value;
                }
            }
        }
    }
    return CK_OK;
}
