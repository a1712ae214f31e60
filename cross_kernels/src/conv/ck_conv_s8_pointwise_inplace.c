/* CONV_2D int8 1x1 stride 1 in place: the output overwrites the input row by row through a
 * one-row temporary, and each row is computed by ck_conv_s8_wrapper (the DSP kernel on
 * Armv7E-M), so the arithmetic, and the bits, are the wrapper's.
 *
 * Pixel p's output needs only pixel p's input. Output row r goes to buf[r * W * Co ...]:
 *  - Co <= Ci, rows in order: those bytes lie below the end of input row r, whose rows
 *    0..r are already consumed;
 *  - Co > Ci, rows in reverse: those bytes start at r * W * Co >= r * W * Ci, so they hold
 *    input rows >= r, all consumed (rows > r earlier, row r into the temporary).
 * buf needs max(input, output) bytes. scratch: W * Co bytes (rounded up to 4), then what
 * ck_conv_s8_wrapper_get_buffer_size asks for one row. */
#include "ck_conv.h"
#include "ck_shape.h"

static int32_t row_bytes(const ck_conv_params *p)
{
    return (p->out_w * p->out_c + 3) & ~3;
}

static ck_conv_params row_params(const ck_conv_params *p)
{
    ck_conv_params r = *p;
    r.batches = 1;
    r.in_h = 1;
    r.out_h = 1;
    return r;
}

int32_t ck_conv_s8_pointwise_inplace_get_buffer_size(const ck_conv_params *p)
{
    if (!p || p->out_w < 1 || p->out_c < 1) {
        return CK_ARG_ERROR;
    }
    const ck_conv_params r = row_params(p);
    const int32_t inner = ck_conv_s8_wrapper_get_buffer_size(&r);
    return inner < 0 ? inner : row_bytes(p) + inner;
}

ck_status ck_conv_s8_pointwise_inplace(const ck_conv_params *p, int8_t *buf,
                                       const int8_t *filter, const int32_t *bias,
                                       const int32_t *multiplier, const int32_t *shift,
                                       void *scratch, int32_t scratch_bytes)
{
    if (!p || !buf || !scratch || p->k_h != 1 || p->k_w != 1 || p->stride_h != 1 ||
        p->stride_w != 1 || p->pad_top != 0 || p->pad_left != 0 || p->in_h != p->out_h ||
        p->in_w != p->out_w || p->batches < 1) {
        return CK_ARG_ERROR;
    }
    const int32_t need = ck_conv_s8_pointwise_inplace_get_buffer_size(p);
    if (need < 0 || scratch_bytes < need) {
        return CK_ARG_ERROR;
    }
    const ck_conv_params r = row_params(p);
    int8_t *tmp = (int8_t *)scratch;
    int8_t *inner = tmp + row_bytes(p);
    const int32_t rows = p->batches * p->in_h, in_row = p->in_w * p->in_c;
    const int32_t out_row = p->out_w * p->out_c;
    const int reverse = p->out_c > p->in_c;
    for (int32_t i = 0; i < rows; ++i) {
        const int32_t y = reverse ? rows - 1 - i : i;
        const ck_status st = ck_conv_s8_wrapper(&r, buf + y * in_row, filter, bias, multiplier,
                                                shift, tmp, inner, need - row_bytes(p));
        if (st != CK_OK) {
            return st;
        }
        ck_copy(tmp, buf + y * out_row, (size_t)out_row);
    }
    return CK_OK;
}
