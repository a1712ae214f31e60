/* Argument check shared by every conv-family variant (declared in common/ck_check.h):
 * CK_ARG_ERROR before anything is written. */
#include "ck_conv_internal.h"

/* static, not inline, as before the checks were gathered: GCC -O1 inlines an inline one and
 * the code changes */
static int ck_in(int32_t v, int32_t lo, int32_t hi) { return v >= lo && v <= hi; }

static int ck_size_ok(int32_t a, int32_t b, int32_t c, int32_t d)
{
    return (int64_t)a * b * c * d <= INT32_MAX;
}

ck_status ck_conv_check_args(const ck_conv_params *p, int depthwise, const int8_t *input,
                             const int8_t *filter, const int32_t *multiplier,
                             const int32_t *shift, const int8_t *output)
{
    if (!p || !input || !filter || !multiplier || !shift || !output) {
        return CK_ARG_ERROR;
    }
    const int32_t big = INT32_MAX;
    if (!ck_in(p->batches, 1, big) || !ck_in(p->in_h, 1, big) || !ck_in(p->in_w, 1, big) ||
        !ck_in(p->in_c, 1, big) || !ck_in(p->out_h, 1, big) || !ck_in(p->out_w, 1, big) ||
        !ck_in(p->out_c, 1, big) || !ck_in(p->k_h, 1, big) || !ck_in(p->k_w, 1, big) ||
        !ck_in(p->stride_h, 1, big) || !ck_in(p->stride_w, 1, big) ||
        !ck_in(p->dilation_h, 1, big) || !ck_in(p->dilation_w, 1, big) ||
        !ck_in(p->pad_top, 0, big) || !ck_in(p->pad_left, 0, big)) {
        return CK_ARG_ERROR;
    }
    if (!ck_in(p->input_offset, -127, 128) || !ck_in(p->output_offset, -128, 127) ||
        !ck_in(p->act_min, CK_S8_MIN, CK_S8_MAX) || !ck_in(p->act_max, p->act_min, CK_S8_MAX) ||
        !ck_in(p->per_channel, 0, 1)) {
        return CK_ARG_ERROR;
    }
    /* every index the kernels form must fit int32 */
    if (!ck_size_ok(p->batches, p->in_h, p->in_w, p->in_c) ||
        !ck_size_ok(p->batches, p->out_h, p->out_w, p->out_c) ||
        !ck_size_ok(p->out_c, p->k_h, p->k_w, p->in_c) ||
        (int64_t)(p->out_h - 1) * p->stride_h + (int64_t)(p->k_h - 1) * p->dilation_h > big ||
        (int64_t)(p->out_w - 1) * p->stride_w + (int64_t)(p->k_w - 1) * p->dilation_w > big) {
        return CK_ARG_ERROR;
    }
    if (depthwise) {
        if (p->depth_multiplier < 1 || (int64_t)p->in_c * p->depth_multiplier != p->out_c ||
            (int64_t)p->k_h * p->k_w > CK_CONV_MAX_TAPS) {
            return CK_ARG_ERROR;
        }
    } else if ((int64_t)p->k_h * p->k_w * p->in_c > CK_CONV_MAX_TAPS) {
        return CK_ARG_ERROR;
    }
    const int32_t n = p->per_channel ? p->out_c : 1;
    for (int32_t i = 0; i < n; ++i) {
        if (!ck_in(shift[i], CK_SHIFT_MIN, CK_SHIFT_MAX)) {
            return CK_ARG_ERROR;
        }
    }
    return CK_OK;
}
