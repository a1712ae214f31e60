/* float32 PRELU with 4-D broadcasting (see ck_elementwise.h): x >= 0 ? x : x * alpha, alpha
 * broadcast as input 2 (tflite-micro prelu.cc's float path; float_ops.prelu_f32 is its twin). */
#include "ck_elementwise.h"
#include "ck_float.h"
#include "../common/ck_check.h"

ck_status ck_prelu_f32(const ck_broadcast4 *s, const float *in, const float *alpha, float *out)
{
    int32_t i0, i1, i2, i3;
    if (CK_MINMAX_BAD(s, in, alpha, out)) {
        return CK_ARG_ERROR;
    }
    for (i0 = 0; i0 < s->out_dims[0]; ++i0) {
        for (i1 = 0; i1 < s->out_dims[1]; ++i1) {
            for (i2 = 0; i2 < s->out_dims[2]; ++i2) {
                const float *x = in + (size_t)i0 * s->in1_strides[0]
                                 + (size_t)i1 * s->in1_strides[1] + (size_t)i2 * s->in1_strides[2];
                const float *a = alpha + (size_t)i0 * s->in2_strides[0]
                                 + (size_t)i1 * s->in2_strides[1] + (size_t)i2 * s->in2_strides[2];
                for (i3 = 0; i3 < s->out_dims[3]; ++i3) {
                    const float v = x[(size_t)i3 * s->in1_strides[3]];
                    *out++ = v >= 0.0f ? v : v * a[(size_t)i3 * s->in2_strides[3]];
                }
            }
        }
    }
    return CK_OK;
}
