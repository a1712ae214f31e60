/* CONV_2D / DEPTHWISE_CONV_2D int8 in place through a temporary of output rows.
 *
 * Output row y needs input rows [y*sh - pad_top, y*sh - pad_top + (k_h-1)*dh] (clipped to
 * the image). A band of output rows (enough for 16 pixels) is computed by the layer's own
 * fast kernel (the _wrapper: DSP on Armv7E-M) on the window of input rows it reads, with the
 * window's in_h and pad_top, into a temporary in scratch after the rows still pending there;
 * a pending row j goes back into buf at j * out_w * out_c once no later band reads the input
 * bytes there: (j + 1) * out_w * out_c <= lo * in_w * in_c, lo the first input row the next
 * band reads (all remaining rows are written after the last band).
 * The ring size that this order needs is computed by the lowering (simulator/lower/
 * emitters_inplace.py, ring_rows) and passed as scratch_bytes; too small a ring is
 * CK_ARG_ERROR before anything is written. Same bits as the whole-layer kernel: each value
 * is computed by that kernel from the same taps (the window only cuts rows no tap uses). */
#include "ck_conv.h"
#include "../common/ck_check.h"
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

/* output rows per kernel call: enough for 16 output pixels, so the per-call setup (argument
 * and requantization checks over every channel) is paid a few times per layer, not per row */
static int32_t band_rows(const ck_conv_params *p)
{
    return (16 + p->out_w - 1) / p->out_w;
}

/* input rows [*lo, *hi) that output rows [y, y + n) read */
static void band_window(const ck_conv_params *p, int32_t y, int32_t n, int32_t *lo,
                        int32_t *hi)
{
    const int32_t top = y * p->stride_h - p->pad_top;
    const int32_t end = (y + n - 1) * p->stride_h - p->pad_top + (p->k_h - 1) * p->dilation_h + 1;
    *lo = top < 0 ? 0 : top;
    *hi = end < p->in_h ? end : p->in_h;
}

/* rows the temporary holds at most in the order below; -1 if a band reads no input row */
static int32_t ring_need(const ck_conv_params *p)
{
    const int64_t in_row = (int64_t)p->in_w * p->in_c, out_row = (int64_t)p->out_w * p->out_c;
    const int32_t g = band_rows(p);
    int32_t next = 0, need = 0;
    for (int32_t y = 0; y < p->out_h; y += g) {
        const int32_t n = p->out_h - y < g ? p->out_h - y : g;
        int32_t lo, hi;
        band_window(p, y, n, &lo, &hi);
        if (hi <= lo) {
            return -1;
        }
        need = (y + n - next) > need ? (y + n - next) : need;
        const int64_t dead = y + n < p->out_h ? first_row(p, y + n) * in_row : INT64_MAX;
        while (next < y + n && (next + 1) * out_row <= dead) {
            ++next;
        }
    }
    return need;
}

static int32_t temp_bytes(const ck_conv_params *p, int32_t rows)
{
    return (rows * p->out_w * p->out_c + 3) & ~3;
}

static ck_status ring_inplace(const ck_conv_params *p, int8_t *buf, const int8_t *filter,
                              const int32_t *bias, const int32_t *multiplier,
                              const int32_t *shift, void *scratch, int32_t scratch_bytes,
                              int32_t inner_bytes, row_kernel kernel)
{
    if (CK_RING_INPLACE_BAD(p, buf, scratch, inner_bytes)) {
        return CK_ARG_ERROR;
    }
    const int32_t rows = ring_need(p);
    if (rows < 1 || (int64_t)temp_bytes(p, rows) + inner_bytes > scratch_bytes) {
        return CK_ARG_ERROR;
    }
    /* temp holds output rows [next, y) densely (the kernel writes a band of rows densely) */
    int8_t *temp = (int8_t *)scratch;
    int8_t *inner = temp + temp_bytes(p, rows);
    const int32_t in_row = p->in_w * p->in_c, out_row = p->out_w * p->out_c;
    const int32_t g = band_rows(p);
    ck_conv_params r = *p;
    int32_t next = 0;
    for (int32_t y = 0; y < p->out_h; y += g) {
        const int32_t n = p->out_h - y < g ? p->out_h - y : g;
        int32_t lo, hi;
        band_window(p, y, n, &lo, &hi);
        r.out_h = n;
        r.in_h = hi - lo;
        r.pad_top = lo - (y * p->stride_h - p->pad_top);
        const ck_status st = kernel(&r, buf + lo * in_row, filter, bias, multiplier, shift,
                                    temp + (y - next) * out_row, inner, inner_bytes);
        if (st != CK_OK) {
            return st;
        }
        const int64_t dead = y + n < p->out_h ? (int64_t)first_row(p, y + n) * in_row
                                              : INT64_MAX;
        int32_t done = next;
        while (done < y + n && (int64_t)(done + 1) * out_row <= dead) {
            ++done;
        }
        if (done > next) {
            ck_copy(temp, buf + next * out_row, (size_t)((done - next) * out_row));
            ck_copy(temp + (done - next) * out_row, temp, (size_t)((y + n - done) * out_row));
            next = done;
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
    return temp_bytes(p, rows) + inner;
}

int32_t ck_depthwise_conv_s8_ring_inplace_get_buffer_size(const ck_conv_params *p)
{
    if (!p) {
        return CK_ARG_ERROR;
    }
    const int32_t rows = ring_need(p);
    return rows < 1 ? CK_ARG_ERROR : temp_bytes(p, rows);
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
