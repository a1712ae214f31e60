/* float32 CONV_2D (see ck_float.h for the operation order). */
#include "ck_float.h"
#include "../common/ck_check.h"

ck_status ck_conv_f32(const ck_conv_f32_params *p, const float *input, const float *filter,
                      const float *bias, float *output)
{
    if (!p || !input || !filter || !output || ck_conv_f32_bad(p)) {
        return CK_ARG_ERROR;
    }
    for (int32_t n = 0; n < p->batches; ++n) {
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            for (int32_t ox = 0; ox < p->out_w; ++ox) {
                for (int32_t oc = 0; oc < p->out_c; ++oc) {
                    float acc = bias ? bias[oc] : 0.0f;
                    const float *f = filter + (size_t)oc * p->k_h * p->k_w * p->in_c;
                    for (int32_t ky = 0; ky < p->k_h; ++ky) {
                        const int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dilation_h;
                        for (int32_t kx = 0; kx < p->k_w; ++kx) {
                            const int32_t ix = ox * p->stride_w - p->pad_left + kx * p->dilation_w;
                            if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
                                continue;
                            }
                            const float *x = input + (((size_t)n * p->in_h + iy) * p->in_w + ix) * p->in_c;
                            const float *w = f + ((size_t)ky * p->k_w + kx) * p->in_c;
                            for (int32_t ci = 0; ci < p->in_c; ++ci) {
                                acc = acc + x[ci] * w[ci];
                            }
                        }
                    }
                    *output++ = ck_activation_f32(acc, p->activation);
                }
            }
        }
    }
    return CK_OK;
}
