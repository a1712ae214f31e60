/* float32 MINIMUM with 4-D broadcasting (see ck_elementwise.h): in1 < in2 ? in1 : in2, the
 * comparison of tflite-micro's maximum_minimum.cc (float_ops.minimum_f32 is its twin). */
#include "ck_elementwise.h"
#include "ck_float.h"
#include "../common/ck_check.h"

ck_status ck_minimum_f32(const ck_broadcast4 *s, const float *in1, const float *in2, float *out)
{
    int32_t i0, i1, i2, i3;
    if (CK_MINMAX_BAD(s, in1, in2, out)) {
        return CK_ARG_ERROR;
    }
    for (i0 = 0; i0 < s->out_dims[0]; ++i0) {
        for (i1 = 0; i1 < s->out_dims[1]; ++i1) {
            for (i2 = 0; i2 < s->out_dims[2]; ++i2) {
                const float *a = in1 + (size_t)i0 * s->in1_strides[0]
                                 + (size_t)i1 * s->in1_strides[1] + (size_t)i2 * s->in1_strides[2];
                const float *b = in2 + (size_t)i0 * s->in2_strides[0]
                                 + (size_t)i1 * s->in2_strides[1] + (size_t)i2 * s->in2_strides[2];
                for (i3 = 0; i3 < s->out_dims[3]; ++i3) {
                    const float x = a[(size_t)i3 * s->in1_strides[3]];
                    const float y = b[(size_t)i3 * s->in2_strides[3]];
                    *out++ = x < y ? x : y;
                }
            }
        }
    }
    return CK_OK;
}
