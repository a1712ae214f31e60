/*
 * ck_reduce.h - int8 MEAN over a contiguous run of axes.
 *
 * The input is viewed as [outer, reduce, inner]: MEAN over H,W of NHWC is outer = N,
 * reduce = H * W, inner = C; over the last axis inner = 1. Semantics: TFLite
 * reference_ops::QuantizedMeanOrSum with the 1/count factor folded into the multiplier by
 * simulator/reference/reduce.py mean_params() (its Python twin):
 * out = clamp(requantize(sum - input_zp * reduce) + output_zp).
 * SUM runs this kernel with the unfolded multiplier of s_in / s_out (reduce.py sum_params):
 * tflite-micro's EvalSum is the same QuantizedMeanOrSum without the 1/count factor.
 */
#ifndef CK_REDUCE_H
#define CK_REDUCE_H

#include "ck_types.h"

typedef struct {
    int32_t outer, reduce, inner;   /* each >= 1; reduce * 255 must fit int32 (< 2^23) */
    int32_t input_zp, output_zp;    /* [-128, 127] */
    int32_t multiplier, shift;      /* folded (s_in / s_out) / reduce; shift in [-31, 30] */
} ck_mean_s8_params;

/* in: int8 [outer, reduce, inner]; out: int8 [outer, inner], not aliasing in. */
ck_status ck_mean_s8(const ck_mean_s8_params *p, const int8_t *in, int8_t *out);

#endif /* CK_REDUCE_H */
