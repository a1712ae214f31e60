/* int8 RELU / RELU6 (see ck_elementwise.h). */
#include "ck_elementwise.h"
#include "../common/ck_check.h"
#include "ck_quant.h"

ck_status ck_relu_s8(const ck_relu_s8_params *p, const int8_t *in, int8_t *out)
{
    int32_t i;
    if (CK_RELU_S8_BAD(p, in, out)) {
        return CK_ARG_ERROR;
    }
    if (p->multiplier == (1 << 30) && p->shift == 1 && p->input_zp == p->output_zp) {
        for (i = 0; i < p->size; ++i) {     /* identity requantization: a plain clamp */
            out[i] = ck_clamp_s8(in[i], p->act_min, p->act_max);
        }
        return CK_OK;
    }
    for (i = 0; i < p->size; ++i) {
        const int32_t v = ck_requantize((int32_t)in[i] - p->input_zp, p->multiplier, p->shift);
        out[i] = ck_offset_clamp_s8(v, p->output_zp, p->act_min, p->act_max);
    }
    return CK_OK;
}
