/* DEPTHWISE_CONV_2D int8 in place (TinyEngine's in-place depthwise, MCUNet, Lin et al. 2020):
 * the output overwrites the input, one channel at a time, through a one-channel temporary.
 *
 * Output channel c reads only input channel c (depth_multiplier 1). The kernel computes the
 * whole of channel c into `scratch` (out_h * out_w bytes) from the input, then stores it at
 * buf[p * C + c] for every output pixel p. Those bytes are input channel c of pixel p
 * (p < out_h * out_w <= in_h * in_w, the same channel stride C), which nothing reads any more:
 * channels < c are done and channels > c sit at other addresses. So one buffer of
 * max(input, output) bytes holds both, and the output is NHWC at its start, whatever the
 * stride or padding, as long as out_h * out_w <= in_h * in_w.
 * Arithmetic per output value is the same as ck_depthwise_conv_s8 (acc over valid taps in
 * (ky, kx) order, then CK_CONV_FINISH), so the bits are the same. */
#include "ck_conv_internal.h"

static void one_channel(const ck_conv_params *p, const int8_t *in, const int8_t *filter,
                        int32_t c, const int32_t *bias, const int32_t *multiplier,
                        const int32_t *shift, int8_t *tmp)
{
    const int32_t C = p->in_c, off = p->input_offset;
    const int8_t *x = in + c;            /* input channel c: element (y, x) at (y*W + x) * C */
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        int32_t ky0, ky1;
        ck_valid_taps(iy0, p->dilation_h, p->in_h, p->k_h, &ky0, &ky1);
        for (int32_t ox = 0; ox < p->out_w; ++ox) {
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            int32_t kx0, kx1;
            ck_valid_taps(ix0, p->dilation_w, p->in_w, p->k_w, &kx0, &kx1);
            int32_t acc = 0;
            for (int32_t ky = ky0; ky < ky1; ++ky) {
                const int32_t iy = iy0 + ky * p->dilation_h;
                const int8_t *row = x + iy * p->in_w * C;
                const int8_t *w = filter + ky * p->k_w * C + c;
                for (int32_t kx = kx0; kx < kx1; ++kx) {
                    const int32_t ix = ix0 + kx * p->dilation_w;
                    acc += w[kx * C] * (row[ix * C] + off);
                }
            }
            *tmp++ = CK_CONV_FINISH(p, acc, c, bias, multiplier, shift);
        }
    }
}

int32_t ck_depthwise_conv_s8_inplace_get_buffer_size(const ck_conv_params *p)
{
    if (!p || p->out_h < 1 || p->out_w < 1) {
        return CK_ARG_ERROR;
    }
    return p->out_h * p->out_w;
}

ck_status ck_depthwise_conv_s8_inplace(const ck_conv_params *p, int8_t *buf,
                                       const int8_t *filter, const int32_t *bias,
                                       const int32_t *multiplier, const int32_t *shift,
                                       void *scratch, int32_t scratch_bytes)
{
    const ck_status st = ck_conv_check_args(p, 1, buf, filter, multiplier, shift, buf);
    if (st != CK_OK) {
        return st;
    }
    const int32_t pixels = p->out_h * p->out_w;
    if (CK_DEPTHWISE_INPLACE_BAD(p, scratch, scratch_bytes, pixels)) {
        return CK_ARG_ERROR;
    }
    int8_t *tmp = (int8_t *)scratch;
    const int32_t C = p->out_c;
    for (int32_t c = 0; c < C; ++c) {
        one_channel(p, buf, filter, c, bias, multiplier, shift, tmp);
        int8_t *dst = buf + c;
        for (int32_t i = 0; i < pixels; ++i) {
            dst[i * C] = tmp[i];
        }
    }
    return CK_OK;
}
