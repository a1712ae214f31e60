/* int8 MAXIMUM with broadcasting (see ck_elementwise.h): the larger raw value, as tflite-micro's
 * maximum_minimum.cc computes it (no requantization: one quantization for inputs and output). */
#include "ck_elementwise.h"
#include "../common/ck_check.h"
#include "ck_elementwise_internal.h"

static void maximum_row(const void *ctx, const int8_t *a, int32_t sa, const int8_t *b, int32_t sb,
                        int8_t *out, int32_t n)
{
    int32_t i;
    (void)ctx;
    for (i = 0; i < n; ++i) {
        const int8_t x = a[(size_t)i * sa], y = b[(size_t)i * sb];
        out[i] = x > y ? x : y;
    }
}

ck_status ck_maximum_s8(const ck_broadcast4 *s, const int8_t *in1, const int8_t *in2, int8_t *out)
{
    ck_ew_nest nest;
    if (CK_MINMAX_BAD(s, in1, in2, out)) {
        return CK_ARG_ERROR;
    }
    ck_ew_collapse(s->out_dims, s->in1_strides, s->in2_strides, &nest);
    ck_ew_for_rows(&nest, in1, in2, out, maximum_row, 0);
    return CK_OK;
}
