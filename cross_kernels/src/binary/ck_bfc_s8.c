/* Binary fully connected, int8 output (see ck_binary.h). */
#include "ck_binary_internal.h"
#include "ck_quant.h"

ck_status ck_bfc_s8(const ck_bfc_params *p, const uint32_t *input, const uint32_t *weights,
                    const int32_t *bias, const int32_t *multiplier, const int32_t *shift,
                    int8_t *output)
{
    if (!p || !input || !weights || !multiplier || !shift || !output || ck_bfc_bad(p)
        || ck_bin_epilogue_bad(p->output_offset, p->act_min, p->act_max)) {
        return CK_ARG_ERROR;
    }
    for (int32_t o = 0; o < p->out_features; ++o) {
        if (shift[o] < -31 || shift[o] > 31) {
            return CK_ARG_ERROR;
        }
    }
    for (int32_t b = 0; b < p->batches; ++b) {
        const uint32_t *x = input + (size_t)b * p->in_words;
        for (int32_t o = 0; o < p->out_features; ++o) {
            int32_t acc = ck_bfc_acc(p, x, weights + (size_t)o * p->in_words);
            if (bias) {
                acc = (int32_t)((uint32_t)acc + (uint32_t)bias[o]);
            }
            acc = ck_requantize(acc, multiplier[o], shift[o]) + p->output_offset;
            *output++ = ck_clamp_s8(acc, p->act_min, p->act_max);
        }
    }
    return CK_OK;
}
