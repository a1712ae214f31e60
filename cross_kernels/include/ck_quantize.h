/*
 * ck_quantize.h - QUANTIZE (float32 -> int8, int8 -> int8) and DEQUANTIZE (int8 -> float32).
 *
 * Semantics: TFLite reference_ops::AffineQuantize, Requantize and Dequantize; Python twin
 * simulator/reference/quantize_ops.py. Float kernels need an FPU or the compiler's soft-float
 * helpers (__aeabi_fdiv, __aeabi_fmul) on cores without one.
 */
#ifndef CK_QUANTIZE_H
#define CK_QUANTIZE_H

#include "ck_types.h"

typedef struct {
    int32_t size;        /* number of elements, >= 0 */
    float scale;         /* the int8 tensor's scale, finite and > 0 */
    int32_t zero_point;  /* [-128, 127] */
} ck_affine_f32_params;

/* out[i] = clamp(round_half_away(in[i] / scale) + zero_point); float32 division as TFLite
 * (a reciprocal multiply would differ in the last bit). NaN maps to zero_point. */
ck_status ck_quantize_f32_s8(const ck_affine_f32_params *p, const float *in, int8_t *out);

/* out[i] = (float)(scale * (in[i] - zero_point)). */
ck_status ck_dequantize_s8_f32(const ck_affine_f32_params *p, const int8_t *in, float *out);

typedef struct {
    int32_t size;                 /* number of elements, >= 0 */
    int32_t input_zp, output_zp;  /* [-128, 127] */
    int32_t multiplier, shift;    /* s_in / s_out, shift in [-31, 30] */
} ck_requantize_s8_params;

/* out[i] = clamp(requantize(in[i] - input_zp) + output_zp); in and out may alias. */
ck_status ck_requantize_s8(const ck_requantize_s8_params *p, const int8_t *in, int8_t *out);

#endif /* CK_QUANTIZE_H */
