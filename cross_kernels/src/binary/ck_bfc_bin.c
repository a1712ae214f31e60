/* Binary fully connected, packed binary output (see ck_binary.h). */
#include "ck_binary_internal.h"

ck_status ck_bfc_bin(const ck_bfc_params *p, const uint32_t *input, const uint32_t *weights,
                     const int32_t *threshold, uint32_t *output)
{
    if (!p || !input || !weights || !threshold || !output || ck_bfc_bad(p)) {
        return CK_ARG_ERROR;
    }
    for (int32_t b = 0; b < p->batches; ++b) {
        const uint32_t *x = input + (size_t)b * p->in_words;
        for (int32_t o0 = 0; o0 < p->out_features; o0 += CK_BINARY_WORD_BITS) {
            const int32_t end = p->out_features - o0 < CK_BINARY_WORD_BITS ? p->out_features : o0 + CK_BINARY_WORD_BITS;
            uint32_t word = 0;
            for (int32_t o = o0; o < end; ++o) {
                const int32_t acc = ck_bfc_acc(p, x, weights + (size_t)o * p->in_words);
                word |= (uint32_t)(acc < threshold[o]) << (o - o0);
            }
            *output++ = word;
        }
    }
    return CK_OK;
}
