/* DEPTHWISE_CONV_2D int8: the fastest variant this build supports (see ck_conv.h). */
#include "ck_conv.h"
#include "../common/ck_simd.h"

ck_status ck_depthwise_conv_s8_wrapper(const ck_conv_params *p, const int8_t *input,
                                       const int8_t *filter, const int32_t *bias,
                                       const int32_t *multiplier, const int32_t *shift,
                                       int8_t *output)
{
#if defined(CK_HAVE_DSP)
    return ck_depthwise_conv_s8_dsp(p, input, filter, bias, multiplier, shift, output);
#else
    return ck_depthwise_conv_s8(p, input, filter, bias, multiplier, shift, output);
#endif
}
