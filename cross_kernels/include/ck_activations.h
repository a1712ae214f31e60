/*
 * ck_activations.h - int8 LOGISTIC, TANH, LEAKY_RELU and HARD_SWISH, and the gemmlowp
 * fixed-point math LOGISTIC and TANH share with SOFTMAX (ck_softmax.h).
 *
 * Semantics: TFLite reference_integer_ops::Logistic / Tanh (int8) and gemmlowp's
 * fixedpoint.h (exp_on_negative_values, one_over_one_plus_x_for_x_in_0_1,
 * one_minus_x_over_one_plus_x_for_x_in_0_1, logistic, tanh). The Python twin is
 * simulator/reference/activations.py; the two agree bit for bit. The Q0.31 / Q2.29
 * constants are the published values of exp(-1/8), 1/3, 48/17, -32/17 and exp(-2^k).
 * Raw fixed-point values are int32; adds wrap (done in uint32 to stay defined C).
 */
#ifndef CK_ACTIVATIONS_H
#define CK_ACTIVATIONS_H

#include "ck_quant.h"
#include "ck_types.h"

/* Parameters of ck_logistic_s8 / ck_tanh_s8, made by activations.sigmoid_params() exactly as
 * TFLM's Prepare does (4 integer bits). */
typedef struct {
    int32_t size;               /* number of elements, >= 0 */
    int32_t input_zp;           /* input zero point, [-128, 127] */
    int32_t input_multiplier;   /* Q31 mantissa of input_scale * 2^27, (0, INT32_MAX] */
    int32_t input_left_shift;   /* its exponent, [-31, 31] (positive = left) */
    int32_t input_range_radius; /* |q - zp| at or beyond which the output saturates, >= 0 */
} ck_sigmoid_s8_params;

/*
 * int8 sigmoid. in: [size] int8 (any layout); out: [size] int8 with scale 1/256 and zero
 * point -128 (may alias in). Returns CK_ARG_ERROR on NULL pointers or bad parameters.
 */
ck_status ck_logistic_s8(const ck_sigmoid_s8_params *p, const int8_t *in, int8_t *out);

/* int8 tanh; as ck_logistic_s8 but the output has scale 1/128 and zero point 0. */
ck_status ck_tanh_s8(const ck_sigmoid_s8_params *p, const int8_t *in, int8_t *out);

/* Parameters of ck_leaky_relu_s8, made by activations.leaky_relu_params() as TFLM's
 * CalculateOpDataLeakyRelu does: two requantizations, s_in / s_out and s_in * alpha / s_out. */
typedef struct {
    int32_t size;                /* number of elements, >= 0 */
    int32_t input_zp;            /* input zero point, [-128, 127] */
    int32_t output_zp;           /* output zero point, [-128, 127] */
    int32_t identity_multiplier; /* Q31 multiplier of s_in / s_out, [0, INT32_MAX] */
    int32_t identity_shift;      /* its shift, [-31, 31] (positive = left) */
    int32_t alpha_multiplier;    /* Q31 multiplier of s_in * alpha / s_out, [0, INT32_MAX] */
    int32_t alpha_shift;         /* its shift, [-31, 31] */
} ck_leaky_relu_s8_params;

/*
 * int8 LEAKY_RELU (TFLite reference_ops::QuantizeLeakyRelu): d = q - input_zp;
 * out = clamp(output_zp + requantize(d, d >= 0 ? identity : alpha)). in, out: [size] int8
 * (any layout; out may alias in). CK_ARG_ERROR on NULL pointers or parameters out of range.
 */
ck_status ck_leaky_relu_s8(const ck_leaky_relu_s8_params *p, const int8_t *in, int8_t *out);

/* Parameters of ck_hard_swish_s8, made by activations.hard_swish_params() as TFLM's
 * HardSwishPrepare does: Q15 multipliers (int16 values) and power-of-two exponents. */
typedef struct {
    int32_t size;                /* number of elements, >= 0 */
    int32_t input_zp;            /* input zero point, [-128, 127] */
    int32_t output_zp;           /* output zero point, [-128, 127] */
    int32_t reluish_multiplier;  /* Q15 of (s_in / 128) / (3 / 32768), [0, 32767] */
    int32_t reluish_exponent;    /* its exponent, [-31, 31] */
    int32_t output_multiplier;   /* Q15 of (s_in / 128) / s_out, [0, 32767] */
    int32_t output_exponent;     /* its exponent, [-31, 0] */
} ck_hard_swish_s8_params;

/*
 * int8 HARD_SWISH, x * relu6(x + 3) / 6, in TFLite reference_ops::HardSwish's int16 fixed
 * point (bit for bit; see simulator/reference/activations.py). in, out: [size] int8 (any
 * layout; out may alias in). CK_ARG_ERROR on NULL pointers or parameters out of range.
 */
ck_status ck_hard_swish_s8(const ck_hard_swish_s8_params *p, const int8_t *in, int8_t *out);

/* ---- gemmlowp fixed-point helpers (internal to the kernels, inline) ------------------- */

static inline int32_t ck_fx_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static inline int32_t ck_fx_sub(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* gemmlowp SaturatingRoundingMultiplyByPOT for exponent in [1, 30]. */
static inline int32_t ck_fx_sat_shl(int32_t x, int exponent)
{
    const int32_t threshold = (int32_t)((1L << (31 - exponent)) - 1);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

static inline int32_t ck_fx_rounding_half_sum(int32_t a, int32_t b)
{
    int64_t s = (int64_t)a + (int64_t)b;
    s += s >= 0 ? 1 : -1;
    return (int32_t)(s / 2);
}

/* exp(a) for Q0.31 a in [-1/4, 0). */
static inline int32_t ck_fx_exp_on_interval(int32_t a)
{
    const int32_t exp_minus_one_eighth = 1895147668;
    const int32_t one_third = 715827883;
    const int32_t x = ck_fx_add(a, 1 << 28);
    const int32_t x2 = ck_srdhm(x, x);
    const int32_t x3 = ck_srdhm(x2, x);
    const int32_t x4 = ck_srdhm(x2, x2);
    const int32_t x4_over_4 = ck_rounding_divide_by_pot(x4, 2);
    const int32_t poly = ck_rounding_divide_by_pot(
        ck_fx_add(ck_srdhm(ck_fx_add(x4_over_4, x3), one_third), x2), 1);
    return ck_fx_add(exp_minus_one_eighth, ck_srdhm(exp_minus_one_eighth, ck_fx_add(x, poly)));
}

/* exp(a) in Q0.31 for a <= 0 in Q(integer_bits), integer_bits in [1, 6]. */
static inline int32_t ck_fx_exp_on_negative_values(int32_t a, int integer_bits)
{
    static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308,
                                      39332535, 720401, 242};
    const int frac_bits = 31 - integer_bits;
    const int32_t quarter = (int32_t)1 << (frac_bits - 2);
    const int32_t a_mod = ck_fx_sub(a & (quarter - 1), quarter);
    const int32_t remainder = ck_fx_sub(a_mod, a);
    int32_t result = ck_fx_exp_on_interval(ck_fx_sat_shl(a_mod, integer_bits));
    int k;
    for (k = -2; k <= 4; ++k) {
        if (integer_bits > k && ((uint32_t)remainder >> (frac_bits + k)) & 1u) {
            result = ck_srdhm(result, barrel[k + 2]);
        }
    }
    if (integer_bits > 5 && a < -((int32_t)1 << (36 - integer_bits))) {
        result = 0;
    }
    return a == 0 ? INT32_MAX : result;
}

/* Newton-Raphson 1 / (1 + a) / 2 in Q2.29, a in Q0.31 [0, 1). */
static inline int32_t ck_fx_newton_reciprocal_q2(int32_t a)
{
    const int32_t half_denominator = ck_fx_rounding_half_sum(a, INT32_MAX);
    int32_t x = ck_fx_add(1515870810, ck_srdhm(half_denominator, -1010580540));
    int i;
    for (i = 0; i < 3; ++i) {
        const int32_t one_minus = ck_fx_sub(1 << 29, ck_srdhm(half_denominator, x));
        x = ck_fx_add(x, ck_fx_sat_shl(ck_srdhm(x, one_minus), 2));
    }
    return x;
}

static inline int32_t ck_fx_one_over_one_plus_x(int32_t a)
{
    return ck_fx_sat_shl(ck_fx_newton_reciprocal_q2(a), 1);
}

static inline int32_t ck_fx_one_minus_x_over_one_plus_x(int32_t a)
{
    return ck_fx_sat_shl(ck_fx_sub(ck_fx_newton_reciprocal_q2(a), 1 << 29), 2);
}

#endif /* CK_ACTIVATIONS_H */
