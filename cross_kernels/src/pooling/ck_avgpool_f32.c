/* float32 AVERAGE_POOL_2D (see ck_float.h for the operation order). */
#include "ck_float.h"
#include "../common/ck_check.h"

ck_status ck_avgpool_f32(const ck_pool_f32_params *p, const float *input, float *output)
{
    if (!p || !input || !output || ck_pool_f32_bad(p)) {
        return CK_ARG_ERROR;
    }
    for (int32_t n = 0; n < p->batches; ++n) {
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            for (int32_t ox = 0; ox < p->out_w; ++ox) {
                for (int32_t c = 0; c < p->channels; ++c) {
                    float acc = 0.0f;
                    int32_t count = 0;
                    for (int32_t ky = 0; ky < p->filter_h; ++ky) {
                        const int32_t iy = oy * p->stride_h - p->pad_top + ky;
                        for (int32_t kx = 0; kx < p->filter_w; ++kx) {
                            const int32_t ix = ox * p->stride_w - p->pad_left + kx;
                            if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
                                continue;
                            }
                            const float v = input[(((size_t)n * p->in_h + iy) * p->in_w + ix) * p->channels + c];
                            acc = acc + v;
                            ++count;
                        }
                    }
                    acc = acc / (float)count;
                    *output++ = ck_activation_f32(acc, p->activation);
                }
            }
        }
    }
    return CK_OK;
}
