/* int8 ADD with broadcasting (see ck_elementwise.h). */
#include "ck_elementwise.h"
#include "ck_quant.h"

static int8_t add_one(const ck_add_s8_params *p, int8_t a, int8_t b)
{
    const int32_t va = ck_requantize(((int32_t)a - p->input1_zp) * (1 << p->left_shift),
                                     p->input1_multiplier, p->input1_shift);
    const int32_t vb = ck_requantize(((int32_t)b - p->input2_zp) * (1 << p->left_shift),
                                     p->input2_multiplier, p->input2_shift);
    const int32_t sum = ck_requantize(va + vb, p->output_multiplier, p->output_shift);
    return ck_offset_clamp_s8(sum, p->output_zp, p->act_min, p->act_max);
}

ck_status ck_add_s8(const ck_add_s8_params *p, const ck_broadcast4 *s, const int8_t *in1,
                    const int8_t *in2, int8_t *out)
{
    int32_t i0, i1, i2, i3;
    if (!p || !in1 || !in2 || !out || ck_broadcast4_check(s) != CK_OK || p->left_shift < 0
        || p->left_shift > 23 || p->input1_shift > 0 || p->input1_shift < -31
        || p->input2_shift > 0 || p->input2_shift < -31 || p->output_shift > 30
        || p->output_shift < -31 || p->act_min < -128 || p->act_max > 127
        || p->act_min > p->act_max) {
        return CK_ARG_ERROR;
    }
    for (i0 = 0; i0 < s->out_dims[0]; ++i0) {
        for (i1 = 0; i1 < s->out_dims[1]; ++i1) {
            for (i2 = 0; i2 < s->out_dims[2]; ++i2) {
                const int8_t *a = in1 + (size_t)i0 * s->in1_strides[0]
                    + (size_t)i1 * s->in1_strides[1] + (size_t)i2 * s->in1_strides[2];
                const int8_t *b = in2 + (size_t)i0 * s->in2_strides[0]
                    + (size_t)i1 * s->in2_strides[1] + (size_t)i2 * s->in2_strides[2];
                for (i3 = 0; i3 < s->out_dims[3]; ++i3) {
                    *out++ = add_one(p, a[(size_t)i3 * s->in1_strides[3]],
                                     b[(size_t)i3 * s->in2_strides[3]]);
                }
            }
        }
    }
    return CK_OK;
}
