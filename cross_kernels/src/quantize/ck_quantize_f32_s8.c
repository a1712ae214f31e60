/* QUANTIZE float32 -> int8 (see ck_quantize.h). */
#include "ck_quantize.h"
#include "../common/ck_check.h"
#include "ck_quant.h"

/* std::round on a float already limited to [-512, 512]. */
static int32_t round_half_away(float x)
{
    const int32_t t = (int32_t)x;          /* truncates toward zero */
    const float frac = x - (float)t;       /* exact for |x| < 2^23 */
    if (frac >= 0.5f) {
        return t + 1;
    }
    if (frac <= -0.5f) {
        return t - 1;
    }
    return t;
}

ck_status ck_quantize_f32_s8(const ck_affine_f32_params *p, const float *in, int8_t *out)
{
    int32_t i;
    if (CK_QUANTIZE_F32_S8_BAD(p, in, out)) {
        return CK_ARG_ERROR;
    }
    for (i = 0; i < p->size; ++i) {
        float q = in[i] / p->scale;
        if (q != q) {
            q = 0.0f;                       /* NaN */
        }
        /* Any |q| beyond 383 saturates after the zero point, so this clamp is exact. */
        q = q > 512.0f ? 512.0f : (q < -512.0f ? -512.0f : q);
        out[i] = ck_clamp_s8(round_half_away(q) + p->zero_point, -128, 127);
    }
    return CK_OK;
}
