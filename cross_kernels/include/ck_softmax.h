/*
 * ck_softmax.h - int8 SOFTMAX over the last axis, TFLite's integer algorithm.
 *
 * Semantics: TFLite reference_ops::Softmax (int8 in, int8 out) with the parameters of
 * tflite-micro's softmax_common.cc; Python twin simulator/reference/softmax.py.
 */
#ifndef CK_SOFTMAX_H
#define CK_SOFTMAX_H

#include "ck_types.h"

typedef struct {
    int32_t rows;             /* product of all but the last dimension, >= 0 */
    int32_t depth;            /* last dimension, [1, 4095] (the Q12.19 sum must not overflow) */
    int32_t input_multiplier; /* Q31 of min(beta * input_scale * 2^26, 2^31 - 1), > 0 */
    int32_t input_left_shift; /* its exponent, [0, 31] */
    int32_t diff_min;         /* -CalculateInputRadius(5, input_left_shift), <= 0 */
} ck_softmax_s8_params;

/*
 * in: [rows, depth] int8 (input quantization folded into the parameters).
 * out: [rows, depth] int8, scale 1/256, zero point -128. out must not alias in.
 * Returns CK_ARG_ERROR on NULL pointers or parameters outside the ranges above, and for a
 * row whose sum of exponentials reaches 512 (e.g. 512 entries tied at the maximum),
 * where TFLite's own kernel aborts on TFLITE_CHECK; rows before it are written.
 */
ck_status ck_softmax_s8(const ck_softmax_s8_params *p, const int8_t *in, int8_t *out);

#endif /* CK_SOFTMAX_H */
