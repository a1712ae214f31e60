/* int8 LEAKY_RELU: TFLite reference_ops::QuantizeLeakyRelu semantics (see ck_activations.h). */
#include "ck_activations.h"
#include "../common/ck_check.h"

ck_status ck_leaky_relu_s8(const ck_leaky_relu_s8_params *p, const int8_t *in, int8_t *out)
{
    int32_t i;
    if (CK_LEAKY_RELU_S8_BAD(p, in, out)) {
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
