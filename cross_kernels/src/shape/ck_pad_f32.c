/* float32 PAD / PADV2 over 4-D [d0, d1, d2, d3] (see ck_float.h). */
#include "ck_float.h"
#include "../common/ck_check.h"

ck_status ck_pad_f32(const ck_pad_f32_params *p, float pad_value, const float *input,
                     float *output)
{
    int32_t od[4];
    if (CK_PAD_F32_BAD(p, input, output)) {
        return CK_ARG_ERROR;
    }
    for (int d = 0; d < 4; ++d) {
        if (p->in_dims[d] < 1 || p->pad_before[d] < 0 || p->pad_after[d] < 0) {
            return CK_ARG_ERROR;
        }
        od[d] = p->pad_before[d] + p->in_dims[d] + p->pad_after[d];
    }
    float *out = output;
    for (int32_t i0 = 0; i0 < od[0]; ++i0) {
        const int32_t j0 = i0 - p->pad_before[0];
        for (int32_t i1 = 0; i1 < od[1]; ++i1) {
            const int32_t j1 = i1 - p->pad_before[1];
            for (int32_t i2 = 0; i2 < od[2]; ++i2) {
                const int32_t j2 = i2 - p->pad_before[2];
                const int inside = j0 >= 0 && j0 < p->in_dims[0] && j1 >= 0
                    && j1 < p->in_dims[1] && j2 >= 0 && j2 < p->in_dims[2];
                const float *row = input + (((size_t)j0 * p->in_dims[1] + (size_t)j1)
                                            * p->in_dims[2] + (size_t)j2) * p->in_dims[3];
                for (int32_t i3 = 0; i3 < od[3]; ++i3) {
                    const int32_t j3 = i3 - p->pad_before[3];
                    *out++ = inside && j3 >= 0 && j3 < p->in_dims[3] ? row[j3] : pad_value;
                }
            }
        }
    }
    return CK_OK;
}
