/* int8 HARD_SWISH: TFLite reference_ops::HardSwish's int16 fixed point (see ck_activations.h).
 * Values are int16 in TFLite; here they are int32 holding int16 values, with every place
 * where TFLite stores into an int16 made explicit by wrap16 (defined C, same bits). */
#include "ck_activations.h"
#include "../common/ck_check.h"

static int32_t wrap16(int32_t x)
{
    return (int32_t)(((uint32_t)x + 0x8000u) & 0xFFFFu) - 0x8000;
}

/* gemmlowp SaturatingRoundingDoublingHighMul on int16: (ab + nudge) / 2^15, toward zero. */
static int32_t srdhm16(int32_t a, int32_t b)
{
    const int32_t ab = a * b;
    const int32_t nudge = ab >= 0 ? (1 << 14) : 1 - (1 << 14);
    if (a == -32768 && b == -32768) {
        return 32767;
    }
    return wrap16((ab + nudge) / (1 << 15));
}

/* TFLite SaturatingDoublingHighMul: ab / 2^15 toward zero (no rounding nudge). */
static int32_t sdhm16(int32_t a, int32_t b)
{
    if (a == -32768 && b == -32768) {
        return 32767;
    }
    return wrap16((a * b) / (1 << 15));
}

static int32_t sat_shl16(int32_t x, int32_t amount)
{
    const int64_t v = (int64_t)x * ((int64_t)1 << amount);
    return (int32_t)(v > 32767 ? 32767 : (v < -32768 ? -32768 : v));
}

/* gemmlowp RoundingDivideByPOT with IntegerType int16: the mask (1 << e) - 1 is truncated
 * to 16 bits, which for e >= 16 makes it -1 (TFLM computes exactly this). */
static int32_t rdbpot16(int32_t x, int32_t exponent)
{
    const int32_t mask = wrap16((int32_t)((1LL << exponent) - 1));
    const int32_t threshold = wrap16((mask >> 1) + (x < 0 ? 1 : 0));
    return wrap16((x >> exponent) + ((x & mask) > threshold ? 1 : 0));
}

static int8_t hard_swish_one(const ck_hard_swish_s8_params *p, int32_t q)
{
    const int32_t hires = wrap16((q - p->input_zp) * (1 << 7));
    const int32_t pre = srdhm16(hires, p->output_multiplier);
    int32_t r = hires;
    if (p->reluish_exponent > 0) {
        r = sat_shl16(r, p->reluish_exponent - 1);
    }
    r = srdhm16(r, p->reluish_multiplier);
    if (p->reluish_exponent > 0) {
        r = sat_shl16(r, 1);
    } else if (p->reluish_exponent < 0) {
        r = rdbpot16(r, -p->reluish_exponent);
    }
    r = (r + (1 << 15)) >> 1;                 /* [-1, 1] -> [0, 1] in Q15 */
    return ck_clamp_s8(wrap16(rdbpot16(sdhm16(r, pre), -p->output_exponent) + p->output_zp),
                       -128, 127);
}

ck_status ck_hard_swish_s8(const ck_hard_swish_s8_params *p, const int8_t *in, int8_t *out)
{
    int32_t i;
    if (CK_HARD_SWISH_S8_BAD(p, in, out)) {
        return CK_ARG_ERROR;
    }
    for (i = 0; i < p->size; ++i) {
        out[i] = hard_swish_one(p, in[i]);
    }
    return CK_OK;
}
