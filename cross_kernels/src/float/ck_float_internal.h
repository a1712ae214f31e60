/* Argument checks shared by the float32 kernels. */
#ifndef CK_FLOAT_INTERNAL_H
#define CK_FLOAT_INTERNAL_H

#include "ck_float.h"

static inline int ck_conv_f32_bad(const ck_conv_f32_params *p)
{
    return p->batches < 1 || p->in_h < 1 || p->in_w < 1 || p->in_c < 1 || p->out_h < 1
        || p->out_w < 1 || p->out_c < 1 || p->k_h < 1 || p->k_w < 1 || p->stride_h < 1
        || p->stride_w < 1 || p->dilation_h < 1 || p->dilation_w < 1 || p->pad_top < 0
        || p->pad_left < 0 || ck_activation_bad(p->activation);
}

static inline int ck_pool_f32_bad(const ck_pool_f32_params *p)
{
    return p->batches < 1 || p->in_h < 1 || p->in_w < 1 || p->channels < 1 || p->out_h < 1
        || p->out_w < 1 || p->filter_h < 1 || p->filter_w < 1 || p->stride_h < 1
        || p->stride_w < 1 || p->pad_top < 0 || p->pad_left < 0
        || ck_activation_bad(p->activation);
}

#endif /* CK_FLOAT_INTERNAL_H */
