/* Binary conv, packed binary output (see ck_binary.h). */
#include "ck_binary_internal.h"

ck_status ck_bconv2d_bin(const ck_bconv_params *p, const uint32_t *input,
                         const uint32_t *filter, const int32_t *threshold, uint32_t *output)
{
    if (!p || !input || !filter || !threshold || !output || ck_bconv_bad(p)) {
        return CK_ARG_ERROR;
    }
    for (int32_t n = 0; n < p->batches; ++n) {
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            for (int32_t ox = 0; ox < p->out_w; ++ox) {
                for (int32_t c0 = 0; c0 < p->out_c; c0 += CK_BINARY_WORD_BITS) {
                    const int32_t end = p->out_c - c0 < CK_BINARY_WORD_BITS ? p->out_c : c0 + CK_BINARY_WORD_BITS;
                    int32_t acc[CK_BINARY_WORD_BITS];
                    uint32_t word = 0;
                    ck_bconv_pixel(p, input, filter, n, oy, ox, c0, end, acc);
                    for (int32_t c = c0; c < end; ++c) {
                        word |= (uint32_t)(acc[c - c0] < threshold[c]) << (c - c0);
                    }
                    *output++ = word;
                }
            }
        }
    }
    return CK_OK;
}
