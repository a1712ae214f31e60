/* RESIZE_NEAREST_NEIGHBOR, 8-bit elements: every output pixel a copy of the input pixel the
 * row and column maps name (see ck_shape.h). */
#include "ck_shape.h"
#include "../common/ck_check.h"

ck_status ck_resize_nearest_x8(const ck_resize_nearest_params *p, const int8_t *in,
                                const int32_t *y_map, const int32_t *x_map, int8_t *out)
{
    int32_t b, y, x, c;
    if (CK_RESIZE_NEAREST_BAD(p, in, y_map, x_map, out)) {
        return CK_ARG_ERROR;
    }
    for (y = 0; y < p->out_h; ++y) {
        if (y_map[y] < 0 || y_map[y] >= p->in_h) {
            return CK_ARG_ERROR;
        }
    }
    for (x = 0; x < p->out_w; ++x) {
        if (x_map[x] < 0 || x_map[x] >= p->in_w) {
            return CK_ARG_ERROR;
        }
    }
    for (b = 0; b < p->batches; ++b) {
        const size_t image_size = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->channels;
        const int8_t *image = in + (size_t)b * image_size;
        for (y = 0; y < p->out_h; ++y) {
            const int8_t *row = image + (size_t)y_map[y] * (size_t)p->in_w * (size_t)p->channels;
            for (x = 0; x < p->out_w; ++x) {
                const int8_t *src = row + (size_t)x_map[x] * (size_t)p->channels;
                for (c = 0; c < p->channels; ++c) {
                    *out++ = src[c];
                }
            }
        }
    }
    return CK_OK;
}
