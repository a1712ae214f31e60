/* int8 SUB with broadcasting (see ck_elementwise.h): ADD's parameters and input stage, the
 * difference of the requantized inputs (tflite-micro sub_common.cc, reference SubElementwise).
 * Not ck_add_s8 with input 2's multiplier negated: ck_srdhm rounds a tie up, so requantizing
 * by -m can differ by one from negating the requantization by m. */
#include "ck_elementwise.h"
#include "../common/ck_check.h"
#include "ck_elementwise_internal.h"
#include "ck_quant.h"

static void sub_row(const void *ctx, const int8_t *a, int32_t sa, const int8_t *b, int32_t sb,
                    int8_t *out, int32_t n)
{
    const ck_add_s8_params *p = (const ck_add_s8_params *)ctx;
    int32_t i;
    for (i = 0; i < n; ++i) {
        const int32_t va = ck_requantize(((int32_t)a[(size_t)i * sa] - p->input1_zp)
                                         * (1 << p->left_shift),
                                         p->input1_multiplier, p->input1_shift);
        const int32_t vb = ck_requantize(((int32_t)b[(size_t)i * sb] - p->input2_zp)
                                         * (1 << p->left_shift),
                                         p->input2_multiplier, p->input2_shift);
        const int32_t v = ck_requantize(va - vb, p->output_multiplier, p->output_shift);
        out[i] = ck_offset_clamp_s8(v, p->output_zp, p->act_min, p->act_max);
    }
}

ck_status ck_sub_s8(const ck_add_s8_params *p, const ck_broadcast4 *s, const int8_t *in1,
                    const int8_t *in2, int8_t *out)
{
    ck_ew_nest nest;
    if (CK_ADD_S8_BAD(p, s, in1, in2, out)) {
        return CK_ARG_ERROR;
    }
    ck_ew_collapse(s->out_dims, s->in1_strides, s->in2_strides, &nest);
    ck_ew_for_rows(&nest, in1, in2, out, sub_row, p);
    return CK_OK;
}
