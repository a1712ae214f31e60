/*
 * ck_check.h - the argument check of every kernel (not public API), in one place.
 *
 * A kernel runs its check first and returns CK_ARG_ERROR, before writing anything, when the
 * check rejects. Names say so: ck_conv_check_args(), ck_fc_check_args(), ck_pool_s8_check()
 * and ck_broadcast4_check() return a ck_status; every other check is a predicate,
 * CK_<KERNEL>_BAD(...) or ck_<params>_bad(), true when the arguments are wrong. The ranges are
 * ck_types.h's (int8 values and activation ranges, requantization shifts, fused activation
 * codes). The conv and fully-connected checks
 * are out of line (ck_conv_check_args.c, ck_fc_check_args.c) because several variants share
 * them; the in-place conv variants add their own shape conditions (batch 1, 1x1, ...) before
 * calling into a checked kernel.
 *
 * A family's section is compiled when that family's public header has been included before
 * this one, so a kernel sees only its own family's checks (and no int8 file picks up
 * ck_float.h's floating-point pragma).
 *
 * Why macros: each check keeps the exact expression (order of comparisons, no extra
 * grouping, inline function or not) its kernel had before the checks were gathered here.
 * clang and GCC compile a regrouped || chain or a newly inlined call into different code
 * (measured), and with these forms every kernel's object code is byte-identical to before for
 * Cortex-M0+/M4/M7 under both compilers, so no cycle count moved.
 */
#ifndef CK_CHECK_H
#define CK_CHECK_H

#include <stdint.h>

#include "ck_types.h"

/* ---- predicates ------------------------------------------------------------------------ */

/* not CK_S8_MIN <= act_min <= act_max <= CK_S8_MAX */
#define CK_ACT_S8_BAD(act_min, act_max)                                                      \
    ((act_min) < CK_S8_MIN || (act_max) > CK_S8_MAX || (act_min) > (act_max))

/* not a fused activation code (CK_ACT_*) */
static inline int ck_act_code_bad(int32_t activation)
{
    return activation < CK_ACT_NONE || activation > CK_ACT_RELU_N1_TO_1;
}

/* CONCATENATION, int8 and float32 (ck_shape.h, ck_float.h: the same params fields). Each
 * input, non-NULL with axis size >= 0, is checked by the kernel's first loop. */
#define CK_CONCAT_BAD(p, inputs, axis_sizes, out)                                             \
    (!(p) || !(inputs) || !(axis_sizes) || !(out) || (p)->num_inputs < 1                     \
     || (p)->num_inputs > 10 || (p)->outer_size < 1 || (p)->inner_size < 1)

/* ---- CONV_2D / DEPTHWISE_CONV_2D (ck_conv.h) --------------------------------------------- */
#ifdef CK_CONV_H
/* geometry, offsets, activation range, per-channel shifts in [CK_SHIFT_MIN, CK_SHIFT_MAX];
 * depthwise: out_c == in_c * depth_multiplier. */
ck_status ck_conv_check_args(const ck_conv_params *p, int depthwise, const int8_t *input,
                             const int8_t *filter, const int32_t *multiplier,
                             const int32_t *shift, const int8_t *output);

/* The in-place variants' shape conditions; the wrapper each one calls runs the full check. */
/* 1x1, stride 1, no padding, same spatial size */
#define CK_CONV_POINTWISE_INPLACE_BAD(p, buf, scratch)                                        \
    (!(p) || !(buf) || !(scratch) || (p)->k_h != 1 || (p)->k_w != 1 || (p)->stride_h != 1 ||  \
     (p)->stride_w != 1 || (p)->pad_top != 0 || (p)->pad_left != 0 ||                         \
     (p)->in_h != (p)->out_h || (p)->in_w != (p)->out_w || (p)->batches < 1)

/* batch 1; the band's inner scratch need (inner_bytes) known */
#define CK_RING_INPLACE_BAD(p, buf, scratch, inner_bytes)                                     \
    (!(p) || !(buf) || !(scratch) || (p)->batches != 1 || (p)->out_h < 1 || (p)->out_w < 1 || \
     (p)->out_c < 1 || (p)->k_h < 1 || (p)->stride_h < 1 || (p)->dilation_h < 1 ||           \
     (p)->pad_top < 0 || (inner_bytes) < 0)

/* after ck_conv_check_args: batch 1, multiplier 1, a one-channel temporary, output no larger
 * than the input */
#define CK_DEPTHWISE_INPLACE_BAD(p, scratch, scratch_bytes, pixels)                           \
    ((p)->batches != 1 || (p)->depth_multiplier != 1 || !(scratch) ||                         \
     (scratch_bytes) < (pixels) || (int64_t)(pixels) > (int64_t)(p)->in_h * (p)->in_w)
#endif

/* ---- FULLY_CONNECTED (ck_fully_connected.h) --------------------------------------------- */
#ifdef CK_FULLY_CONNECTED_H
ck_status ck_fc_check_args(const ck_fc_params *p, const int8_t *input, const int8_t *weights,
                           const int32_t *multiplier, const int32_t *shift,
                           const int8_t *output);
#endif

/* ---- AVERAGE_POOL_2D / MAX_POOL_2D int8 (ck_pooling.h) ---------------------------------- */
#ifdef CK_POOLING_H
static inline ck_status ck_pool_s8_check(const ck_pool_s8_params *p, const int8_t *in,
                                         const int8_t *out)
{
    if (!p || !in || !out) {
        return CK_ARG_ERROR;
    }
    if (p->batches < 1 || p->in_h < 1 || p->in_w < 1 || p->channels < 1 || p->out_h < 1
        || p->out_w < 1 || p->filter_h < 1 || p->filter_w < 1 || p->stride_h < 1
        || p->stride_w < 1 || p->pad_top < 0 || p->pad_left < 0
        || CK_ACT_S8_BAD(p->act_min, p->act_max)) {
        return CK_ARG_ERROR;
    }
    /* Every window must touch the image (TFLite returns an error otherwise). */
    if ((p->out_h - 1) * p->stride_h - p->pad_top >= p->in_h || p->filter_h <= p->pad_top
        || (p->out_w - 1) * p->stride_w - p->pad_left >= p->in_w
        || p->filter_w <= p->pad_left) {
        return CK_ARG_ERROR;
    }
    return CK_OK;
}
#endif

/* ---- ADD / MUL / PRELU / MAXIMUM / MINIMUM / RELU int8 (ck_elementwise.h) ------------- */
#ifdef CK_ELEMENTWISE_H
static inline ck_status ck_broadcast4_check(const ck_broadcast4 *s)
{
    int i;
    if (!s) {
        return CK_ARG_ERROR;
    }
    for (i = 0; i < 4; ++i) {
        if (s->out_dims[i] < 1 || s->in1_strides[i] < 0 || s->in2_strides[i] < 0) {
            return CK_ARG_ERROR;
        }
    }
    return CK_OK;
}

/* ADD, SUB, SQUARED_DIFFERENCE (left_shift 7: |d| < 2^15, so d * d fits) */
#define CK_ADD_S8_BAD(p, s, in1, in2, out)                                                    \
    (!(p) || !(in1) || !(in2) || !(out) || ck_broadcast4_check(s) != CK_OK                    \
     || (p)->left_shift < 0 || (p)->left_shift > 23 || (p)->input1_shift > 0                 \
     || (p)->input1_shift < -31 || (p)->input2_shift > 0 || (p)->input2_shift < -31          \
     || (p)->output_shift > 30 || (p)->output_shift < -31 || (p)->act_min < CK_S8_MIN        \
     || (p)->act_max > CK_S8_MAX || (p)->act_min > (p)->act_max)

#define CK_MUL_S8_BAD(p, s, in1, in2, out)                                                    \
    (!(p) || !(in1) || !(in2) || !(out) || ck_broadcast4_check(s) != CK_OK                    \
     || (p)->output_shift > 30 || (p)->output_shift < -31 || (p)->act_min < CK_S8_MIN        \
     || (p)->act_max > CK_S8_MAX || (p)->act_min > (p)->act_max)

/* PRELU: both shifts within ck_requantize's range, zero points int8 */
#define CK_PRELU_S8_BAD(p, s, in, alpha, out)                                                 \
    (!(p) || !(in) || !(alpha) || !(out) || ck_broadcast4_check(s) != CK_OK                  \
     || (p)->identity_shift < -31 || (p)->identity_shift > 31 || (p)->alpha_shift < -31      \
     || (p)->alpha_shift > 31 || (p)->input_zp < CK_S8_MIN || (p)->input_zp > CK_S8_MAX     \
     || (p)->alpha_zp < CK_S8_MIN || (p)->alpha_zp > CK_S8_MAX)

/* MAXIMUM / MINIMUM, int8 and float32; float32 SUB's and PRELU's pointers and shape */
#define CK_MINMAX_BAD(s, in1, in2, out)                                                    \
    (!(in1) || !(in2) || !(out) || ck_broadcast4_check(s) != CK_OK)

#define CK_RELU_S8_BAD(p, in, out)                                                            \
    (!(p) || !(in) || !(out) || (p)->size < 0 || (p)->shift > 30 || (p)->shift < -31          \
     || (p)->act_min < CK_S8_MIN || (p)->act_max > CK_S8_MAX || (p)->act_min > (p)->act_max)
#endif

/* ---- LOGISTIC / TANH int8 (ck_activations.h) -------------------------------------------- */
#ifdef CK_ACTIVATIONS_H
#define CK_SIGMOID_S8_BAD(p, in, out)                                                         \
    (!(p) || !(in) || !(out) || (p)->size < 0 || (p)->input_range_radius < 0                  \
     || (p)->input_left_shift < CK_SHIFT_MIN || (p)->input_left_shift > CK_SHIFT_MAX)

/* LEAKY_RELU: both multipliers non-negative, both shifts within ck_requantize's range */
#define CK_LEAKY_RELU_S8_BAD(p, in, out)                                                      \
    (!(p) || !(in) || !(out) || (p)->size < 0 || (p)->identity_multiplier < 0                 \
     || (p)->alpha_multiplier < 0 || (p)->identity_shift < -31 || (p)->identity_shift > 31    \
     || (p)->alpha_shift < -31 || (p)->alpha_shift > 31)

/* HARD_SWISH: 16-bit multipliers, the exponents TFLM's Prepare can produce */
#define CK_HARD_SWISH_S8_BAD(p, in, out)                                                      \
    (!(p) || !(in) || !(out) || (p)->size < 0 || (p)->reluish_multiplier < 0                  \
     || (p)->reluish_multiplier > 32767 || (p)->output_multiplier < 0                         \
     || (p)->output_multiplier > 32767 || (p)->reluish_exponent < -31                         \
     || (p)->reluish_exponent > 31 || (p)->output_exponent < -31 || (p)->output_exponent > 0  \
     || (p)->input_zp < CK_S8_MIN || (p)->input_zp > CK_S8_MAX)
#endif

/* ---- SOFTMAX int8 (ck_softmax.h) ------------------------------------------------------- */
#ifdef CK_SOFTMAX_H
/* (a row whose sum of exponentials reaches 512 is rejected while it is computed) */
#define CK_SOFTMAX_S8_BAD(p, in, out)                                                         \
    (!(p) || !(in) || !(out) || (p)->rows < 0 || (p)->depth < 1 || (p)->depth > 4095          \
     || (p)->input_multiplier <= 0 || (p)->input_left_shift < 0 || (p)->input_left_shift > 31 \
     || (p)->diff_min > 0)
#endif

/* ---- MEAN int8 (ck_reduce.h) ------------------------------------------------------------ */
#ifdef CK_REDUCE_H
#define CK_MEAN_S8_BAD(p, in, out)                                                            \
    (!(p) || !(in) || !(out) || (p)->outer < 1 || (p)->reduce < 1 || (p)->reduce >= (1 << 23) \
     || (p)->inner < 1 || (p)->shift > 30 || (p)->shift < -31)
#endif

/* ---- PAD int8, TRANSPOSE, STRIDED_SLICE, GATHER, RESIZE_* (ck_shape.h; CONCATENATION is
 * CK_CONCAT_BAD above) ---------------------------------------------------------------------- */
#ifdef CK_SHAPE_H
/* (each dimension, >= 1 with padding >= 0, is checked by the kernel's first loop) */
#define CK_PAD_S8_BAD(p, in, out)                                                             \
    (!(p) || !(in) || !(out) || (p)->pad_value < CK_S8_MIN || (p)->pad_value > CK_S8_MAX)

/* TRANSPOSE / STRIDED_SLICE: every dimension >= 1 and every index read, from the smallest
 * (offset plus each negative stride's full run) to the largest, inside [0, in_size). */
static inline int ck_strided_copy_bad(const ck_strided_copy_params *p, const void *in,
                                      const void *out)
{
    int64_t lo, hi;
    int k;
    if (!p || !in || !out || p->in_size < 1) {
        return 1;
    }
    lo = hi = p->offset;
    for (k = 0; k < 6; ++k) {
        const int64_t run = (int64_t)(p->out_dims[k] - 1) * p->in_strides[k];
        if (p->out_dims[k] < 1) {
            return 1;
        }
        if (run < 0) {
            lo += run;
        } else {
            hi += run;
        }
    }
    return lo < 0 || hi >= p->in_size;
}

/* GATHER (each index, in [0, axis_size), is checked by the kernel's first loop) */
#define CK_GATHER_BAD(p, in, indices, out)                                                    \
    (!(p) || !(in) || !(out) || ((p)->num_indices > 0 && !(indices)) || (p)->outer < 1        \
     || (p)->axis_size < 1 || (p)->inner < 1 || (p)->num_indices < 0)

/* RESIZE_NEAREST_NEIGHBOR (each map entry, inside the input, is checked by the first loops) */
#define CK_RESIZE_NEAREST_BAD(p, in, y_map, x_map, out)                                      \
    (!(p) || !(in) || !(y_map) || !(x_map) || !(out) || (p)->batches < 1 || (p)->in_h < 1    \
     || (p)->in_w < 1 || (p)->channels < 1 || (p)->out_h < 1 || (p)->out_w < 1)

/* RESIZE_BILINEAR int8: sizes >= 1, scales >= 0 (0: align_corners from one row), a 0/1 flag,
 * y * scale within int32, and the last row's and column's lower tap inside the input (TFLite
 * clamps only the upper tap; a rounded-up scale over a large upscale could pass the edge). */
static inline int ck_resize_axis_bad(int32_t in_size, int32_t out_size, int32_t scale_10,
                                     int32_t half_pixel_centers)
{
    int64_t last;
    if (in_size < 1 || out_size < 1 || scale_10 < 0
        || (int64_t)out_size * scale_10 > (1 << 30)) {
        return 1;
    }
    last = (int64_t)(out_size - 1) * scale_10 + (half_pixel_centers ? scale_10 / 2 - 512 : 0);
    return last >= 0 && last / 1024 > in_size - 1;
}

#define CK_RESIZE_BILINEAR_S8_BAD(p, in, out)                                                 \
    (!(p) || !(in) || !(out) || (p)->batches < 1 || (p)->channels < 1                         \
     || ((p)->half_pixel_centers != 0 && (p)->half_pixel_centers != 1)                        \
     || ck_resize_axis_bad((p)->in_h, (p)->out_h, (p)->height_scale_10, (p)->half_pixel_centers) \
     || ck_resize_axis_bad((p)->in_w, (p)->out_w, (p)->width_scale_10, (p)->half_pixel_centers))
#endif

/* ---- QUANTIZE / DEQUANTIZE / requantize (ck_quantize.h) --------------------------------- */
#ifdef CK_QUANTIZE_H
#define CK_QUANTIZE_F32_S8_BAD(p, in, out)                                                    \
    (!(p) || !(in) || !(out) || (p)->size < 0 || !((p)->scale > 0.0f))

#define CK_DEQUANTIZE_S8_F32_BAD(p, in, out) (!(p) || !(in) || !(out) || (p)->size < 0)

#define CK_REQUANTIZE_S8_BAD(p, in, out)                                                      \
    (!(p) || !(in) || !(out) || (p)->size < 0 || (p)->shift > 30 || (p)->shift < -31)
#endif

/* ---- binary (1-bit) conv and FC (ck_binary.h) ------------------------------------------- */
#ifdef CK_BINARY_H
#define CK_BPACK_S8_BAD(in, out, pixels, channels, zero_point)                                \
    (!(in) || !(out) || (pixels) < 1 || (channels) < 1 || (zero_point) < CK_S8_MIN            \
     || (zero_point) > CK_S8_MAX)

static inline int ck_bconv_bad(const ck_bconv_params *p)
{
    return p->batches < 1 || p->in_h < 1 || p->in_w < 1 || p->in_c < 1 || p->out_h < 1
        || p->out_w < 1 || p->out_c < 1 || p->k_h < 1 || p->k_w < 1 || p->stride_h < 1
        || p->stride_w < 1 || p->pad_top < 0 || p->pad_left < 0
        || (int64_t)p->k_h * p->k_w * p->in_c > CK_BINARY_MAX_BITS;
}

static inline int ck_bfc_bad(const ck_bfc_params *p)
{
    return p->batches < 1 || p->in_words < 1 || p->out_features < 1 || p->in_features < 1
        || p->in_features > p->in_words * CK_BINARY_WORD_BITS
        || p->in_features > CK_BINARY_MAX_BITS;
}

/* the _s8 variants' output stage: zero point and activation range */
static inline int ck_bin_epilogue_bad(int32_t zp, int32_t lo, int32_t hi)
{
    return zp < CK_S8_MIN || zp > CK_S8_MAX || lo < CK_S8_MIN || hi > CK_S8_MAX || lo > hi;
}
#endif

/* ---- the float32 path (ck_float.h) ------------------------------------------------------ */
#ifdef CK_FLOAT_H
static inline int ck_conv_f32_bad(const ck_conv_f32_params *p)
{
    return p->batches < 1 || p->in_h < 1 || p->in_w < 1 || p->in_c < 1 || p->out_h < 1
        || p->out_w < 1 || p->out_c < 1 || p->k_h < 1 || p->k_w < 1 || p->stride_h < 1
        || p->stride_w < 1 || p->dilation_h < 1 || p->dilation_w < 1 || p->pad_top < 0
        || p->pad_left < 0 || ck_act_code_bad(p->activation);
}

static inline int ck_pool_f32_bad(const ck_pool_f32_params *p)
{
    return p->batches < 1 || p->in_h < 1 || p->in_w < 1 || p->channels < 1 || p->out_h < 1
        || p->out_w < 1 || p->filter_h < 1 || p->filter_w < 1 || p->stride_h < 1
        || p->stride_w < 1 || p->pad_top < 0 || p->pad_left < 0
        || ck_act_code_bad(p->activation);
}

#define CK_DEPTHWISE_CONV_F32_BAD(p, input, filter, output)                                   \
    (!(p) || !(input) || !(filter) || !(output) || ck_conv_f32_bad(p)                         \
     || (p)->depth_multiplier < 1 || (p)->in_c * (p)->depth_multiplier != (p)->out_c)

#define CK_FC_F32_BAD(p, input, weights, output)                                              \
    (!(p) || !(input) || !(weights) || !(output) || (p)->batches < 1 || (p)->in_features < 1  \
     || (p)->out_features < 1 || ck_act_code_bad((p)->activation))

/* a [outer, inner] op b [inner]: outer may be 0 */
#define CK_BCAST_F32_BAD(outer, inner, activation, a, b, out)                                 \
    (!(a) || !(b) || !(out) || (outer) < 0 || (inner) < 1 || ck_act_code_bad(activation))

/* standalone RELU / RELU6 only */
#define CK_RELU_F32_BAD(size, activation, input, output)                                      \
    (!(input) || !(output) || (size) < 0                                                      \
     || ((activation) != CK_ACT_RELU && (activation) != CK_ACT_RELU6))

/* LOGISTIC, TANH, LEAKY_RELU, HARD_SWISH */
#define CK_UNARY_F32_BAD(size, input, output) (!(input) || !(output) || (size) < 0)

#define CK_SOFTMAX_F32_BAD(rows, depth, beta, input, output)                                  \
    (!(input) || !(output) || (rows) < 1 || (depth) < 1 || !((beta) > 0.0f))

/* MEAN, SUM */
#define CK_MEAN_F32_BAD(outer, reduce, inner, input, output)                                  \
    (!(input) || !(output) || (outer) < 1 || (reduce) < 1 || (inner) < 1)

/* (each dimension is checked by the kernel's first loop, as ck_pad_s8's) */
#define CK_PAD_F32_BAD(p, input, output) (!(p) || !(input) || !(output))

/* RESIZE_BILINEAR: sizes >= 1, scales >= 0 (not NaN) and no more than TFLite's can be (out *
 * scale <= 2 in + 2: positions stay well inside int32), a 0/1 flag (the taps are clamped to
 * the input by the kernel's min/max, as TFLite's) */
#define CK_RESIZE_BILINEAR_F32_BAD(p, input, output)                                          \
    (!(p) || !(input) || !(output) || (p)->batches < 1 || (p)->in_h < 1 || (p)->in_w < 1      \
     || (p)->channels < 1 || (p)->out_h < 1 || (p)->out_w < 1 || !((p)->height_scale >= 0.0f) \
     || !((p)->width_scale >= 0.0f)                                                          \
     || !((float)(p)->out_h * (p)->height_scale <= 2.0f * (float)(p)->in_h + 2.0f)            \
     || !((float)(p)->out_w * (p)->width_scale <= 2.0f * (float)(p)->in_w + 2.0f)             \
     || ((p)->half_pixel_centers != 0 && (p)->half_pixel_centers != 1))
#endif

#endif /* CK_CHECK_H */
