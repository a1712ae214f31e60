/*
 * ck_types.h - types shared by every cross_kernels function.
 *
 * Kernels never trap: they return a ck_status. Layouts are TFLite's:
 * activations [N, H, W, C] int8, conv filters [C_out, KH, KW, C_in],
 * depthwise filters [1, KH, KW, C_in * depth_multiplier], FC weights [out, in].
 */
#ifndef CK_TYPES_H
#define CK_TYPES_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    CK_OK = 0,
    CK_ARG_ERROR = -1,   /* a parameter is outside the documented range */
    CK_NO_SCRATCH = -2,  /* the scratch buffer is missing or smaller than _get_buffer_size() */
} ck_status;

/* The vocabulary every params struct shares (its header documents each field's range):
 *
 * int8 activation range: act_min, act_max, the fused activation folded into a clamp of the
 *   int8 output, CK_S8_MIN <= act_min <= act_max <= CK_S8_MAX. Zero points are int8 values.
 * Requantization: x * multiplier * 2^(shift - 31) (TFLite's MultiplyByQuantizedMultiplier,
 *   ck_quant.h), a Q31 multiplier and a shift (> 0 = left) from
 *   reference.quant.quantize_multiplier, shift within [CK_SHIFT_MIN, CK_SHIFT_MAX]; kernels
 *   with a narrower range say so.
 * Fused activation (float kernels): one of the CK_ACT_* codes below, the IR's
 *   fused_activation_function.
 * Padding: pad_top, pad_left, the leading padding of H and W (SAME/VALID resolved by
 *   reference.padding.compute_padding), >= 0; pad_before / pad_after per dimension for PAD. */
#define CK_S8_MIN (-128)
#define CK_S8_MAX 127
#define CK_SHIFT_MIN (-31)
#define CK_SHIFT_MAX 31

enum { CK_ACT_NONE = 0, CK_ACT_RELU = 1, CK_ACT_RELU6 = 2, CK_ACT_RELU_N1_TO_1 = 3 };

#endif /* CK_TYPES_H */
