/* FULLY_CONNECTED int8: the fastest variant this build supports (see ck_fully_connected.h). */
#include "ck_fully_connected.h"
#include "../common/ck_simd.h"

ck_status ck_fully_connected_s8_wrapper(const ck_fc_params *p, const int8_t *input,
                                        const int8_t *weights, const int32_t *bias,
                                        const int32_t *multiplier, const int32_t *shift,
                                        int8_t *output)
{
#if defined(CK_HAVE_DSP)
    return ck_fully_connected_s8_dsp(p, input, weights, bias, multiplier, shift, output);
#else
    return ck_fully_connected_s8(p, input, weights, bias, multiplier, shift, output);
#endif
}
