/* int8 ADD with broadcasting (see ck_elementwise.h).
 *
 * Fast path (TFLite's parameters: left_shift 20, input shifts <= 0, output shift < 0), the same
 * bits as add_one by the identities of ck_elementwise_internal.h. Per input, with x = q - zp
 * (|x| <= 255, so x << 21 fits), twice the requantized input is either
 *   SHIFT form (multiplier 2^30, shift 0: the input with the larger scale, always so for
 *   TFLite's parameters):   x << 20   exactly (x 2^20 2^30 2^1 / 2^32, no rounding), or
 *   SMMLAR form (shift r >= 1):  2 ((SMMLAR(x << 21, m, 2^(r-1)) + (x >> 31)) >> r).
 * Their sum s2 stays below 2^30 in magnitude, so the output is
 *   (SMMLAR(s2, m_out, 2^(r_out-1) + zp_out 2^r_out) + (s2 >> 31)) >> r_out,
 * clamped. ADD is symmetric, so a SHIFT-form input always plays input "a". A row whose input is
 * broadcast along it (stride 0) computes that input's term once. Without DSP the SMMLAR of an
 * input is two 32-bit multiplies: x m + 2^10 = x (m >> 16) 2^16 + (x (m & 0xffff) + 2^10).
 */
#include "ck_elementwise.h"
#include "../common/ck_check.h"
#include "ck_elementwise_internal.h"
#include "ck_quant.h"

static int8_t add_one(const ck_add_s8_params *p, int8_t a, int8_t b)
{
    const int32_t va = ck_requantize(((int32_t)a - p->input1_zp) * (1 << p->left_shift),
                                     p->input1_multiplier, p->input1_shift);
    const int32_t vb = ck_requantize(((int32_t)b - p->input2_zp) * (1 << p->left_shift),
                                     p->input2_multiplier, p->input2_shift);
    const int32_t sum = ck_requantize(va + vb, p->output_multiplier, p->output_shift);
    return ck_offset_clamp_s8(sum, p->output_zp, p->act_min, p->act_max);
}

/* SHIFT_NOZP: the SHIFT form with its zero point folded into a constant elsewhere */
enum { SHIFT = 0, SHIFT_NOZP = 1, SMMLAR = 2 };

typedef struct {
    int32_t zp, zp20, zp21; /* zero point, zp << 20, zp << 21 */
    int32_t m, h, r;        /* multiplier, 2^(r-1), r = -shift */
    int32_t mh, ml;         /* m >> 16, m & 0xffff (portable path) */
} add_input;

/* the output stage's constants, copied to locals by each loop (stores through int8_t * may
 * alias anything, so the compiler would reload fields of a struct after every store) */
typedef struct {
    int32_t mo, co, ro, lo, hi;
} add_out;

typedef struct {
    const ck_add_s8_params *p;
    add_input in[2];        /* in[0] plays "a" */
    int32_t form_a, form_b;
    add_out out;
    int32_t full;           /* act range is [-128, 127] */
    int32_t swapped;        /* in[0] holds input 2 */
    int32_t fold_ok;        /* SHIFT a, SMMLAR b: a's zero point fits into b's rounding constant */
    add_input b_folded;     /* in[1] with h - zp_a 2^(19 + r_b) */
} add_fast;

/* twice the requantized input q */
CK_EW_INLINE int32_t term2(int32_t q, add_input c, int form)
{
    if (form == SHIFT_NOZP) {
        return q * (1 << 20);
    }
    if (form == SHIFT) {
        return q * (1 << 20) - c.zp20;
    }
#if CK_EW_DSP
    const int32_t x = q * (1 << 21) - c.zp21;
    const int32_t s = ck_ew_smmlar(x, c.m, c.h);
#else
    const int32_t x = q - c.zp;
    const int32_t s = x * c.mh * 32 + ((x * c.ml + 1024) >> 11) + c.h;
#endif
    return ((s + (x >> 31)) >> c.r) * 2;
}

CK_EW_INLINE int8_t finish(int32_t s2, add_out o, int full)
{
    const int32_t v = (ck_ew_smmlar(s2, o.mo, o.co) + (s2 >> 31)) >> o.ro;
    return (int8_t)(full ? ck_ew_clamp(v, -128, 127) : ck_ew_clamp(v, o.lo, o.hi));
}

/* both inputs step by one element; k is added to every sum */
CK_EW_INLINE void row_both(const add_fast *f, const add_input *cbp, const int8_t *a,
                           const int8_t *b, int8_t *out, int32_t n, int32_t k, int fa, int fb,
                           int full)
{
    const add_input ca = f->in[0], cb = *cbp;
    const add_out o = f->out;
    const int8_t *const end = a + n;
    /* two independent chains per iteration: the in-order M7 cannot overlap iterations */
    for (; a + 2 <= end; a += 2, b += 2, out += 2) {
        const int32_t a0 = a[0], a1 = a[1], b0 = b[0], b1 = b[1];
        const int32_t s0 = term2(a0, ca, fa) + term2(b0, cb, fb) + k;
        const int32_t s1 = term2(a1, ca, fa) + term2(b1, cb, fb) + k;
        out[0] = finish(s0, o, full);
        out[1] = finish(s1, o, full);
    }
    if (a < end) {
        *out = finish(term2(*a, ca, fa) + term2(*b, cb, fb) + k, o, full);
    }
}

/* one input steps by one element; t is the other's (doubled) term */
CK_EW_INLINE void row_one(const add_fast *f, const add_input *cp, const int8_t *x, int8_t *out,
                          int32_t n, int32_t t, int form, int full)
{
    const add_input c = *cp;
    const add_out o = f->out;
    const int8_t *const end = x + n;
    for (; x + 2 <= end; x += 2, out += 2) {
        const int32_t x0 = x[0], x1 = x[1];
        const int32_t s0 = term2(x0, c, form) + t, s1 = term2(x1, c, form) + t;
        out[0] = finish(s0, o, full);
        out[1] = finish(s1, o, full);
    }
    if (x < end) {
        *out = finish(term2(*x, c, form) + t, o, full);
    }
}

/* the loops, instantiated per form and clamp (fixed forms keep the constants in registers) */
#define BOTH(name, cb, k, fa, fb)                                                             \
    static void name(const add_fast *f, const int8_t *a, const int8_t *b, int8_t *o, int32_t n) \
    {                                                                                         \
        if (f->full) {                                                                        \
            row_both(f, cb, a, b, o, n, k, fa, fb, 1);                                        \
        } else {                                                                              \
            row_both(f, cb, a, b, o, n, k, fa, fb, 0);                                        \
        }                                                                                     \
    }
BOTH(both_ss, &f->in[1], -f->in[0].zp20 - f->in[1].zp20, SHIFT_NOZP, SHIFT_NOZP)
BOTH(both_sm_folded, &f->b_folded, 0, SHIFT_NOZP, SMMLAR)
BOTH(both_sm, &f->in[1], 0, SHIFT, SMMLAR)
BOTH(both_mm, &f->in[1], 0, SMMLAR, SMMLAR)

static void one_s(const add_fast *f, const add_input *c, const int8_t *x, int8_t *o, int32_t n,
                  int32_t t)
{
    if (f->full) {
        row_one(f, c, x, o, n, t - c->zp20, SHIFT_NOZP, 1);
    } else {
        row_one(f, c, x, o, n, t - c->zp20, SHIFT_NOZP, 0);
    }
}

static void one_m(const add_fast *f, const add_input *c, const int8_t *x, int8_t *o, int32_t n,
                  int32_t t)
{
    if (f->full) {
        row_one(f, c, x, o, n, t, SMMLAR, 1);
    } else {
        row_one(f, c, x, o, n, t, SMMLAR, 0);
    }
}

static int32_t term_of(const add_fast *f, int k, int32_t q)
{
    return k == 0 ? term2(q, f->in[0], f->form_a) : term2(q, f->in[1], f->form_b);
}

/* in1, in2 are the kernel's inputs; in[0] and in[1] may hold them swapped */
static void fast_row(const void *ctx, const int8_t *in1, int32_t s1, const int8_t *in2,
                     int32_t s2, int8_t *out, int32_t n)
{
    const add_fast *f = (const add_fast *)ctx;
    const int8_t *a = f->swapped ? in2 : in1, *b = f->swapped ? in1 : in2;
    const int32_t sa = f->swapped ? s2 : s1, sb = f->swapped ? s1 : s2;
    int32_t i;
    if (sa == 1 && sb == 1) {
        if (f->form_a == SMMLAR) {
            both_mm(f, a, b, out, n);
        } else if (f->form_b == SHIFT) {
            both_ss(f, a, b, out, n);
        } else {
            (f->fold_ok ? both_sm_folded : both_sm)(f, a, b, out, n);
        }
    } else if (sa == 1 && sb == 0) {
        (f->form_a == SHIFT ? one_s : one_m)(f, &f->in[0], a, out, n, term_of(f, 1, *b));
    } else if (sa == 0 && sb == 1) {
        (f->form_b == SHIFT ? one_s : one_m)(f, &f->in[1], b, out, n, term_of(f, 0, *a));
    } else {
        for (i = 0; i < n; ++i) {
            out[i] = finish(term_of(f, 0, a[(size_t)i * sa]) + term_of(f, 1, b[(size_t)i * sb]),
                            f->out, f->full);
        }
    }
}

static void general_row(const void *ctx, const int8_t *a, int32_t sa, const int8_t *b,
                        int32_t sb, int8_t *out, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        out[i] = add_one((const ck_add_s8_params *)ctx, a[(size_t)i * sa], b[(size_t)i * sb]);
    }
}

/* form of one input on the fast path, or -1 */
static int input_form(int32_t m, int32_t shift)
{
    if (shift == 0 && m == (1 << 30)) {
        return SHIFT;
    }
    return shift < 0 && m >= 0 ? SMMLAR : -1;
}

static void set_input(add_input *c, int32_t zp, int32_t m, int32_t shift)
{
    c->zp = zp;
    c->zp20 = zp * (1 << 20);
    c->zp21 = zp * (1 << 21);
    c->m = m;
    c->r = shift < 0 ? -shift : 0;
    c->h = c->r > 0 ? (int32_t)(1u << (c->r - 1)) : 0;
    c->mh = m >> 16;
    c->ml = m & 0xffff;
}

/* 1 and the fast-path context, or 0 when a precondition fails */
static int fast_setup(const ck_add_s8_params *p, add_fast *f)
{
    const int f1 = input_form(p->input1_multiplier, p->input1_shift);
    const int f2 = input_form(p->input2_multiplier, p->input2_shift);
    int ok;
    if (p->left_shift != 20 || f1 < 0 || f2 < 0 || p->output_shift >= 0
        || p->output_multiplier < 0) {
        return 0;
    }
    f->p = p;
    f->swapped = f1 == SMMLAR && f2 == SHIFT;
    set_input(&f->in[f->swapped], p->input1_zp, p->input1_multiplier, p->input1_shift);
    set_input(&f->in[!f->swapped], p->input2_zp, p->input2_multiplier, p->input2_shift);
    f->form_a = f->swapped ? f2 : f1;
    f->form_b = f->swapped ? f1 : f2;
    /* |SMMULR(x << 21, m)| < 255 2^20 < 2^28 for an input; b's rounding constant may take
     * a's -zp 2^19 (times 2^r_b, as the shift by r_b follows) while the sum stays in int32 */
    f->b_folded = f->in[1];
    {
        const int64_t h = f->in[1].h - (int64_t)f->in[0].zp * ((int64_t)1 << (19 + f->in[1].r));
        f->fold_ok = f->form_a == SHIFT && f->form_b == SMMLAR
                     && ((int64_t)1 << 28) + (h < 0 ? -h : h) + 1 < ((int64_t)1 << 31);
        f->b_folded.h = f->fold_ok ? (int32_t)h : 0;
    }
    f->out.mo = p->output_multiplier;
    f->out.ro = -p->output_shift;
    f->out.lo = p->act_min;
    f->out.hi = p->act_max;
    /* |s2| <= 2 (255 2^20 + 255 2^20) < 2^30, so |SMMULR(s2, m_out)| <= 2^29 */
    f->out.co = ck_ew_fold_constant(f->out.ro, p->output_zp, (int64_t)1 << 29, &ok);
    f->full = p->act_min == -128 && p->act_max == 127;
    return ok;
}

ck_status ck_add_s8(const ck_add_s8_params *p, const ck_broadcast4 *s, const int8_t *in1,
                    const int8_t *in2, int8_t *out)
{
    ck_ew_nest nest;
    add_fast f;
    if (CK_ADD_S8_BAD(p, s, in1, in2, out)) {
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
