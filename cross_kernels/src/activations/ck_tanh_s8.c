/* int8 TANH: TFLite reference_integer_ops::Tanh semantics (see ck_activations.h). */
#include "ck_activations.h"
#include "../common/ck_check.h"

static int32_t tanh_q4(int32_t a)
{
    /* n = -|a|, read with 5 integer bits (gemmlowp ExactMulByPot<1>). */
    const int32_t n = a < 0 ? a : ck_fx_sub(0, a);
    const int32_t t = ck_fx_one_minus_x_over_one_plus_x(ck_fx_exp_on_negative_values(n, 5));
    if (a == 0) {
        return 0;
    }
    return a < 0 ? ck_fx_sub(0, t) : t;
}

ck_status ck_tanh_s8(const ck_sigmoid_s8_params *p, const int8_t *in, int8_t *out)
{
    int32_t i;
    if (CK_SIGMOID_S8_BAD(p, in, out)) {
        return CK_ARG_ERROR;
    }
    for (i = 0; i < p->size; ++i) {
        const int32_t d = (int32_t)in[i] - p->input_zp;
        int32_t y;
        if (d <= -p->input_range_radius) {
            y = -128;
        } else if (d >= p->input_range_radius) {
            y = 127;
        } else {
            const int32_t q4 = ck_requantize(d, p->input_multiplier, p->input_left_shift);
            y = ck_rounding_divide_by_pot(tanh_q4(q4), 24);
        }
        out[i] = ck_clamp_s8(y, -128, 127);
    }
    return CK_OK;
}
