/*
 * ck_conv.h - CONV_2D and DEPTHWISE_CONV_2D, int8 in / int8 out, TFLite semantics.
 *
 * The NumPy definition is simulator/reference/conv.py; every variant below gives the same
 * bits. For each output element:
 *     acc = sum over taps inside the image of filter * (input + input_offset)   (int32)
 *     acc = acc + bias[c]                                  (wraps; bias may be NULL)
 *     out = clamp(ck_requantize(acc, multiplier[c], shift[c]) + output_offset,
 *                 act_min, act_max)
 * Taps that fall in the padding contribute nothing (as TFLite's reference kernels).
 *
 * Buffers (all caller-owned, no alignment requirement beyond the element type):
 *   input   [in]  int8  [batches, in_h, in_w, in_c]
 *   filter  [in]  int8  conv: [out_c, k_h, k_w, in_c]; depthwise: [1, k_h, k_w, out_c]
 *   bias    [in]  int32 [out_c], or NULL for no bias
 *   multiplier, shift [in] int32 [out_c] if params.per_channel, else [1]; Q31 multiplier
 *           and shift (> 0 = left) as made by reference.quant.quantize_multiplier;
 *           shift must lie in [-31, 31]
 *   output  [out] int8  [batches, out_h, out_w, out_c]
 *   scratch [tmp] ck_conv_s8_dsp only: at least ck_conv_s8_dsp_get_buffer_size() bytes,
 *           any alignment; NULL allowed when that size is 0
 * Every function returns CK_OK, CK_ARG_ERROR (nothing written) or CK_NO_SCRATCH.
 *
 * Variants: ck_conv_s8 / ck_depthwise_conv_s8 are portable C (any core, incl. Cortex-M0+).
 * The _dsp variants use the Armv7E-M DSP extension (SXTB16/SXTAB16/SMLAD) and fall back to
 * the portable code when built without __ARM_FEATURE_DSP. The _wrapper picks the fastest
 * variant the build supports; prefer it in generated code.
 */
#ifndef CK_CONV_H
#define CK_CONV_H

#include <stdint.h>

#include "ck_types.h"

/* The accumulator cannot overflow when k_h * k_w * in_c stays within this bound
 * (65536 * 255 * 128 < 2^31); larger kernels are rejected with CK_ARG_ERROR. */
#define CK_CONV_MAX_TAPS 65536

/* Layer geometry and quantization. Only int32_t fields, so the layout is the same on the
 * host and on the target and can be filled from an int32 array (see field order). */
typedef struct {
    int32_t batches;            /* >= 1 */
    int32_t in_h, in_w, in_c;   /* >= 1 */
    int32_t out_h, out_w, out_c; /* >= 1; depthwise: out_c == in_c * depth_multiplier */
    int32_t k_h, k_w;           /* >= 1; k_h * k_w * in_c <= CK_CONV_MAX_TAPS (conv) */
    int32_t stride_h, stride_w; /* >= 1 */
    int32_t dilation_h, dilation_w; /* >= 1 */
    int32_t pad_top, pad_left;  /* >= 0, as reference.padding.compute_padding gives */
    int32_t input_offset;       /* minus the input zero point, [-127, 128] */
    int32_t output_offset;      /* the output zero point, [-128, 127] */
    int32_t act_min, act_max;   /* -128 <= act_min <= act_max <= 127 */
    int32_t per_channel;        /* 0: multiplier[0]/shift[0] for all channels; 1: [out_c] */
    int32_t depth_multiplier;   /* depthwise only (>= 1); ignored by conv */
} ck_conv_params;

/* --- CONV_2D ------------------------------------------------------------------------- */

ck_status ck_conv_s8(const ck_conv_params *params, const int8_t *input, const int8_t *filter,
                     const int32_t *bias, const int32_t *multiplier, const int32_t *shift,
                     int8_t *output);

/* Scratch bytes ck_conv_s8_dsp needs: two im2col rows of int16, 4 * k_h * k_w * in_c
 * (0 when built without DSP); negative (CK_ARG_ERROR) for invalid params. */
int32_t ck_conv_s8_dsp_get_buffer_size(const ck_conv_params *params);

ck_status ck_conv_s8_dsp(const ck_conv_params *params, const int8_t *input,
                         const int8_t *filter, const int32_t *bias, const int32_t *multiplier,
                         const int32_t *shift, int8_t *output, void *scratch,
                         int32_t scratch_bytes);

int32_t ck_conv_s8_wrapper_get_buffer_size(const ck_conv_params *params);

ck_status ck_conv_s8_wrapper(const ck_conv_params *params, const int8_t *input,
                             const int8_t *filter, const int32_t *bias,
                             const int32_t *multiplier, const int32_t *shift, int8_t *output,
                             void *scratch, int32_t scratch_bytes);

/* 1x1, stride 1, no padding, in place: the output overwrites the input a chunk of pixels at
 * a time (chunk = out_w rounded up to even, at least 8, at most all pixels) through a
 * one-chunk temporary (in order when out_c <= in_c, in reverse when out_c > in_c), each chunk
 * computed by ck_conv_s8_wrapper (same bits). buf [in/out]: the input NHWC on entry, the
 * output NHWC at buf on return; max(input, output) bytes. scratch: the _get_buffer_size,
 * round_up(chunk * out_c, 4) + the wrapper's need for one chunk. */
int32_t ck_conv_s8_pointwise_inplace_get_buffer_size(const ck_conv_params *params);

ck_status ck_conv_s8_pointwise_inplace(const ck_conv_params *params, int8_t *buf,
                                       const int8_t *filter, const int32_t *bias,
                                       const int32_t *multiplier, const int32_t *shift,
                                       void *scratch, int32_t scratch_bytes);

/* Armv6-M (Cortex-M0/M0+) variant: four output channels per input load, a receptive field of
 * up to 128 taps gathered per output pixel on the stack; no scratch (the two arguments are
 * the wrapper's, ignored); dilation other than 1 runs ck_conv_s8. Portable C, any core. */
ck_status ck_conv_s8_m0(const ck_conv_params *params, const int8_t *input,
                        const int8_t *filter, const int32_t *bias,
                        const int32_t *multiplier, const int32_t *shift, int8_t *output,
                        void *scratch, int32_t scratch_bytes);

/* --- DEPTHWISE_CONV_2D (no scratch, except the in-place variant) -------------------- */

ck_status ck_depthwise_conv_s8(const ck_conv_params *params, const int8_t *input,
                               const int8_t *filter, const int32_t *bias,
                               const int32_t *multiplier, const int32_t *shift,
                               int8_t *output);

/* DSP path for depth_multiplier == 1 (the common case); other multipliers use the
 * portable code. */
ck_status ck_depthwise_conv_s8_dsp(const ck_conv_params *params, const int8_t *input,
                                   const int8_t *filter, const int32_t *bias,
                                   const int32_t *multiplier, const int32_t *shift,
                                   int8_t *output);

/* Armv6-M (Cortex-M0/M0+) variant for depth multiplier 1: four channels per pass, no
 * division; other multipliers and dilations run ck_depthwise_conv_s8. Portable C, any core. */
ck_status ck_depthwise_conv_s8_m0(const ck_conv_params *params, const int8_t *input,
                                  const int8_t *filter, const int32_t *bias,
                                  const int32_t *multiplier, const int32_t *shift,
                                  int8_t *output);

ck_status ck_depthwise_conv_s8_wrapper(const ck_conv_params *params, const int8_t *input,
                                       const int8_t *filter, const int32_t *bias,
                                       const int32_t *multiplier, const int32_t *shift,
                                       int8_t *output);

/* In place (TinyEngine-style): the output overwrites the input in `buf` channel by channel,
 * through a one-channel temporary in `scratch` (out_h * out_w bytes, the _get_buffer_size).
 * buf  [in/out] int8 [1, in_h, in_w, C] on entry, [1, out_h, out_w, C] (NHWC, at buf) on
 *               return; needs max(input, output) bytes.
 * Valid for batches 1, depth_multiplier 1, out_h * out_w <= in_h * in_w (any stride,
 * padding, dilation); else CK_ARG_ERROR before anything is written. Portable C. */
int32_t ck_depthwise_conv_s8_inplace_get_buffer_size(const ck_conv_params *params);

ck_status ck_depthwise_conv_s8_inplace(const ck_conv_params *params, int8_t *buf,
                                       const int8_t *filter, const int32_t *bias,
                                       const int32_t *multiplier, const int32_t *shift,
                                       void *scratch, int32_t scratch_bytes);

/* CONV_2D / DEPTHWISE_CONV_2D in place through a temporary of output rows (batch 1, any
 * kernel, stride, padding): bands of ceil(16 / out_w) output rows are computed by the layer's
 * _wrapper on the window of input rows they read, into `scratch`, and written back over input
 * rows no later band reads (ck_conv_s8_ring_inplace.c). buf [in/out]: the input NHWC on
 * entry, the output NHWC at buf on return; max(input, output) bytes. scratch: the
 * _get_buffer_size (pending rows x out_w x out_c rounded up to 4, plus the conv wrapper's
 * need for one band). */
int32_t ck_conv_s8_ring_inplace_get_buffer_size(const ck_conv_params *params);
int32_t ck_depthwise_conv_s8_ring_inplace_get_buffer_size(const ck_conv_params *params);

ck_status ck_conv_s8_ring_inplace(const ck_conv_params *params, int8_t *buf,
                                  const int8_t *filter, const int32_t *bias,
                                  const int32_t *multiplier, const int32_t *shift,
                                  void *scratch, int32_t scratch_bytes);

ck_status ck_depthwise_conv_s8_ring_inplace(const ck_conv_params *params, int8_t *buf,
                                            const int8_t *filter, const int32_t *bias,
                                            const int32_t *multiplier, const int32_t *shift,
                                            void *scratch, int32_t scratch_bytes);

#endif /* CK_CONV_H */
