/* CONV_2D int8: the fastest variant this build supports (see ck_conv.h). */
#include "ck_conv.h"
#include "../common/ck_simd.h"

int32_t ck_conv_s8_wrapper_get_buffer_size(const ck_conv_params *p)
{
    return ck_conv_s8_dsp_get_buffer_size(p);
}

ck_status ck_conv_s8_wrapper(const ck_conv_params *p, const int8_t *input,
                             const int8_t *filter, const int32_t *bias,
                             const int32_t *multiplier, const int32_t *shift, int8_t *output,
                             void *scratch, int32_t scratch_bytes)
{
#if defined(CK_HAVE_DSP)
    return ck_conv_s8_dsp(p, input, filter, bias, multiplier, shift, output, scratch,
                          scratch_bytes);
#else
    (void)scratch;
    (void)scratch_bytes;
    return ck_conv_s8(p, input, filter, bias, multiplier, shift, output);
#endif
}
