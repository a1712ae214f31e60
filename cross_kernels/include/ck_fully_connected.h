/*
 * ck_fully_connected.h - FULLY_CONNECTED, int8 in / int8 out, TFLite semantics.
 *
 * The NumPy definition is simulator/reference/fully_connected.py. For each batch row b
 * and output o:
 *     acc = sum_i weights[o, i] * (input[b, i] + input_offset)          (int32)
 *     acc = acc + bias[o]                                  (wraps; bias may be NULL)
 *     out[b, o] = clamp(ck_requantize(acc, multiplier[o'], shift[o']) + output_offset,
 *                       act_min, act_max)        o' = o if per_channel else 0
 *
 * Buffers (caller-owned, any alignment beyond the element type):
 *   input   [in]  int8  [batches, in_features]
 *   weights [in]  int8  [out_features, in_features], zero point 0
 *   bias    [in]  int32 [out_features], or NULL
 *   multiplier, shift [in] int32 [out_features] if per_channel else [1]; shift in [-31, 31]
 *   output  [out] int8  [batches, out_features]
 * Returns CK_OK or CK_ARG_ERROR (nothing written). No variant needs scratch.
 *
 * ck_fully_connected_s8 is portable C; _dsp uses SXTB16/SXTAB16/SMLAD when built with
 * __ARM_FEATURE_DSP (else the portable code); _wrapper picks the best available.
 */
#ifndef CK_FULLY_CONNECTED_H
#define CK_FULLY_CONNECTED_H

#include <stdint.h>

#include "ck_types.h"

/* Bound on in_features that keeps the int32 accumulator exact (65536 * 255 * 128 < 2^31). */
#define CK_FC_MAX_IN_FEATURES 65536

/* Only int32_t fields: identical layout on host and target, fillable from an int32 array. */
typedef struct {
    int32_t batches;        /* >= 1 */
    int32_t in_features;    /* 1 .. CK_FC_MAX_IN_FEATURES */
    int32_t out_features;   /* >= 1 */
    int32_t input_offset;   /* minus the input zero point, [-127, 128] */
    int32_t output_offset;  /* the output zero point, [-128, 127] */
    int32_t act_min, act_max; /* -128 <= act_min <= act_max <= 127 */
    int32_t per_channel;    /* 0: multiplier[0]/shift[0] for all outputs; 1: [out_features] */
} ck_fc_params;

ck_status ck_fully_connected_s8(const ck_fc_params *params, const int8_t *input,
                                const int8_t *weights, const int32_t *bias,
                                const int32_t *multiplier, const int32_t *shift,
                                int8_t *output);

ck_status ck_fully_connected_s8_dsp(const ck_fc_params *params, const int8_t *input,
                                    const int8_t *weights, const int32_t *bias,
                                    const int32_t *multiplier, const int32_t *shift,
                                    int8_t *output);

/* Armv6-M (Cortex-M0/M0+) variant: four output rows per pass; portable C, any core. */
ck_status ck_fully_connected_s8_m0(const ck_fc_params *params, const int8_t *input,
                                   const int8_t *weights, const int32_t *bias,
                                   const int32_t *multiplier, const int32_t *shift,
                                   int8_t *output);

ck_status ck_fully_connected_s8_wrapper(const ck_fc_params *params, const int8_t *input,
                                        const int8_t *weights, const int32_t *bias,
                                        const int32_t *multiplier, const int32_t *shift,
                                        int8_t *output);

#endif /* CK_FULLY_CONNECTED_H */
