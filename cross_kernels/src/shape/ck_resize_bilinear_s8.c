/* RESIZE_BILINEAR int8 in TFLite's integer arithmetic (reference_ops::ResizeBilinearInteger;
 * see ck_shape.h). |dy|, |dx| < 1024 + 512 (half-pixel positions before the first row make dy
 * negative), so each product is below 128 * 1536 * 1536 and the sum below 128 * 2048^2 = 2^29:
 * int32 holds what TFLite computes in int64. */
#include "ck_shape.h"
#include "../common/ck_check.h"

/* source position in 1/1024 units and its two taps, as ComputeInterpolationValuesInteger */
static void taps(int32_t out_index, int32_t scale_10, int32_t half_pixel_centers,
                 int32_t in_size, int32_t *pos, int32_t *lo, int32_t *hi)
{
    int32_t v = out_index * scale_10;
    if (half_pixel_centers) {
        v += scale_10 / 2 - (1 << 9);
    }
    *pos = v;
    *lo = v / (1 << 10) > 0 ? v / (1 << 10) : 0;
    *hi = (v + (1 << 10) - 1) / (1 << 10) < in_size - 1 ? (v + (1 << 10) - 1) / (1 << 10)
                                                        : in_size - 1;
}

ck_status ck_resize_bilinear_s8(const ck_resize_bilinear_s8_params *p, const int8_t *in,
                                int8_t *out)
{
    int32_t b, y, x, c;
    const int32_t row = p ? p->in_w * p->channels : 0;
    if (CK_RESIZE_BILINEAR_S8_BAD(p, in, out)) {
        return CK_ARG_ERROR;
    }
    for (b = 0; b < p->batches; ++b) {
        const int8_t *image = in + (size_t)b * (size_t)p->in_h * (size_t)row;
        for (y = 0; y < p->out_h; ++y) {
            int32_t py, y0, y1;
            taps(y, p->height_scale_10, p->half_pixel_centers, p->in_h, &py, &y0, &y1);
            const int32_t dy = py - (1 << 10) * y0;
            const int8_t *r0 = image + (size_t)y0 * (size_t)row;
            const int8_t *r1 = image + (size_t)y1 * (size_t)row;
            for (x = 0; x < p->out_w; ++x) {
                int32_t px, x0, x1;
                taps(x, p->width_scale_10, p->half_pixel_centers, p->in_w, &px, &x0, &x1);
                const int32_t dx = px - (1 << 10) * x0;
                const int8_t *a = r0 + x0 * p->channels, *bb = r1 + x0 * p->channels;
                const int8_t *cc = r0 + x1 * p->channels, *d = r1 + x1 * p->channels;
                for (c = 0; c < p->channels; ++c) {
                    const int32_t sum = a[c] * ((1 << 10) - dy) * ((1 << 10) - dx)
                                        + bb[c] * dy * ((1 << 10) - dx)
                                        + cc[c] * ((1 << 10) - dy) * dx + d[c] * dy * dx;
                    const int32_t round = sum > 0 ? (1 << 19) : -(1 << 19);
                    *out++ = (int8_t)((sum + round) / (1 << 20));
                }
            }
        }
    }
    return CK_OK;
}
