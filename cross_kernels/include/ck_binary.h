/*
 * ck_binary.h - 1-bit binary layers (XNOR-Net / Larq style) between int8 layers.
 *
 * The NumPy definition is simulator/reference/binary.py; these kernels give the same bits.
 *
 * Encoding. A binary value is +1 or -1 and its bit is the sign: bit 1 = -1, bit 0 = +1
 * (sign(0) = +1). Channels are packed 32 per uint32 word, channel c in bit (c % 32) of
 * word (c / 32): a binary [N, H, W, C] tensor is uint32 [N, H, W, ceil(C / 32)].
 * Padding bits (channels C .. 32 * words - 1) are 0 in activations and weights; every
 * kernel here writes them as 0 and relies on that.
 *
 * Arithmetic. The dot product of K binary values is K - 2 * popcount(x XOR w). Conv SAME
 * padding pads with +1 (an all-zero word), so K = k_h * k_w * in_c for every output pixel.
 * popcount: Armv6-M/Armv7-M/Armv7E-M have no population-count instruction (CNT is Neon/
 * MVE only), so all cores use the same portable SWAR popcount (3 mask-and-add steps and a
 * multiply by 0x01010101: 12 data-processing instructions, no table, no branch).
 *
 * Outputs. _s8: int8 through the int8 conv epilogue of ck_conv.h,
 *     out = clamp(ck_requantize(acc + bias[c], multiplier[c], shift[c]) + output_offset,
 *                 act_min, act_max)      (always per channel; bias may be NULL)
 * _bin: packed bits, bit(c) = acc < threshold[c] (the sign of the batch-normed value).
 *
 * Binary conv gathers each output pixel's window into a stack patch (padding as 0 words)
 * when k_h * k_w * words <= 128 (512 bytes of stack), so each output channel is one
 * branch-free XOR-popcount loop; larger windows take a per-tap path with the same result.
 *
 * Buffers are caller-owned; uint32 buffers must be 4-byte aligned. Every function returns
 * CK_OK, or CK_ARG_ERROR with nothing written. No kernel needs scratch.
 */
#ifndef CK_BINARY_H
#define CK_BINARY_H

#include <stdint.h>

#include "ck_types.h"

#define CK_BINARY_WORD_BITS 32
#define CK_BINARY_WORDS(channels) (((channels) + 31) / 32)
/* Bound on the bits of one dot product: keeps acc far inside int32 (and requantize exact). */
#define CK_BINARY_MAX_BITS (1 << 24)

/* Only int32_t fields: identical layout on host and target, fillable from an int32 array. */
typedef struct {
    int32_t batches;              /* >= 1 */
    int32_t in_h, in_w, in_c;     /* >= 1; in_c real channels (input has CK_BINARY_WORDS(in_c) words/pixel) */
    int32_t out_h, out_w, out_c;  /* >= 1 */
    int32_t k_h, k_w;             /* >= 1; k_h * k_w * in_c <= CK_BINARY_MAX_BITS */
    int32_t stride_h, stride_w;   /* >= 1 */
    int32_t pad_top, pad_left;    /* >= 0 (SAME padding pads with +1) */
    int32_t output_offset;        /* _s8 only: output zero point [-128, 127] */
    int32_t act_min, act_max;     /* _s8 only: -128 <= act_min <= act_max <= 127 */
} ck_bconv_params;

typedef struct {
    int32_t batches;              /* rows, >= 1 */
    int32_t in_words;             /* packed words per input row, >= 1 */
    int32_t in_features;          /* real bits per row, 1 .. 32 * in_words, <= CK_BINARY_MAX_BITS */
    int32_t out_features;         /* >= 1 */
    int32_t output_offset;        /* _s8 only */
    int32_t act_min, act_max;     /* _s8 only */
} ck_bfc_params;

/* int8 -> packed bits: bit = (in < zero_point), i.e. the real value is negative.
 *   in  [in]  int8   [pixels, channels]
 *   out [out] uint32 [pixels, CK_BINARY_WORDS(channels)] */
ck_status ck_bpack_s8(int32_t pixels, int32_t channels, int32_t zero_point,
                      const int8_t *in, uint32_t *out);

/* Binary conv.
 *   input  [in]  uint32 [batches, in_h, in_w, CK_BINARY_WORDS(in_c)]
 *   filter [in]  uint32 [out_c, k_h, k_w, CK_BINARY_WORDS(in_c)]
 *   bias, multiplier, shift [in] int32 [out_c] (bias may be NULL); shift in [-31, 31]
 *   threshold [in] int32 [out_c]
 *   output [out] _s8: int8 [batches, out_h, out_w, out_c];
 *                _bin: uint32 [batches, out_h, out_w, CK_BINARY_WORDS(out_c)] */
ck_status ck_bconv2d_s8(const ck_bconv_params *params, const uint32_t *input,
                        const uint32_t *filter, const int32_t *bias, const int32_t *multiplier,
                        const int32_t *shift, int8_t *output);
ck_status ck_bconv2d_bin(const ck_bconv_params *params, const uint32_t *input,
                         const uint32_t *filter, const int32_t *threshold, uint32_t *output);

/* Binary fully connected.
 *   input   [in]  uint32 [batches, in_words]
 *   weights [in]  uint32 [out_features, in_words]
 *   output  [out] _s8: int8 [batches, out_features];
 *                 _bin: uint32 [batches, CK_BINARY_WORDS(out_features)] */
ck_status ck_bfc_s8(const ck_bfc_params *params, const uint32_t *input, const uint32_t *weights,
                    const int32_t *bias, const int32_t *multiplier, const int32_t *shift,
                    int8_t *output);
ck_status ck_bfc_bin(const ck_bfc_params *params, const uint32_t *input, const uint32_t *weights,
                     const int32_t *threshold, uint32_t *output);

#endif /* CK_BINARY_H */
