/* QUANTIZE int8 -> int8 (see ck_quantize.h). */
#include "ck_quantize.h"
#include "../common/ck_check.h"
#include "ck_quant.h"

ck_status ck_requantize_s8(const ck_requantize_s8_params *p, const int8_t *in, int8_t *out)
{
    int32_t i;
    if (CK_REQUANTIZE_S8_BAD(p, in, out)) {
        return CK_ARG_ERROR;
    }
    for (i = 0; i < p->size; ++i) {
        const int32_t v = ck_requantize((int32_t)in[i] - p->input_zp, p->multiplier, p->shift);
        out[i] = ck_offset_clamp_s8(v, p->output_zp, -128, 127);
    }
    return CK_OK;
}
