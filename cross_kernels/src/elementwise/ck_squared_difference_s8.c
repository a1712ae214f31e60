/* int8 SQUARED_DIFFERENCE with broadcasting (see ck_elementwise.h): ADD's input stage with a
 * left shift of 7, the square of the difference requantized (tflite-micro
 * squared_difference.cc). With left_shift <= 7 each requantized input is below 2^14 in
 * magnitude (the input multipliers are <= 1/2), so d * d < 2^30 fits in int32; a larger left
 * shift is refused. */
#include "ck_elementwise.h"
#include "../common/ck_check.h"
#include "ck_elementwise_internal.h"
#include "ck_quant.h"

static void sqd_row(const void *ctx, const int8_t *a, int32_t sa, const int8_t *b, int32_t sb,
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
        const int32_t d = va - vb;
        const int32_t v = ck_requantize(d * d, p->output_multiplier, p->output_shift);
        out[i] = ck_offset_clamp_s8(v, p->output_zp, p->act_min, p->act_max);
    }
}

ck_status ck_squared_difference_s8(const ck_add_s8_params *p, const ck_broadcast4 *s,
                                   const int8_t *in1, const int8_t *in2, int8_t *out)
{
    ck_ew_nest nest;
    if (CK_ADD_S8_BAD(p, s, in1, in2, out) || p->left_shift > 7) {
        return CK_ARG_ERROR;
    }
    ck_ew_collapse(s->out_dims, s->in1_strides, s->in2_strides, &nest);
    ck_ew_for_rows(&nest, in1, in2, out, sqd_row, p);
    return CK_OK;
}
