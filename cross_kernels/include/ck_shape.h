/*
 * ck_shape.h - data-movement ops: RESHAPE / SQUEEZE (a copy), PAD and CONCATENATION, int8.
 *
 * Semantics: tflite-micro reshape.cc / squeeze.cc (bytes unchanged), reference_ops::Pad
 * (fill with the output zero point, or PADV2's constant), reference_ops::Concatenation (no
 * requantization). Python twin simulator/reference/shape_ops.py.
 */
#ifndef CK_SHAPE_H
#define CK_SHAPE_H

#include "ck_types.h"

/* Copy nbytes from src to dst (overlap allowed: memmove semantics; equal pointers are a
 * no-op). CK_ARG_ERROR on a NULL pointer with nbytes > 0. */
ck_status ck_copy(const void *src, void *dst, size_t nbytes);

typedef struct {
    int32_t in_dims[4];     /* input shape right-aligned to 4-D, each >= 1 */
    int32_t pad_before[4];  /* leading padding per dimension, >= 0 */
    int32_t pad_after[4];   /* trailing padding per dimension, >= 0 */
    int32_t pad_value;      /* fill value, [-128, 127] (output zero point for PAD) */
} ck_pad_s8_params;

/* in: int8 [in_dims]; out: int8 [in_dims + pad_before + pad_after], not aliasing in. */
ck_status ck_pad_s8(const ck_pad_s8_params *p, const int8_t *in, int8_t *out);

/*
 * Concatenation viewed as [outer, axis, inner]: outer = product of the dimensions before the
 * axis, inner = product after it. Input k is [outer, axis_sizes[k], inner]; the output is
 * [outer, sum(axis_sizes), inner].
 */
typedef struct {
    int32_t num_inputs;   /* [1, 10] (TFLM's limit) */
    int32_t outer_size;   /* >= 1 */
    int32_t inner_size;   /* >= 1 */
} ck_concat_s8_params;

/* inputs: num_inputs pointers; axis_sizes: num_inputs sizes, each >= 0; out must not alias
 * any input. CK_ARG_ERROR on NULL pointers or bad parameters. */
ck_status ck_concat_s8(const ck_concat_s8_params *p, const int8_t *const *inputs,
                       const int32_t *axis_sizes, int8_t *out);

#endif /* CK_SHAPE_H */
