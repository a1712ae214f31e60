/*
 * ck_float.h - the float32 path: conv, depthwise conv, fully connected, pools, add, mul
 * (same shape or broadcast), relu, softmax, logistic, tanh, leaky relu, hard swish, mean, sum,
 * pad, concatenation, resize bilinear, in IEEE single precision, bit-identical to
 * simulator/reference/float_ops.py (sub, prelu, maximum and minimum take ck_elementwise.h's
 * broadcast geometry and are declared there).
 *
 * Bit-exactness comes from a fixed operation order, mirrored by the NumPy reference:
 *   conv:      acc = bias[oc] (or +0.0f); for ky, kx (taps inside the image only), for ci:
 *              acc = acc + in * filter;   then the activation
 *   depthwise: acc = bias[oc]; for ky, kx inside the image: acc = acc + in[oc / dm] * filter
 *   FC:        acc = bias[o];  for i = 0 .. in-1: acc = acc + in[i] * w[o, i]
 *   maxpool:   m = -inf; for valid taps: if (v > m) m = v
 *   avgpool:   s = 0; for valid taps: s = s + v; out = s / (float)count
 *   softmax:   m = running max (v > m); e_i = ck_expf((x_i - m) * beta); s = s + e_i; e_i / s
 *   logistic:  e = ck_expf(-x); y = 1 / (1 + e)
 *   tanh:      a = x < 0 ? -x : x; t = ck_expf(-2 * a); y = (1 - t) / (1 + t); x < 0 ? -y : y
 *              (so tanh(-0) = +0; absolute error < 1e-6, relative error grows as |x| -> 0)
 *   mean:      s = 0; for r = 0 .. reduce-1: s = s + v; out = s / (float)reduce
 *   add/mul broadcast: out[o, i] = act(a[o, i] op b[i]); same shapes are outer = 1
 *   pad, concatenation: copies, no arithmetic
 *   activation: RELU v < 0 ? 0 : v; RELU6 and RELU_N1_TO_1 also clamp the top (v > hi ? hi : v)
 * and from never fusing a multiply into an add: every file including this header is compiled
 * with floating-point contraction off (the pragma below), so no VFMA is emitted even when
 * the compiler's default would allow it. Denormals are kept (Cortex-M FPSCR.FZ = 0 at reset).
 *
 * ck_expf: x = n * ln2 + r with n = x * log2(e) rounded half away from zero, r by a two-part
 * (Cody-Waite) ln2 whose high part has 12 significant bits so n * LN2_HI is exact; exp(r) by
 * the degree-6 Taylor polynomial in Horner form (|r| <= ln2/2: truncation error < 2e-7
 * relative); times 2^n assembled in the exponent field. x < -87 gives 0, x > 88 gives +inf.
 * Measured against double-precision exp over [-87, 0]: < 4 ulp (tests/kernels/test_softmax_f32.py).
 *
 * Layouts as the int8 kernels: activations [N, H, W, C], conv filters [out_c, k_h, k_w, in_c],
 * depthwise [1, k_h, k_w, out_c], FC weights [out, in]. Buffers caller-owned, 4-byte aligned.
 * Every function returns CK_OK or CK_ARG_ERROR (nothing written). For Cortex-M4F / M7
 * (hardware single precision); on cores without an FPU it runs in software float.
 */
#ifndef CK_FLOAT_H
#define CK_FLOAT_H

#include <stdint.h>

#include "ck_types.h"

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/* Only int32_t fields: identical layout on host and target, fillable from an int32 array. */
typedef struct {
    int32_t batches;                 /* >= 1 */
    int32_t in_h, in_w, in_c;        /* >= 1 */
    int32_t out_h, out_w, out_c;     /* >= 1; depthwise: out_c == in_c * depth_multiplier */
    int32_t k_h, k_w;                /* >= 1 */
    int32_t stride_h, stride_w;      /* >= 1 */
    int32_t dilation_h, dilation_w;  /* >= 1 */
    int32_t pad_top, pad_left;       /* >= 0, as reference.padding.compute_padding gives */
    int32_t depth_multiplier;        /* depthwise only, >= 1; ignored by conv */
    int32_t activation;              /* CK_ACT_* (ck_types.h) */
} ck_conv_f32_params;

typedef struct {
    int32_t in_dims[4];     /* input [d0, d1, d2, d3], each >= 1 (lower ranks: leading 1s) */
    int32_t pad_before[4];  /* leading padding per dimension, >= 0 */
    int32_t pad_after[4];   /* trailing padding per dimension, >= 0 */
} ck_pad_f32_params;

/* Concatenation viewed as [outer, axis, inner], as ck_concat_s8 (ck_shape.h). */
typedef struct {
    int32_t num_inputs;     /* [1, 10] */
    int32_t outer_size;     /* >= 1: product of the dimensions before the axis */
    int32_t inner_size;     /* >= 1: product of the dimensions after it */
} ck_concat_f32_params;

typedef struct {
    int32_t batches, in_features, out_features;   /* >= 1 */
    int32_t activation;                           /* CK_ACT_* */
} ck_fc_f32_params;

typedef struct {
    int32_t batches;                 /* >= 1 */
    int32_t in_h, in_w, channels;    /* >= 1 */
    int32_t out_h, out_w;            /* >= 1 */
    int32_t filter_h, filter_w;      /* >= 1 */
    int32_t stride_h, stride_w;      /* >= 1 */
    int32_t pad_top, pad_left;       /* >= 0 */
    int32_t activation;              /* CK_ACT_* (ck_types.h) */
} ck_pool_f32_params;

/* in [batches, in_h, in_w, in_c], filter [out_c, k_h, k_w, in_c], bias [out_c] or NULL,
 * out [batches, out_h, out_w, out_c] */
ck_status ck_conv_f32(const ck_conv_f32_params *params, const float *input, const float *filter,
                      const float *bias, float *output);
/* filter [1, k_h, k_w, out_c] */
ck_status ck_depthwise_conv_f32(const ck_conv_f32_params *params, const float *input,
                                const float *filter, const float *bias, float *output);
/* in [batches, in_features], weights [out_features, in_features], bias [out_features] or NULL */
ck_status ck_fully_connected_f32(const ck_fc_f32_params *params, const float *input,
                                 const float *weights, const float *bias, float *output);
ck_status ck_maxpool_f32(const ck_pool_f32_params *params, const float *input, float *output);
ck_status ck_avgpool_f32(const ck_pool_f32_params *params, const float *input, float *output);
/* a [outer, inner], b [inner] repeated outer times, out [outer, inner] (may alias a).
 * [1, H, W, C] op [1, 1, 1, C] is outer = H*W, inner = C; same shapes are outer = 1; a scalar
 * b is inner = 1. Both operations are commutative in IEEE arithmetic, so the caller passes
 * the broadcast operand as b whichever side it came from. */
ck_status ck_add_f32_bcast(int32_t outer, int32_t inner, int32_t activation, const float *a,
                           const float *b, float *out);
ck_status ck_mul_f32_bcast(int32_t outer, int32_t inner, int32_t activation, const float *a,
                           const float *b, float *out);
/* size elements: 1 / (1 + ck_expf(-x)); x -> -inf gives +0, x -> +inf gives 1 */
ck_status ck_logistic_f32(int32_t size, const float *input, float *output);
/* size elements: tanh through ck_expf (formula above); |x| > 44 gives +-1 exactly */
ck_status ck_tanh_f32(int32_t size, const float *input, float *output);
/* size elements: x > 0 ? x : x * alpha (TFLM's reference LeakyRelu; alpha the op's option) */
ck_status ck_leaky_relu_f32(int32_t size, float alpha, const float *input, float *output);
/* size elements: t = x + 3; t = 0 < t ? t : 0; t = t < 6 ? t : 6; y = x * t / 6 (TFLM's
 * reference HardSwish, in that order) */
ck_status ck_hard_swish_f32(int32_t size, const float *input, float *output);
/* in [outer, reduce, inner] -> out [outer, inner]: the mean over the middle axis. MEAN over
 * H, W of [N, H, W, C] is outer = N, reduce = H*W, inner = C. */
ck_status ck_mean_f32(int32_t outer, int32_t reduce, int32_t inner, const float *input,
                      float *output);
/* SUM: the same view and order (s = +0.0, then s = s + x over the middle axis, as TFLM's
 * reference Reduce adds), without the division. */
ck_status ck_sum_f32(int32_t outer, int32_t reduce, int32_t inner, const float *input,
                     float *output);
/* in [in_dims] -> out [in_dims + pad_before + pad_after] filled with pad_value outside;
 * out must not alias in */
ck_status ck_pad_f32(const ck_pad_f32_params *params, float pad_value, const float *input,
                     float *output);
/* inputs: num_inputs pointers, input k [outer, axis_sizes[k], inner]; out [outer, sum, inner],
 * not aliasing any input */
ck_status ck_concat_f32(const ck_concat_f32_params *params, const float *const *inputs,
                        const int32_t *axis_sizes, float *output);
/* standalone RELU (activation CK_ACT_RELU) / RELU6 (CK_ACT_RELU6) */
ck_status ck_relu_f32(int32_t size, int32_t activation, const float *input, float *output);
/* rows x depth, over the last axis; beta > 0 */
ck_status ck_softmax_f32(int32_t rows, int32_t depth, float beta, const float *input,
                         float *output);

/*
 * RESIZE_BILINEAR float32 as TFLite's reference_ops::ResizeBilinear: scale = in / out
 * (align_corners and out > 1: (in - 1) / (out - 1)), source y = y * scale (half_pixel_centers:
 * (y + 0.5f) * scale - 0.5f), y0 = max((int)floor(y), 0), y1 = min((int)ceil(y), in - 1)
 * (y0 also kept below in, where float rounding could reach it: TFLite would read past);
 * out = v00 * (1 - (y - y0)) * (1 - (x - x0)) + v10 * (y - y0) * (1 - (x - x0))
 *     + v01 * (1 - (y - y0)) * (x - x0) + v11 * (y - y0) * (x - x0), left to right.
 */
typedef struct {
    int32_t batches, in_h, in_w, channels;    /* each >= 1 */
    int32_t out_h, out_w;                     /* each >= 1 */
    float height_scale, width_scale;          /* >= 0, as above */
    int32_t half_pixel_centers;               /* 0 or 1 */
} ck_resize_bilinear_f32_params;

ck_status ck_resize_bilinear_f32(const ck_resize_bilinear_f32_params *params, const float *input,
                                 float *output);

static inline float ck_activation_f32(float v, int32_t activation)
{
    if (activation == CK_ACT_NONE) {
        return v;
    }
    const float lo = activation == CK_ACT_RELU_N1_TO_1 ? -1.0f : 0.0f;
    v = v < lo ? lo : v;
    if (activation == CK_ACT_RELU6) {
        v = v > 6.0f ? 6.0f : v;
    } else if (activation == CK_ACT_RELU_N1_TO_1) {
        v = v > 1.0f ? 1.0f : v;
    }
    return v;
}

static inline float ck_expf(float x)
{
    union { uint32_t u; float f; } two_n;
    if (x != x) {
        return x;
    }
    if (x < -87.0f) {
        return 0.0f;
    }
    if (x > 88.0f) {
        return __builtin_inff();
    }
    const float t = x * 0x1.715476p+0f;
    const int32_t n = (int32_t)(t + (t >= 0.0f ? 0.5f : -0.5f));
    const float fn = (float)n;
    float r = x - fn * 0x1.62e400p-1f;
    r = r - fn * 0x1.7f7d1cp-20f;
    float p = 0x1.6c16c2p-10f;
    p = p * r + 0x1.111112p-7f;
    p = p * r + 0x1.555556p-5f;
    p = p * r + 0x1.555556p-3f;
    p = p * r + 0x1.000000p-1f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    two_n.u = (uint32_t)(n + 127) << 23;
    return p * two_n.f;
}

#endif /* CK_FLOAT_H */
