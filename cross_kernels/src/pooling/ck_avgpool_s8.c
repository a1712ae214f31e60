/* int8 AVERAGE_POOL_2D (see ck_pooling.h). */
#include "ck_pooling.h"
#include "ck_quant.h"

ck_status ck_avgpool_s8(const ck_pool_s8_params *p, const int8_t *in, int8_t *out)
{
    int32_t b, oy, ox, c;
    if (ck_pool_check(p, in, out) != CK_OK) {
        return CK_ARG_ERROR;
    }
    for (b = 0; b < p->batches; ++b) {
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            const int32_t ys = y0 < 0 ? 0 : y0;
            const int32_t ye = y0 + p->filter_h < p->in_h ? y0 + p->filter_h : p->in_h;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                const int32_t xs = x0 < 0 ? 0 : x0;
                const int32_t xe = x0 + p->filter_w < p->in_w ? x0 + p->filter_w : p->in_w;
                const int32_t count = (ye - ys) * (xe - xs);
                int8_t *dst = out + (((size_t)b * p->out_h + oy) * p->out_w + ox) * p->channels;
                for (c = 0; c < p->channels; ++c) {
                    int32_t acc = 0, y, x;
                    for (y = ys; y < ye; ++y) {
                        const int8_t *row = in + (((size_t)b * p->in_h + y) * p->in_w) * p->channels;
                        for (x = xs; x < xe; ++x) {
                            acc += row[(size_t)x * p->channels + c];
                        }
                    }
                    /* Round half away from zero; C division truncates. */
                    acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    dst[c] = ck_clamp_s8(acc, p->act_min, p->act_max);
                }
            }
        }
    }
    return CK_OK;
}
