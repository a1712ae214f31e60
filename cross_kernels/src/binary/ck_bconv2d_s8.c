/* Binary conv, int8 output (see ck_binary.h). */
#include "ck_binary_internal.h"
#include "ck_quant.h"

ck_status ck_bconv2d_s8(const ck_bconv_params *p, const uint32_t *input,
                        const uint32_t *filter, const int32_t *bias, const int32_t *multiplier,
                        const int32_t *shift, int8_t *output)
{
    if (!p || !input || !filter || !multiplier || !shift || !output || ck_bconv_bad(p)
        || ck_bin_epilogue_bad(p->output_offset, p->act_min, p->act_max)) {
        return CK_ARG_ERROR;
    }
    for (int32_t c = 0; c < p->out_c; ++c) {
        if (shift[c] < -31 || shift[c] > 31) {
            return CK_ARG_ERROR;
        }
    }
    for (int32_t n = 0; n < p->batches; ++n) {
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            for (int32_t ox = 0; ox < p->out_w; ++ox) {
                for (int32_t c0 = 0; c0 < p->out_c; c0 += CK_BINARY_WORD_BITS) {
                    const int32_t end = p->out_c - c0 < CK_BINARY_WORD_BITS ? p->out_c : c0 + CK_BINARY_WORD_BITS;
                    int32_t acc[CK_BINARY_WORD_BITS];
                    ck_bconv_pixel(p, input, filter, n, oy, ox, c0, end, acc);
                    for (int32_t c = c0; c < end; ++c) {
                        int32_t v = acc[c - c0];
                        if (bias) {
                            v = (int32_t)((uint32_t)v + (uint32_t)bias[c]);
                        }
                        v = ck_requantize(v, multiplier[c], shift[c]) + p->output_offset;
                        *output++ = ck_clamp_s8(v, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
    return CK_OK;
}
