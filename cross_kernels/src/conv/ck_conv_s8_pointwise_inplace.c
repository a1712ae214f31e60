/* CONV_2D int8 1x1 stride 1 in place: the output overwrites the input a chunk of pixels at a
 * time through a one-chunk temporary, and each chunk is computed by ck_conv_s8_wrapper (the DSP
 * kernel on Armv7E-M), so the arithmetic, and the bits, are the wrapper's.
 *
 * Pixel p's output needs only pixel p's input, so the tensor is a flat list of pixels, cut
 * into chunks of CK_PW_CHUNK(out_w) pixels (out_w rounded up to even, at least 8: the DSP
 * kernel computes pixels in pairs, and an odd chunk would leave one pixel to its slower
 * single-pixel path every time). Output chunk k goes to buf[k * chunk * Co ...]:
 *  - Co <= Ci, chunks in order: those bytes lie below the end of input chunk k, whose
 *    chunks 0..k are already consumed;
 *  - Co > Ci, chunks in reverse: those bytes start at k * chunk * Co >= k * chunk * Ci, so
 *    they hold input chunks >= k, all consumed (later ones before, chunk k into the temporary).
 * buf needs max(input, output) bytes. scratch: chunk * Co bytes (rounded up to 4), then what
 * ck_conv_s8_wrapper_get_buffer_size asks for one chunk. */
#include "ck_conv.h"
#include "../common/ck_check.h"
#include "ck_shape.h"

static int32_t chunk_pixels(const ck_conv_params *p)
{
    const int32_t c = ((p->out_w + 1) & ~1) < 8 ? 8 : ((p->out_w + 1) & ~1);
    const int64_t pixels = (int64_t)p->batches * p->out_h * p->out_w;
    return pixels < c ? (int32_t)pixels : c;
}

static int32_t chunk_bytes(const ck_conv_params *p)
{
    return (chunk_pixels(p) * p->out_c + 3) & ~3;
}

static ck_conv_params chunk_params(const ck_conv_params *p, int32_t pixels)
{
    ck_conv_params r = *p;
    r.batches = 1;
    r.in_h = 1;
    r.out_h = 1;
    r.in_w = pixels;
    r.out_w = pixels;
    return r;
}

int32_t ck_conv_s8_pointwise_inplace_get_buffer_size(const ck_conv_params *p)
{
    if (!p || p->out_w < 1 || p->out_h < 1 || p->batches < 1 || p->out_c < 1) {
        return CK_ARG_ERROR;
    }
    const ck_conv_params r = chunk_params(p, chunk_pixels(p));
    const int32_t inner = ck_conv_s8_wrapper_get_buffer_size(&r);
    return inner < 0 ? inner : chunk_bytes(p) + inner;
}

ck_status ck_conv_s8_pointwise_inplace(const ck_conv_params *p, int8_t *buf,
                                       const int8_t *filter, const int32_t *bias,
                                       const int32_t *multiplier, const int32_t *shift,
                                       void *scratch, int32_t scratch_bytes)
{
    if (CK_CONV_POINTWISE_INPLACE_BAD(p, buf, scratch)) {
        return CK_ARG_ERROR;
    }
    const int32_t need = ck_conv_s8_pointwise_inplace_get_buffer_size(p);
    if (need < 0 || scratch_bytes < need) {
        return CK_ARG_ERROR;
    }
    const int32_t chunk = chunk_pixels(p), pixels = p->batches * p->out_h * p->out_w;
    const int32_t chunks = (pixels + chunk - 1) / chunk;
    int8_t *tmp = (int8_t *)scratch;
    int8_t *inner = tmp + chunk_bytes(p);
    const int reverse = p->out_c > p->in_c;
    for (int32_t i = 0; i < chunks; ++i) {
        const int32_t k = reverse ? chunks - 1 - i : i;
        const int32_t n = (k + 1) * chunk <= pixels ? chunk : pixels - k * chunk;
        const ck_conv_params r = chunk_params(p, n);
        const ck_status st = ck_conv_s8_wrapper(&r, buf + k * chunk * p->in_c, filter, bias,
                                                multiplier, shift, tmp, inner,
                                                need - chunk_bytes(p));
        if (st != CK_OK) {
            return st;
        }
        ck_copy(tmp, buf + k * chunk * p->out_c, (size_t)(n * p->out_c));
    }
    return CK_OK;
}
