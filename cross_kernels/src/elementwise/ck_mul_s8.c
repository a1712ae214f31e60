/* int8 MUL with broadcasting (see ck_elementwise.h).
 *
 * Fast path (output shift r = -shift >= 1, multiplier m >= 0, the usual case), the same bits as
 * mul_one by the identities of ck_elementwise_internal.h: with p = (a - zp1) (b - zp2),
 * |p| <= 255^2, so 2p fits and
 *   out = clamp((SMMLAR(2p, m, 2^(r-1) + zp_out 2^r) + (p >> 31)) >> r, act_min, act_max).
 * A row whose input is broadcast along it (stride 0) folds that input's 2 (q - zp) into a
 * constant factor.
 */
#include "ck_elementwise.h"
#include "../common/ck_check.h"
#include "ck_elementwise_internal.h"
#include "ck_quant.h"

static int8_t mul_one(const ck_mul_s8_params *p, int8_t a, int8_t b)
{
    const int32_t prod = ((int32_t)a - p->input1_zp) * ((int32_t)b - p->input2_zp);
    const int32_t v = ck_requantize(prod, p->output_multiplier, p->output_shift);
    return ck_offset_clamp_s8(v, p->output_zp, p->act_min, p->act_max);
}

typedef struct {
    const ck_mul_s8_params *p;
    int32_t zp1, zp2, m, c, r, lo, hi, full;
} mul_fast;

CK_EW_INLINE int8_t finish(int32_t p2, int32_t m, int32_t c, int32_t r, int32_t lo, int32_t hi,
                           int full)
{
    const int32_t v = (ck_ew_smmlar(p2, m, c) + (p2 >> 31)) >> r;
    return (int8_t)(full ? ck_ew_clamp(v, -128, 127) : ck_ew_clamp(v, lo, hi));
}

/* both inputs step by one element (locals: stores through int8_t * may alias *f) */
CK_EW_INLINE void row_both(const mul_fast *f, const int8_t *a, const int8_t *b, int8_t *out,
                           int32_t n, int full)
{
    const int32_t zp1 = f->zp1, zp2x2 = 2 * f->zp2, m = f->m, c = f->c, r = f->r;
    const int32_t lo = f->lo, hi = f->hi;
    const int8_t *const end = a + n;
    for (; a + 2 <= end; a += 2, b += 2, out += 2) {
        const int32_t p0 = (a[0] - zp1) * (2 * b[0] - zp2x2);
        const int32_t p1 = (a[1] - zp1) * (2 * b[1] - zp2x2);
        out[0] = finish(p0, m, c, r, lo, hi, full);
        out[1] = finish(p1, m, c, r, lo, hi, full);
    }
    if (a < end) {
        *out = finish((*a - zp1) * (2 * *b - zp2x2), m, c, r, lo, hi, full);
    }
}

/* x steps by one element (zero point zp), the other input's 2 (q - zp) is k */
CK_EW_INLINE void row_one(const mul_fast *f, const int8_t *x, int32_t zp, int32_t k,
                          int8_t *out, int32_t n, int full)
{
    const int32_t m = f->m, c = f->c, r = f->r, lo = f->lo, hi = f->hi;
    const int8_t *const end = x + n;
    for (; x + 2 <= end; x += 2, out += 2) {
        const int32_t p0 = (x[0] - zp) * k, p1 = (x[1] - zp) * k;
        out[0] = finish(p0, m, c, r, lo, hi, full);
        out[1] = finish(p1, m, c, r, lo, hi, full);
    }
    if (x < end) {
        *out = finish((*x - zp) * k, m, c, r, lo, hi, full);
    }
}

static void fast_row(const void *ctx, const int8_t *a, int32_t sa, const int8_t *b, int32_t sb,
                     int8_t *out, int32_t n)
{
    const mul_fast *f = (const mul_fast *)ctx;
    int32_t i;
    if (sa == 1 && sb == 1) {
        if (f->full) {
            row_both(f, a, b, out, n, 1);
        } else {
            row_both(f, a, b, out, n, 0);
        }
    } else if (sa == 1 && sb == 0) {
        if (f->full) {
            row_one(f, a, f->zp1, 2 * (*b - f->zp2), out, n, 1);
        } else {
            row_one(f, a, f->zp1, 2 * (*b - f->zp2), out, n, 0);
        }
    } else if (sa == 0 && sb == 1) {
        if (f->full) {
            row_one(f, b, f->zp2, 2 * (*a - f->zp1), out, n, 1);
        } else {
            row_one(f, b, f->zp2, 2 * (*a - f->zp1), out, n, 0);
        }
    } else {
        for (i = 0; i < n; ++i) {
            out[i] = finish((a[(size_t)i * sa] - f->zp1) * 2 * (b[(size_t)i * sb] - f->zp2), f->m,
                            f->c, f->r, f->lo, f->hi, 0);
        }
    }
}

static void general_row(const void *ctx, const int8_t *a, int32_t sa, const int8_t *b,
                        int32_t sb, int8_t *out, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        out[i] = mul_one((const ck_mul_s8_params *)ctx, a[(size_t)i * sa], b[(size_t)i * sb]);
    }
}

/* 1 and the fast-path context, or 0 when a precondition fails */
static int fast_setup(const ck_mul_s8_params *p, mul_fast *f)
{
    int ok;
    if (p->output_shift >= 0 || p->output_multiplier < 0) {
        return 0;
    }
    f->p = p;
    f->zp1 = p->input1_zp;
    f->zp2 = p->input2_zp;
    f->m = p->output_multiplier;
    f->r = -p->output_shift;
    f->lo = p->act_min;
    f->hi = p->act_max;
    f->full = p->act_min == -128 && p->act_max == 127;
    /* |2p| <= 2 255^2 < 2^17, so |SMMULR(2p, m)| <= 2^16 */
    f->c = ck_ew_fold_constant(f->r, p->output_zp, (int64_t)1 << 16, &ok);
    return ok;
}

ck_status ck_mul_s8(const ck_mul_s8_params *p, const ck_broadcast4 *s, const int8_t *in1,
                    const int8_t *in2, int8_t *out)
{
    ck_ew_nest nest;
    mul_fast f;
    if (CK_MUL_S8_BAD(p, s, in1, in2, out)) {
        return CK_ARG_ERROR;
    }
    ck_ew_collapse(s->out_dims, s->in1_strides, s->in2_strides, &nest);
    if (fast_setup(p, &f)) {
        ck_ew_for_rows(&nest, in1, in2, out, fast_row, &f);
    } else {
        ck_ew_for_rows(&nest, in1, in2, out, general_row, p);
    }
    return CK_OK;
}
