/* ck_fc_internal.h - helpers shared by the fully-connected kernels (not public API). */
#ifndef CK_FC_INTERNAL_H
#define CK_FC_INTERNAL_H

#include "../conv/ck_conv_internal.h"
#include "ck_fully_connected.h"

ck_status ck_fc_check_args(const ck_fc_params *p, const int8_t *input, const int8_t *weights,
                           const int32_t *multiplier, const int32_t *shift,
                           const int8_t *output);

#define CK_FC_FINISH(p, acc, o, bias, mult, shift)                                          \
    ck_finish_s8((acc), (o), (bias), (mult), (shift), (p)->per_channel, (p)->output_offset,  \
                 (p)->act_min, (p)->act_max)

#endif /* CK_FC_INTERNAL_H */
