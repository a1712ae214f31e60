/* int8 MEAN (see ck_reduce.h). */
#include "ck_reduce.h"
#include "../common/ck_check.h"
#include "ck_quant.h"

ck_status ck_mean_s8(const ck_mean_s8_params *p, const int8_t *in, int8_t *out)
{
    int32_t o, r, i;
    if (CK_MEAN_S8_BAD(p, in, out)) {
        return CK_ARG_ERROR;
    }
    for (o = 0; o < p->outer; ++o) {
        const int8_t *base = in + (size_t)o * p->reduce * p->inner;
        for (i = 0; i < p->inner; ++i) {
            int32_t sum = 0;
            for (r = 0; r < p->reduce; ++r) {
                sum += base[(size_t)r * p->inner + i];
            }
            sum -= p->input_zp * p->reduce;
            out[(size_t)o * p->inner + i] =
                ck_offset_clamp_s8(ck_requantize(sum, p->multiplier, p->shift), p->output_zp,
                                   -128, 127);
        }
    }
    return CK_OK;
}
