/* DEPTHWISE_CONV_2D int8, portable C: any shape, depth multiplier, stride, dilation, padding. */
#include "ck_conv_internal.h"

ck_status ck_depthwise_conv_s8(const ck_conv_params *p, const int8_t *input,
                               const int8_t *filter, const int32_t *bias,
                               const int32_t *multiplier, const int32_t *shift, int8_t *output)
{
    const ck_status st = ck_conv_check_args(p, 1, input, filter, multiplier, shift, output);
    if (st != CK_OK) {
        return st;
    }
    const int32_t in_c = p->in_c, out_c = p->out_c, dm = p->depth_multiplier;
    const int32_t off = p->input_offset;
    int8_t *out = output;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = input + (int32_t)b * p->in_h * p->in_w * in_c;
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            int32_t ky0, ky1;
            ck_valid_taps(iy0, p->dilation_h, p->in_h, p->k_h, &ky0, &ky1);
            for (int32_t ox = 0; ox < p->out_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                int32_t kx0, kx1;
                ck_valid_taps(ix0, p->dilation_w, p->in_w, p->k_w, &kx0, &kx1);
                for (int32_t c = 0; c < out_c; ++c) {
                    const int32_t ic = c / dm;
                    int32_t acc = 0;
                    for (int32_t ky = ky0; ky < ky1; ++ky) {
                        const int32_t iy = iy0 + ky * p->dilation_h;
                        for (int32_t kx = kx0; kx < kx1; ++kx) {
                            const int32_t ix = ix0 + kx * p->dilation_w;
                            const int8_t x = image[(iy * p->in_w + ix) * in_c + ic];
                            acc += filter[(ky * p->k_w + kx) * out_c + c] * (x + off);
                        }
                    }
                    *out++ = CK_CONV_FINISH(p, acc, c, bias, multiplier, shift);
                }
            }
        }
    }
    return CK_OK;
}
