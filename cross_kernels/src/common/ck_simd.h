/*
 * ck_simd.h - the few Armv7E-M DSP operations our kernels use, behind one name each.
 *
 * On a core with the DSP extension (__ARM_FEATURE_DSP: Cortex-M4/M7/M33...) they map to the
 * Arm C Language Extensions intrinsics from <arm_acle.h> (ACLE sections 8.4.3 and 8.5:
 * __sxtb16, __sxtab16, __smlad, __smlabb, __smlatt, __ror). Defining CK_DSP_EMULATE on any
 * other compiler gives portable C with the same results, written from the instruction
 * descriptions in the Armv7-M Architecture Reference Manual (A7.7: SXTB16, SXTAB16, SMLAD,
 * SMLABB/SMLATT), so the DSP kernels' data layout and tails can be tested on the host.
 * Both define CK_HAVE_DSP. Accumulations wrap modulo 2^32 (the instructions only set Q).
 */
#ifndef CK_SIMD_H
#define CK_SIMD_H

#include <stdint.h>

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#define CK_HAVE_DSP 1

/* Rotate right by 8, written out: GCC 12's <arm_acle.h> has no __ror (found linking with
 * arm-none-eabi-gcc 12.2); both compilers fold this into the ROR operand of SXTB16/SXTAB16. */
static inline uint32_t ck_ror8(uint32_t x) { return (x >> 8) | (x << 24); }
/* (x[7:0], x[23:16]) sign-extended to two int16 halves */
static inline int32_t ck_sxtb16(int32_t x) { return __sxtb16(x); }
/* (x[15:8], x[31:24]) sign-extended: SXTB16 with its ROR #8 operand */
static inline int32_t ck_sxtb16_ror8(int32_t x) { return __sxtb16(ck_ror8((uint32_t)x)); }
/* per halfword: a + sign-extended byte, modulo 2^16 */
static inline int32_t ck_sxtab16(int32_t a, int32_t x) { return __sxtab16(a, x); }
static inline int32_t ck_sxtab16_ror8(int32_t a, int32_t x)
{
    return __sxtab16(a, ck_ror8((uint32_t)x));
}
/* acc + a.lo * b.lo + a.hi * b.hi */
static inline int32_t ck_smlad(int32_t a, int32_t b, int32_t acc) { return __smlad(a, b, acc); }
static inline int32_t ck_smlabb(int32_t a, int32_t b, int32_t acc) { return __smlabb(a, b, acc); }
static inline int32_t ck_smlatt(int32_t a, int32_t b, int32_t acc) { return __smlatt(a, b, acc); }

#elif defined(CK_DSP_EMULATE)
#define CK_HAVE_DSP 1

static inline int32_t ck_lo16(int32_t x) { return (int16_t)(uint16_t)((uint32_t)x & 0xFFFFu); }
static inline int32_t ck_hi16(int32_t x) { return (int16_t)(uint16_t)((uint32_t)x >> 16); }
static inline int32_t ck_pack16(int32_t lo, int32_t hi)
{
    return (int32_t)(((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16));
}
static inline int32_t ck_sxtab16(int32_t a, int32_t x)
{
    return ck_pack16(ck_lo16(a) + (int8_t)(uint8_t)x, ck_hi16(a) + (int8_t)(uint8_t)(x >> 16));
}
static inline int32_t ck_sxtab16_ror8(int32_t a, int32_t x)
{
    return ck_sxtab16(a, (int32_t)(((uint32_t)x >> 8) | ((uint32_t)x << 24)));
}
static inline int32_t ck_sxtb16(int32_t x) { return ck_sxtab16(0, x); }
static inline int32_t ck_sxtb16_ror8(int32_t x) { return ck_sxtab16_ror8(0, x); }
static inline int32_t ck_smlad(int32_t a, int32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(ck_lo16(a) * ck_lo16(b))
                     + (uint32_t)(ck_hi16(a) * ck_hi16(b)));
}
static inline int32_t ck_smlabb(int32_t a, int32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(ck_lo16(a) * ck_lo16(b)));
}
static inline int32_t ck_smlatt(int32_t a, int32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(ck_hi16(a) * ck_hi16(b)));
}
#endif

/* Keeps clang from unrolling a DSP inner loop whose body already fills the register file
 * (unrolling then spills accumulators to the stack on every iteration). */
#if defined(__clang__)
#define CK_NO_UNROLL _Pragma("clang loop unroll(disable)")
#else
#define CK_NO_UNROLL
#endif

#if defined(CK_HAVE_DSP)
/* Unaligned-safe 32-bit accesses (no libc needed); each compiles to one LDR/STR on Armv7-M,
 * which allows unaligned LDR/STR. */
static inline int32_t ck_read_s32(const void *p)
{
    int32_t v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}
static inline void ck_write_s32(void *p, int32_t v) { __builtin_memcpy(p, &v, sizeof v); }

/* an int16 value in both halfwords, for SXTAB16 offsets */
static inline int32_t ck_dup16(int32_t v)
{
    return (int32_t)(((uint32_t)v & 0xFFFFu) | ((uint32_t)v << 16));
}
#endif

#endif /* CK_SIMD_H */
