/* int8 LEAKY_RELU: TFLite reference_ops::QuantizeLeakyRelu semantics (see ck_activations.h). */
#include "ck_activations.h"

static int shift_ok(int32_t shift)
{
    return shift >= -31 && shift <= 31;
}

ck_status ck_leaky_relu_s8(const ck_leaky_relu_s8_params *p, const int8_t *in, int8_t *out)
{
    int32_t i;
    if (!p || !in || !out || p->size < 0 || p->identity_multiplier < 0
        || p->alpha_multiplier < 0 || !shift_ok(p->identity_shift) || !shift_ok(p->alpha_shift)) {
        return CK_ARG_ERROR;
    }
    for (i = 0; i < p->size; ++i) {
        const int32_t d = (int32_t)in[i] - p->input_zp;
        const int32_t v = d >= 0 ? ck_requantize(d, p->identity_multiplier, p->identity_shift)
                                 : ck_requantize(d, p->alpha_multiplier, p->alpha_shift);
        out[i] = ck_offset_clamp_s8(v, p->output_zp, -128, 127);
    }
    return CK_OK;
}
