/* float32 SUB with 4-D broadcasting and a fused activation (see ck_elementwise.h): one IEEE
 * subtraction per element, then TFLM's clamp to its activation range, which for NONE and
 * RELU is bounded by +-FLT_MAX (an infinite difference becomes +-FLT_MAX): d < lo ? lo : d,
 * then d > hi ? hi : d (std::min(std::max(d, lo), hi); NaN passes). float_ops.sub_f32 is
 * its twin. */
#include "ck_elementwise.h"
#include "ck_float.h"
#include "../common/ck_check.h"

#define SUB_FLT_MAX 0x1.fffffep+127f

/* x - y as an FPU's VSUB gives it: a NaN y propagates (quieted) with its sign. Without an FPU
 * the soft-float library computes x + (-y), so a NaN y would come out negated (measured on
 * Cortex-M0+ with compiler-rt); y + 0.0f quiets it and keeps the sign. A NaN x wins over a
 * NaN y on both, as it does here. */
static inline float sub(float x, float y)
{
#if defined(__ARM_FP)
    return x - y;
#else
    return (y != y && x == x) ? y + 0.0f : x - y;
#endif
}

ck_status ck_sub_f32(const ck_broadcast4 *s, int32_t activation, const float *in1,
                     const float *in2, float *out)
{
    int32_t i0, i1, i2, i3;
    if (CK_MINMAX_BAD(s, in1, in2, out) || ck_act_code_bad(activation)) {
        return CK_ARG_ERROR;
    }
    const float lo = activation == CK_ACT_NONE ? -SUB_FLT_MAX
                     : (activation == CK_ACT_RELU_N1_TO_1 ? -1.0f : 0.0f);
    const float hi = activation == CK_ACT_RELU6 ? 6.0f
                     : (activation == CK_ACT_RELU_N1_TO_1 ? 1.0f : SUB_FLT_MAX);
    for (i0 = 0; i0 < s->out_dims[0]; ++i0) {
        for (i1 = 0; i1 < s->out_dims[1]; ++i1) {
            for (i2 = 0; i2 < s->out_dims[2]; ++i2) {
                const float *a = in1 + (size_t)i0 * s->in1_strides[0]
                                 + (size_t)i1 * s->in1_strides[1] + (size_t)i2 * s->in1_strides[2];
                const float *b = in2 + (size_t)i0 * s->in2_strides[0]
                                 + (size_t)i1 * s->in2_strides[1] + (size_t)i2 * s->in2_strides[2];
                for (i3 = 0; i3 < s->out_dims[3]; ++i3) {
                    float d = sub(a[(size_t)i3 * s->in1_strides[3]],
                                  b[(size_t)i3 * s->in2_strides[3]]);
                    d = d < lo ? lo : d;
                    *out++ = d > hi ? hi : d;
                }
            }
        }
    }
    return CK_OK;
}
