/*
 * ck_elementwise.h - int8 ADD, SUB, MUL, SQUARED_DIFFERENCE, PRELU, MAXIMUM and MINIMUM with
 * 4-D broadcasting, float32 SUB, PRELU, MAXIMUM and MINIMUM with the same geometry, and int8
 * RELU / RELU6.
 *
 * Semantics: TFLite reference_integer_ops::Add / Mul (and their BroadcastAdd/Mul variants)
 * with the parameters of tflite-micro's add_common.cc / mul_common.cc, and
 * activations_common.cc for RELU / RELU6, prelu_common.cc + reference_ops::BroadcastPrelu4DSlow
 * for PRELU, maximum_minimum.cc for MAXIMUM / MINIMUM, sub_common.cc for SUB,
 * squared_difference.cc for SQUARED_DIFFERENCE. Python twin
 * simulator/reference/elementwise.py (float32: float_ops.py).
 */
#ifndef CK_ELEMENTWISE_H
#define CK_ELEMENTWISE_H

#include "ck_types.h"

/*
 * Broadcast geometry: both inputs right-aligned to 4-D [d0, d1, d2, d3]; element
 * (i0, i1, i2, i3) of the output reads input k at sum(i_j * in<k>_strides[j]), with stride 0
 * along a broadcast (size-1) dimension. Same-shape inputs: out_dims = shape, strides
 * row-major for both.
 */
typedef struct {
    int32_t out_dims[4];      /* output shape, each >= 1 */
    int32_t in1_strides[4];   /* element strides of input 1, each >= 0 */
    int32_t in2_strides[4];   /* element strides of input 2, each >= 0 */
} ck_broadcast4;

typedef struct {
    int32_t input1_zp, input2_zp, output_zp;   /* zero points, [-128, 127] */
    int32_t left_shift;                        /* 20 for int8 (TFLite) , [0, 23] */
    int32_t input1_multiplier, input1_shift;   /* s1 / (2 max(s1, s2)), shift <= 0 */
    int32_t input2_multiplier, input2_shift;   /* s2 / (2 max(s1, s2)), shift <= 0 */
    int32_t output_multiplier, output_shift;   /* 2 max(s1, s2) / (2^left_shift s_out) */
    int32_t act_min, act_max;                  /* -128 <= act_min <= act_max <= 127 */
} ck_add_s8_params;

typedef struct {
    int32_t input1_zp, input2_zp, output_zp;   /* zero points, [-128, 127] */
    int32_t output_multiplier, output_shift;   /* s1 s2 / s_out, shift in [-31, 30] */
    int32_t act_min, act_max;                  /* -128 <= act_min <= act_max <= 127 */
} ck_mul_s8_params;

/* out = requantized (in1 + in2) / (in1 * in2), int8 [out_dims]; out may alias an input only
 * when that input is not broadcast. CK_ARG_ERROR on NULL pointers or bad parameters. */
ck_status ck_add_s8(const ck_add_s8_params *p, const ck_broadcast4 *shape, const int8_t *in1,
                    const int8_t *in2, int8_t *out);
/* SUB: ADD's parameters (tflite-micro sub_common.cc computes them as add_common.cc does),
 * out = requantized (in1 - in2). */
ck_status ck_sub_s8(const ck_add_s8_params *p, const ck_broadcast4 *shape, const int8_t *in1,
                    const int8_t *in2, int8_t *out);
/* SQUARED_DIFFERENCE (tflite-micro squared_difference.cc): ADD's struct with left_shift 7 and
 * output multiplier (2 max(s1, s2))^2 / (2^14 s_out), output_shift in [-31, 30];
 * d = v1 - v2 (the requantized inputs), out = requantize(d * d) + output_zp, clamped. */
ck_status ck_squared_difference_s8(const ck_add_s8_params *p, const ck_broadcast4 *shape,
                                   const int8_t *in1, const int8_t *in2, int8_t *out);
ck_status ck_mul_s8(const ck_mul_s8_params *p, const ck_broadcast4 *shape, const int8_t *in1,
                    const int8_t *in2, int8_t *out);

/*
 * PRELU: d = in - input_zp; out = clamp(zp_out + (d >= 0 ? requantize(d, identity)
 *                                              : requantize(d (alpha - alpha_zp), alpha))),
 * in [-128, 127]. alpha broadcasts against the input (shape->in2_strides), e.g. per channel.
 */
typedef struct {
    int32_t input_zp, alpha_zp, output_zp;           /* zero points, [-128, 127] */
    int32_t identity_multiplier, identity_shift;     /* s_in / s_out, shift in [-31, 31] */
    int32_t alpha_multiplier, alpha_shift;           /* s_in s_alpha / s_out, in [-31, 31] */
} ck_prelu_s8_params;

/* in: shape->in1_strides, alpha: shape->in2_strides, out: int8 [out_dims] (may alias in when
 * in is not broadcast). CK_ARG_ERROR on NULL pointers or bad parameters. */
ck_status ck_prelu_s8(const ck_prelu_s8_params *p, const ck_broadcast4 *shape,
                      const int8_t *in, const int8_t *alpha, int8_t *out);

/* MAXIMUM / MINIMUM: out = max(in1, in2) / min(in1, in2) on the raw int8 values (inputs and
 * output share one quantization), int8 [out_dims]. CK_ARG_ERROR on NULL pointers or a bad
 * shape. */
ck_status ck_maximum_s8(const ck_broadcast4 *shape, const int8_t *in1, const int8_t *in2,
                        int8_t *out);
ck_status ck_minimum_s8(const ck_broadcast4 *shape, const int8_t *in1, const int8_t *in2,
                        int8_t *out);

/* float32 MAXIMUM / MINIMUM: out = in1 > in2 ? in1 : in2 / in1 < in2 ? in1 : in2 (TFLM's
 * comparison: a NaN in in2 propagates, one in in1 does not), float [out_dims]. */
ck_status ck_maximum_f32(const ck_broadcast4 *shape, const float *in1, const float *in2,
                         float *out);
ck_status ck_minimum_f32(const ck_broadcast4 *shape, const float *in1, const float *in2,
                         float *out);
/* float32 PRELU: out = in >= 0 ? in : in * alpha, alpha broadcast as input 2. */
ck_status ck_prelu_f32(const ck_broadcast4 *shape, const float *in, const float *alpha,
                       float *out);

/* float32 SUB: out = act(in1 - in2), activation a CK_ACT_* code (ck_float.h's clamps). */
ck_status ck_sub_f32(const ck_broadcast4 *shape, int32_t activation, const float *in1,
                     const float *in2, float *out);

/*
 * RELU: out = clamp(requantize(in - input_zp) + output_zp, act_min, act_max).
 * RELU6 uses the same kernel with the identity multiplier (1 << 30, shift 1), zero points 0
 * and the clamp [zp_in, round(6 / s_in) + zp_in] (TFLM's Relu6 does not requantize).
 */
typedef struct {
    int32_t size;                 /* number of elements, >= 0 */
    int32_t input_zp, output_zp;  /* [-128, 127] */
    int32_t multiplier, shift;    /* s_in / s_out, shift in [-31, 30] */
    int32_t act_min, act_max;     /* -128 <= act_min <= act_max <= 127 */
} ck_relu_s8_params;

/* in, out: int8 [size] (may alias). CK_ARG_ERROR on NULL pointers or bad parameters. */
ck_status ck_relu_s8(const ck_relu_s8_params *p, const int8_t *in, int8_t *out);

#endif /* CK_ELEMENTWISE_H */
