/*
 * ck_pooling.h - int8 AVERAGE_POOL_2D and MAX_POOL_2D, NHWC.
 *
 * Semantics: TFLite reference_integer_ops::AveragePool / MaxPool; Python twin
 * simulator/reference/pooling.py. Windows are cut to the image (padding is not counted);
 * the average rounds half away from zero; zero points are not used (input and output share
 * quantization); the result is clamped to [act_min, act_max].
 */
#ifndef CK_POOLING_H
#define CK_POOLING_H

#include "ck_types.h"

typedef struct {
    int32_t batches, in_h, in_w, channels;  /* input [batches, in_h, in_w, channels], each >= 1 */
    int32_t out_h, out_w;                   /* output [batches, out_h, out_w, channels], >= 1 */
    int32_t filter_h, filter_w;             /* window, >= 1 */
    int32_t stride_h, stride_w;             /* >= 1 */
    int32_t pad_top, pad_left;              /* leading padding (SAME/VALID resolved), >= 0 */
    int32_t act_min, act_max;               /* -128 <= act_min <= act_max <= 127 */
} ck_pool_s8_params;

/*
 * in: int8 [batches, in_h, in_w, channels]; out: int8 [batches, out_h, out_w, channels],
 * not aliasing in. Returns CK_ARG_ERROR on NULL pointers, parameters outside the ranges
 * above, or a window lying entirely in the padding.
 */
ck_status ck_avgpool_s8(const ck_pool_s8_params *p, const int8_t *in, int8_t *out);
ck_status ck_maxpool_s8(const ck_pool_s8_params *p, const int8_t *in, int8_t *out);

#endif /* CK_POOLING_H */
