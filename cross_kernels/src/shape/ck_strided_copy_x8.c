/* TRANSPOSE / STRIDED_SLICE: a strided view of the input copied out densely, 8-bit elements
 * (see ck_shape.h). Six nested loops over the right-aligned output dimensions: the innermost
 * one walks the input by its stride, the others only move the base pointer. */
#include "ck_shape.h"
#include "../common/ck_check.h"

ck_status ck_strided_copy_x8(const ck_strided_copy_params *p, const int8_t *in, int8_t *out)
{
    const int32_t *d, *s;
    int32_t i0, i1, i2, i3, i4, i5;
    if (ck_strided_copy_bad(p, in, out)) {
        return CK_ARG_ERROR;
    }
    d = p->out_dims;
    s = p->in_strides;
    for (i0 = 0; i0 < d[0]; ++i0) {
        const int8_t *b0 = in + p->offset + i0 * s[0];
        for (i1 = 0; i1 < d[1]; ++i1) {
            const int8_t *b1 = b0 + i1 * s[1];
            for (i2 = 0; i2 < d[2]; ++i2) {
                const int8_t *b2 = b1 + i2 * s[2];
                for (i3 = 0; i3 < d[3]; ++i3) {
                    const int8_t *b3 = b2 + i3 * s[3];
                    for (i4 = 0; i4 < d[4]; ++i4) {
                        const int8_t *src = b3 + i4 * s[4];
                        for (i5 = 0; i5 < d[5]; ++i5) {
                            *out++ = *src;
                            src += s[5];
                        }
                    }
                }
            }
        }
    }
    return CK_OK;
}
