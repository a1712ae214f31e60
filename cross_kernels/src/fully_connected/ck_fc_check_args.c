/* Argument check shared by the fully-connected variants (declared in common/ck_check.h):
 * CK_ARG_ERROR before any write. */
#include "ck_fc_internal.h"

ck_status ck_fc_check_args(const ck_fc_params *p, const int8_t *input, const int8_t *weights,
                           const int32_t *multiplier, const int32_t *shift,
                           const int8_t *output)
{
    if (!p || !input || !weights || !multiplier || !shift || !output) {
        return CK_ARG_ERROR;
    }
    if (p->batches < 1 || p->in_features < 1 || p->in_features > CK_FC_MAX_IN_FEATURES ||
        p->out_features < 1 || (int64_t)p->batches * p->in_features > INT32_MAX ||
        (int64_t)p->batches * p->out_features > INT32_MAX ||
        (int64_t)p->out_features * p->in_features > INT32_MAX) {
        return CK_ARG_ERROR;
    }
    if (p->input_offset < -127 || p->input_offset > 128 || p->output_offset < -128 ||
        p->output_offset > 127 || CK_ACT_S8_BAD(p->act_min, p->act_max) ||
        (p->per_channel != 0 && p->per_channel != 1)) {
        return CK_ARG_ERROR;
    }
    const int32_t n = p->per_channel ? p->out_features : 1;
    for (int32_t i = 0; i < n; ++i) {
        if (shift[i] < CK_SHIFT_MIN || shift[i] > CK_SHIFT_MAX) {
            return CK_ARG_ERROR;
        }
    }
    return CK_OK;
}
