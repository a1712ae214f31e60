/* int8 -> packed sign bits (see ck_binary.h). */
#include "ck_binary.h"
#include "../common/ck_check.h"

ck_status ck_bpack_s8(int32_t pixels, int32_t channels, int32_t zero_point,
                      const int8_t *in, uint32_t *out)
{
    if (CK_BPACK_S8_BAD(in, out, pixels, channels, zero_point)) {
        return CK_ARG_ERROR;
    }
    for (int32_t p = 0; p < pixels; ++p) {
        for (int32_t c0 = 0; c0 < channels; c0 += CK_BINARY_WORD_BITS) {
            const int32_t n = channels - c0 < CK_BINARY_WORD_BITS ? channels - c0 : CK_BINARY_WORD_BITS;
            uint32_t word = 0;
            for (int32_t j = 0; j < n; ++j) {
                word |= (uint32_t)(in[c0 + j] < zero_point) << j;
            }
            *out++ = word;
        }
        in += channels;
    }
    return CK_OK;
}
