/* int8 SOFTMAX: TFLite reference_ops::Softmax semantics (see ck_softmax.h). */
#include "ck_softmax.h"
#include "../common/ck_check.h"
#include "ck_activations.h"

static int32_t exp_of_diff(const ck_softmax_s8_params *p, int32_t diff)
{
    /* MultiplyByQuantizedMultiplierGreaterThanOne, double rounding: SRDHM(diff << shift). */
    const int32_t rescaled = ck_srdhm((int32_t)((uint32_t)diff << p->input_left_shift),
                                      p->input_multiplier);
    return ck_fx_exp_on_negative_values(rescaled, 5);   /* Q5.26 in, Q0.31 out */
}

static int count_leading_zeros(uint32_t x)
{
    int n = 0;
    if (x == 0) {
        return 32;
    }
    while (!(x & 0x80000000u)) {
        x <<= 1;
        ++n;
    }
    return n;
}

static ck_status softmax_row(const ck_softmax_s8_params *p, const int8_t *in, int8_t *out)
{
    int32_t c, max = -128, sum = 0;
    for (c = 0; c < p->depth; ++c) {
        max = in[c] > max ? in[c] : max;
    }
    for (c = 0; c < p->depth; ++c) {
        const int32_t diff = (int32_t)in[c] - max;
        if (diff >= p->diff_min) {
            sum = ck_fx_add(sum, ck_rounding_divide_by_pot(exp_of_diff(p, diff), 12));
        }
    }
    /* GetReciprocal: normalise the Q12.19 sum to [1, 2) and take 1 / x. */
    const int headroom = count_leading_zeros((uint32_t)sum);
    const int exponent = (12 - headroom) + 31 - 8;
    const int32_t shifted_minus_one =
        (int32_t)(((uint32_t)sum << headroom) - 0x80000000u);
    const int32_t scale = ck_fx_one_over_one_plus_x(shifted_minus_one);
    if (exponent > 31) {
        return CK_ARG_ERROR;   /* sum of exps >= 512: TFLite's TFLITE_CHECK would abort */
    }
    for (c = 0; c < p->depth; ++c) {
        const int32_t diff = (int32_t)in[c] - max;
        int32_t y = -128;
        if (diff >= p->diff_min) {
            y = ck_rounding_divide_by_pot(ck_srdhm(scale, exp_of_diff(p, diff)), exponent)
                - 128;
        }
        out[c] = ck_clamp_s8(y, -128, 127);
    }
    return CK_OK;
}

ck_status ck_softmax_s8(const ck_softmax_s8_params *p, const int8_t *in, int8_t *out)
{
    int32_t r;
    if (CK_SOFTMAX_S8_BAD(p, in, out)) {
        return CK_ARG_ERROR;
    }
    for (r = 0; r < p->rows; ++r) {
        const size_t at = (size_t)r * (size_t)p->depth;
        if (softmax_row(p, in + at, out + at) != CK_OK) {
            return CK_ARG_ERROR;
        }
    }
    return CK_OK;
}
