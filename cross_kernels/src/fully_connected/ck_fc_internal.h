/* ck_fc_internal.h - helpers shared by the fully-connected kernels (not public API). */
#ifndef CK_FC_INTERNAL_H
#define CK_FC_INTERNAL_H

#include "ck_fully_connected.h"
#include "../common/ck_check.h"
#include "../common/ck_requant.h"

#define CK_FC_FINISH(p, acc, o, bias, mult, shift)                                          \
    ck_finish_s8((acc), (o), (bias), (mult), (shift), (p)->per_channel, (p)->output_offset,  \
                 (p)->act_min, (p)->act_max)

#endif /* CK_FC_INTERNAL_H */
