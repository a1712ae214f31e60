/* CONV_2D / DEPTHWISE_CONV_2D int8 in place through a ring of output rows.
 *
 * Output row y needs input rows [y*sh - pad_top, y*sh - pad_top + (k_h-1)*dh] (clipped to
 * the image). Each output row is computed by the layer's own fast kernel (the _wrapper: DSP
 * on Armv7E-M) on that window of rows, with the window's in_h and pad_top, into a ring of
 * `ring_rows` output rows in scratch; it then goes back into buf at y * out_w * out_c once no
 * later output row reads the input bytes there: row j may be written when
 * (j + 1) * out_w * out_c <= lo(y + 1) * in_w * in_c, lo(y + 1) the first input row the next
 * output row reads (all remaining rows are written after the last output row).
 * The ring size that this order needs is computed by the lowering (simulator/lower/
 * emitters_inplace.py, ring_rows) and passed as scratch_bytes; too small a ring is
 * CK_ARG_ERROR before anything is written. Same bits as the whole-layer kernel: each value
 * is computed by that kernel from the same taps (the window only cuts rows no tap uses). */
#include "ck_conv.h"
#include "ck_shape.h"

typedef ck_status (*row_kernel)(const ck_conv_params *p, const int8_t *in, const int8_t *filter,
                                const int32_t *bias, const int32_t *multiplier,
                                const int32_t *shift, int8_t *out, void *scratch,
                                int32_t scratch_bytes);

static ck_status dw_row(const ck_conv_params *p, const int8_t *in, const int8_t *filter,
                        const int32_t *bias, const int32_t *multiplier, const int32_t *shift,
                        int8_t *out, void *scratch, int32_t scratch_bytes)
{
    (void)scratch;
    (void)scratch_bytes;
    return ck_depthwise_conv_s8_wrapper(p, in, filter, bias, multiplier, shift, out);
}

static int32_t first_row(const ck_conv_params *p, int32_t y)
{
    const int32_t lo = y * p->stride_h - p->pad_top;
    return lo < 0 ? 0 : lo;
}

/* the number of ring rows the order above needs; -1 if some output row reads no input row */
static int32_t ring_need(const ck_conv_params *p)
{
    const int64_t in_row = (int64_t)p->in_w * p->in_c, out_row = (int64_t)p->out_w * p->out_c;
    int32_t next = 0, need = 0;
    for (int32_t y = 0; y < p->out_h; ++y) {
        const int32_t lo = y * p->stride_h - p->pad_top;
        const int32_t hi = lo + (p->k_h - 1) * p->dilation_h + 1;
        if ((hi < p->in_h ? hi : p->in_h) <= (lo < 0 ? 0 : lo)) {
            return -1;
        }
        need = (y - next + 1) > need ? (y - next + 1) : need;
        const int64_t dead = y + 1 < p->out_h ? first_row(p, y + 1) * in_row : INT64_MAX;
        while (next <= y && (next + 1) * out_row <= dead) {
            ++next;
        }
    }
    return need;
}

static ck_status ring_inplace(const ck_conv_params *p, int8_t *buf, const int8_t *filter,
                              const int32_t *bias, const int32_t *multiplier,
                              const int32_t *shift, void *scratch, int32_t scratch_bytes,
                              int32_t inner_bytes, row_kernel kernel)
{
    if (!p || !buf || !scratch || p->batches != 1 || p->out_h < 1 || p->out_w < 1 ||
        p->out_c < 1 || p->k_h < 1 || p->stride_h < 1 || p->dilation_h < 1 ||
        p->pad_top < 0 || inner_bytes < 0) {
        return CK_ARG_ERROR;
    }
    const int32_t rows = ring_need(p);
    const int32_t row_bytes = (p->out_w * p->out_c + 3) & ~3;
    if (rows < 1 || (int64_t)rows * row_bytes + inner_bytes > scratch_bytes) {
        return CK_ARG_ERROR;
    }
    int8_t *ring = (int8_t *)scratch;
    int8_t *inner = ring + rows * row_bytes;
    const int32_t in_row = p->in_w * p->in_c, out_row = p->out_w * p->out_c;
    ck_conv_params r = *p;
    r.out_h = 1;
    int32_t next = 0;
    for (int32_t y = 0; y < p->out_h; ++y) {
        const int32_t top = y * p->stride_h - p->pad_top;
        const int32_t lo = top < 0 ? 0 : top;
        const int32_t hi_raw = top + (p->k_h - 1) * p->dilation_h + 1;
        r.in_h = (hi_raw < p->in_h ? hi_raw : p->in_h) - lo;
        r.pad_top = lo - top;
        const ck_status st = kernel(&r, buf + lo * in_row, filter, bias, multiplier, shift,
                                    ring + (y % rows) * row_bytes, inner, inner_bytes);
        if (st != CK_OK) {
            return st;
        }
        const int64_t dead = y + 1 < p->out_h ? (int64_t)first_row(p, y + 1) * in_row
                                              : INT64_MAX;
        while (next <= y && (int64_t)(next + 1) * out_row <= dead) {
            ck_copy(ring + (next % rows) * row_bytes, buf + next * out_row, (size_t)out_row);
            ++next;
        }
    }
    return CK_OK;
}

int32_t ck_conv_s8_ring_inplace_get_buffer_size(const ck_conv_params *p)
{
    if (!p) {
        return CK_ARG_ERROR;
    }
    ck_conv_params r = *p;
    r.out_h = 1;
    const int32_t rows = ring_need(p), inner = ck_conv_s8_wrapper_get_buffer_size(&r);
    if (rows < 1 || inner < 0) {
        return CK_ARG_ERROR;
    }
    return rows * ((p->out_w * p->out_c + 3) & ~3) + inner;
}

int32_t ck_depthwise_conv_s8_ring_inplace_get_buffer_size(const ck_conv_params *p)
{
    if (!p) {
        return CK_ARG_ERROR;
    }
    const int32_t rows = ring_need(p);
    return rows < 1 ? CK_ARG_ERROR : rows * ((p->out_w * p->out_c + 3) & ~3);
}

ck_status ck_conv_s8_ring_inplace(const ck_conv_params *p, int8_t *buf, const int8_t *filter,
                                  const int32_t *bias, const int32_t *multiplier,
                                  const int32_t *shift, void *scratch, int32_t scratch_bytes)
{
    if (!p) {
        return CK_ARG_ERROR;
    }
    ck_conv_params r = *p;
    r.out_h = 1;
    return ring_inplace(p, buf, filter, bias, multiplier, shift, scratch, scratch_bytes,
                        ck_conv_s8_wrapper_get_buffer_size(&r), ck_conv_s8_wrapper);
}

ck_status ck_depthwise_conv_s8_ring_inplace(const ck_conv_params *p, int8_t *buf,
                                            const int8_t *filter, const int32_t *bias,
                                            const int32_t *multiplier, const int32_t *shift,
                                            void *scratch, int32_t scratch_bytes)
{
    return ring_inplace(p, buf, filter, bias, multiplier, shift, scratch, scratch_bytes, 0,
                        dw_row);
}
