/* int8 PRELU with broadcasting (see ck_elementwise.h): the input's non-negative part is
 * requantized by the identity multiplier, the negative part times (alpha - alpha_zp) by the
 * alpha multiplier, as tflite-micro's reference BroadcastPrelu4DSlow does. |d (alpha - zp)| <=
 * 255 * 255, so the product fits in int32. */
#include "ck_elementwise.h"
#include "../common/ck_check.h"
#include "ck_elementwise_internal.h"
#include "ck_quant.h"

static void prelu_row(const void *ctx, const int8_t *x, int32_t sx, const int8_t *a, int32_t sa,
                      int8_t *out, int32_t n)
{
    const ck_prelu_s8_params *p = (const ck_prelu_s8_params *)ctx;
    int32_t i;
    for (i = 0; i < n; ++i) {
        const int32_t d = (int32_t)x[(size_t)i * sx] - p->input_zp;
        const int32_t v = d >= 0
            ? ck_requantize(d, p->identity_multiplier, p->identity_shift)
            : ck_requantize(d * ((int32_t)a[(size_t)i * sa] - p->alpha_zp), p->alpha_multiplier,
                            p->alpha_shift);
        out[i] = ck_offset_clamp_s8(v, p->output_zp, CK_S8_MIN, CK_S8_MAX);
    }
}

ck_status ck_prelu_s8(const ck_prelu_s8_params *p, const ck_broadcast4 *s, const int8_t *in,
                      const int8_t *alpha, int8_t *out)
{
    ck_ew_nest nest;
    if (CK_PRELU_S8_BAD(p, s, in, alpha, out)) {
        return CK_ARG_ERROR;
    }
    ck_ew_collapse(s->out_dims, s->in1_strides, s->in2_strides, &nest);
    ck_ew_for_rows(&nest, in, alpha, out, prelu_row, p);
    return CK_OK;
}
