/*
 * ck_shape.h - data-movement ops: RESHAPE / SQUEEZE (a copy), PAD and CONCATENATION, int8;
 * TRANSPOSE / STRIDED_SLICE (a strided copy), GATHER and RESIZE_*, by element size.
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

/* ---- TRANSPOSE, STRIDED_SLICE, GATHER, RESIZE_*: bytes moved by index (h-opshape) -------- */
/* The _x8 kernels move 1-byte elements (int8), the _x32 kernels 4-byte ones (float32): the same
 * bytes, no arithmetic, so one kernel per element size serves every dtype of that size. */

/*
 * A strided view of the input copied out densely (TRANSPOSE: the input's strides permuted;
 * STRIDED_SLICE: begin as offset, strides times steps, which may be negative). Output element
 * [i0..i5] (row-major over out_dims) = in[offset + sum_k i_k * in_strides[k]]. Dimensions are
 * right-aligned to 6-D (leading 1s). Every index read must lie in [0, in_size).
 */
typedef struct {
    int32_t in_size;                          /* elements of the input, >= 1 */
    int32_t offset;                           /* element index of output [0, ..., 0] */
    int32_t out_dims[6];                      /* each >= 1 */
    int32_t in_strides[6];                    /* input elements per step of output axis k */
} ck_strided_copy_params;

/* out must not alias in. CK_ARG_ERROR (nothing written) on NULL pointers, a dimension < 1
 * or a read outside the input. */
ck_status ck_strided_copy_x8(const ck_strided_copy_params *p, const int8_t *in, int8_t *out);
ck_status ck_strided_copy_x32(const ck_strided_copy_params *p, const int32_t *in,
                              int32_t *out);

/*
 * GATHER along one axis with constant indices, the input viewed as [outer, axis_size, inner]:
 * out[o, k, i] = in[o, indices[k], i], the output [outer, num_indices, inner].
 */
typedef struct {
    int32_t outer;        /* >= 1 */
    int32_t axis_size;    /* >= 1 */
    int32_t inner;        /* >= 1 */
    int32_t num_indices;  /* >= 0 */
} ck_gather_params;

/* indices: num_indices values, each in [0, axis_size) (TFLM's gather.cc refuses others);
 * out must not alias in. */
ck_status ck_gather_x8(const ck_gather_params *p, const int8_t *in, const int32_t *indices,
                       int8_t *out);
ck_status ck_gather_x32(const ck_gather_params *p, const int32_t *in, const int32_t *indices,
                        int32_t *out);

/* NHWC geometry of RESIZE_NEAREST_NEIGHBOR. */
typedef struct {
    int32_t batches, in_h, in_w, channels;    /* each >= 1 */
    int32_t out_h, out_w;                     /* each >= 1 */
} ck_resize_nearest_params;

/*
 * RESIZE_NEAREST_NEIGHBOR: out[b, y, x, :] = in[b, y_map[y], x_map[x], :]. The maps (out_h
 * and out_w source rows/columns, each in range) are computed by the lowering exactly as
 * tflite-micro's GetNearestNeighbor does (reference/resize.py): they depend only on the
 * sizes and the align_corners / half_pixel_centers options.
 */
ck_status ck_resize_nearest_x8(const ck_resize_nearest_params *p, const int8_t *in,
                               const int32_t *y_map, const int32_t *x_map, int8_t *out);
ck_status ck_resize_nearest_x32(const ck_resize_nearest_params *p, const int32_t *in,
                                const int32_t *y_map, const int32_t *x_map, int32_t *out);

/*
 * RESIZE_BILINEAR int8, TFLite's integer arithmetic (reference_ops::ResizeBilinearInteger):
 * positions in 1/1024 units, source y = y * height_scale_10 (+ height_scale_10 / 2 - 512
 * with half_pixel_centers), y0 = max(y / 1024, 0) (C division), y1 = min(ceil, in_h - 1);
 * the four taps weighted by (1024 - dy)(1024 - dx) ... summed (|sum| < 2^30: int32), then
 * (sum +- 2^19) / 2^20 truncated toward zero. No requantization (output quant = input's).
 */
typedef struct {
    int32_t batches, in_h, in_w, channels;    /* each >= 1 */
    int32_t out_h, out_w;                     /* each >= 1 */
    int32_t height_scale_10;      /* round(1024 * in_h / out_h) as TFLite computes it, >= 0 */
    int32_t width_scale_10;       /* likewise for widths */
    int32_t half_pixel_centers;   /* 0 or 1 */
} ck_resize_bilinear_s8_params;

ck_status ck_resize_bilinear_s8(const ck_resize_bilinear_s8_params *p, const int8_t *in,
                                int8_t *out);

#endif /* CK_SHAPE_H */
