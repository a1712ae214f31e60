/* float32 RESIZE_BILINEAR in TFLite's reference order (see ck_float.h). */
#include "ck_float.h"
#include "../common/ck_check.h"

/* source position and its two taps, as TFLite's ComputeInterpolationValues */
static float taps(int32_t out_index, float scale, int32_t half_pixel_centers, int32_t in_size,
                  int32_t *lo, int32_t *hi)
{
    const float v = half_pixel_centers ? ((float)out_index + 0.5f) * scale - 0.5f
                                       : (float)out_index * scale;
    const int32_t t = (int32_t)v;               /* toward zero; |v| < in_size + 1 */
    const int32_t f = t - (v < (float)t), c = t + (v > (float)t);   /* floor, ceil */
    *lo = f < 0 ? 0 : (f > in_size - 1 ? in_size - 1 : f);
    *hi = c < in_size - 1 ? c : in_size - 1;
    return v;
}

ck_status ck_resize_bilinear_f32(const ck_resize_bilinear_f32_params *p, const float *input,
                                 float *output)
{
    if (CK_RESIZE_BILINEAR_F32_BAD(p, input, output)) {
        return CK_ARG_ERROR;
    }
    const int32_t row = p->in_w * p->channels;
    float *out = output;
    for (int32_t b = 0; b < p->batches; ++b) {
        const float *image = input + (size_t)b * (size_t)p->in_h * (size_t)row;
        for (int32_t y = 0; y < p->out_h; ++y) {
            int32_t y0, y1;
            const float fy = taps(y, p->height_scale, p->half_pixel_centers, p->in_h, &y0, &y1);
            const float dy = fy - (float)y0;
            const float *r0 = image + (size_t)y0 * (size_t)row;
            const float *r1 = image + (size_t)y1 * (size_t)row;
            for (int32_t x = 0; x < p->out_w; ++x) {
                int32_t x0, x1;
                const float fx = taps(x, p->width_scale, p->half_pixel_centers, p->in_w, &x0, &x1);
                const float dx = fx - (float)x0;
                const float *v00 = r0 + x0 * p->channels, *v10 = r1 + x0 * p->channels;
                const float *v01 = r0 + x1 * p->channels, *v11 = r1 + x1 * p->channels;
                for (int32_t c = 0; c < p->channels; ++c) {
                    *out++ = v00[c] * (1.0f - dy) * (1.0f - dx) + v10[c] * dy * (1.0f - dx)
                             + v01[c] * (1.0f - dy) * dx + v11[c] * dy * dx;
                }
            }
        }
    }
    return CK_OK;
}
