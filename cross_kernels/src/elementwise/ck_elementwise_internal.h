/*
 * ck_elementwise_internal.h - helpers shared by ck_add_s8.c and ck_mul_s8.c (not public API):
 * the broadcast loop nest with its dimensions collapsed, and the fixed-point steps of their
 * fast requantization paths.
 *
 * Fast requantization (both kernels), for shift < 0 and a multiplier m >= 0, after
 * common/ck_requant.h's identities:
 *   ck_srdhm(y, m) == SMMULR(2y, m) = (2ym + 2^31) >> 32        whenever 2y fits in int32;
 *   ck_rounding_divide_by_pot(s, r) == (s - [s < 0] + 2^(r-1)) >> r                for r >= 1.
 * [s < 0] may be replaced by [y < 0]: with m >= 0 the two differ only when s == 0 and y < 0,
 * and then (-1 + 2^(r-1)) >> r == 2^(r-1) >> r == 0. Any multiple of 2^r (an output zero
 * point times 2^r) may be added before the shift, so the kernels fold 2^(r-1) + zp 2^r into
 * one constant c and compute  (SMMLAR(2y, m, c) + (y >> 31)) >> r  : the requantized value
 * plus the zero point, exact as long as nothing overflows (the callers check the bounds once
 * per call and keep the general path otherwise).
 */
#ifndef CK_ELEMENTWISE_INTERNAL_H
#define CK_ELEMENTWISE_INTERNAL_H

#include <stdint.h>

#if defined(__GNUC__)
#define CK_EW_INLINE static inline __attribute__((always_inline))
#else
#define CK_EW_INLINE static inline
#endif

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__GNUC__)
#define CK_EW_DSP 1
#else
#define CK_EW_DSP 0
#endif

/* acc + ((a * b + 2^31) >> 32): one SMMLAR on DSP cores. clang selects it from the C (and can
 * then schedule and allocate around it); GCC 12 does not, so it gets the instruction. */
#if CK_EW_DSP && !defined(__clang__)
CK_EW_INLINE int32_t ck_ew_smmlar(int32_t a, int32_t b, int32_t acc)
{
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}
#else
CK_EW_INLINE int32_t ck_ew_smmlar(int32_t a, int32_t b, int32_t acc)
{
    return acc + (int32_t)(((int64_t)a * b + 0x80000000LL) >> 32);
}
#endif

CK_EW_INLINE int32_t ck_ew_clamp(int32_t v, int32_t lo, int32_t hi)
{
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

/* 2^(r-1) + zp 2^r for r in [1, 31], or 0 when |s| + |that| + 1 might leave int32 for some
 * |s| <= s_max; *ok reports which. */
static inline int32_t ck_ew_fold_constant(int32_t r, int32_t zp, int64_t s_max, int *ok)
{
    const int64_t c = ((int64_t)1 << (r - 1)) + (int64_t)zp * ((int64_t)1 << r);
    const int64_t mag = c < 0 ? -c : c;
    *ok = s_max + mag + 1 < ((int64_t)1 << 31);
    return *ok ? (int32_t)c : 0;
}

/* ---- the broadcast loop nest ------------------------------------------------------------
 * Adjacent dimensions merge when, for both inputs, stepping the outer one equals stepping
 * the inner one across its whole extent (same-shape tensors become one row, [1,1,1,C] against
 * [1,H,W,C] becomes H*W rows of C), and size-1 dimensions vanish. The row callback sees the
 * innermost merged dimension with its two element strides. */
typedef struct {
    int32_t n[4];              /* outermost first; n[3] is the row length */
    int32_t s1[4], s2[4];      /* element strides of each input */
} ck_ew_nest;

static inline void ck_ew_collapse(const int32_t *dims, const int32_t *st1, const int32_t *st2,
                                  ck_ew_nest *o)
{
    int32_t k = 3, i;
    for (i = 0; i < 4; ++i) {
        o->n[i] = 1;
        o->s1[i] = 0;
        o->s2[i] = 0;
    }
    for (i = 3; i >= 0; --i) {
        if (dims[i] == 1) {
            continue;
        }
        if (o->n[k] > 1 && st1[i] == o->s1[k] * o->n[k] && st2[i] == o->s2[k] * o->n[k]) {
            o->n[k] *= dims[i];
            continue;
        }
        if (o->n[k] > 1) {
            --k;
        }
        o->n[k] = dims[i];
        o->s1[k] = st1[i];
        o->s2[k] = st2[i];
    }
}

typedef void (*ck_ew_row_fn)(const void *ctx, const int8_t *a, int32_t sa, const int8_t *b,
                             int32_t sb, int8_t *out, int32_t n);

static inline void ck_ew_for_rows(const ck_ew_nest *l, const int8_t *in1, const int8_t *in2,
                                  int8_t *out, ck_ew_row_fn row, const void *ctx)
{
    int32_t i0, i1, i2;
    for (i0 = 0; i0 < l->n[0]; ++i0) {
        for (i1 = 0; i1 < l->n[1]; ++i1) {
            const int8_t *a = in1 + (size_t)i0 * l->s1[0] + (size_t)i1 * l->s1[1];
            const int8_t *b = in2 + (size_t)i0 * l->s2[0] + (size_t)i1 * l->s2[1];
            for (i2 = 0; i2 < l->n[2]; ++i2) {
                row(ctx, a, l->s1[3], b, l->s2[3], out, l->n[3]);
                out += l->n[3];
                a += l->s1[2];
                b += l->s2[2];
            }
        }
    }
}

#endif /* CK_ELEMENTWISE_INTERNAL_H */
