/*
 * ck_dot4.h - four int8 dot products sharing one int8 vector (not public API), for the Armv6-M
 * (Cortex-M0/M0+) conv and fully-connected kernels:
 *     acc[k] += sum_{i < n} w[k * stride + i] * (x[i] + off),   k = 0..3
 * (ck_dot4_rows: rows w, w + stride, w23, w23 + stride, so that two or three rows left at the
 * end of a matrix can run as [r0, r1, r0, r1] or [r0, r1, r1, r2] without reading past it)
 * Each x[i] is loaded and offset once for four multiply-accumulates. On Armv6-M the loop is
 * Thumb-1 assembly (LDRSB has only a register offset and the compilers run out of the eight
 * low registers: measured about 11-14 cycles per MAC from C): two index registers i and
 * i + stride over two row bases address the four rows, the accumulators live in r8-r11
 * (loaded from and stored back to acc) and the offset in lr, two elements per pass;
 * 38 + 4 cycles per 8 MACs on the TRM's timing
 * (LDRSB 2, MULS 1 on the fast multiplier, ADD 1, taken branch 2).
 * Elsewhere (host tests, other cores) the same sums in C: the sums are int32 either way, so
 * the bits cannot differ.
 */
#ifndef CK_DOT4_H
#define CK_DOT4_H

#include <stdint.h>

static inline void ck_dot4_rows_c(const int8_t *x, const int8_t *w, const int8_t *w23,
                                  int32_t stride, int32_t n, int32_t off, int32_t *acc)
{
    const int8_t *w1 = w + stride, *w2 = w23, *w3 = w23 + stride;
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int32_t i = 0; i < n; ++i) {
        const int32_t xi = x[i] + off;
        a0 += w[i] * xi;
        a1 += w1[i] * xi;
        a2 += w2[i] * xi;
        a3 += w3[i] * xi;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

#if defined(__ARM_ARCH_6M__) && defined(__GNUC__)
static inline void ck_dot4_rows(const int8_t *x, const int8_t *w, const int8_t *w23,
                                int32_t stride, int32_t n, int32_t off, int32_t *acc)
{
    const int32_t pairs = n & ~1;
    if (pairs > 0) {   /* eight low registers: t holds the offset until it is moved to lr */
        const int8_t *xe = x + pairs, *wa = w + pairs, *wb = w23 + pairs;
        int32_t i = -pairs, j = stride - pairs, xv, t = off;
        int32_t *ap = acc;
        __asm__ volatile(
            ".syntax unified\n\t"
            "mov lr, %[t]\n\t"
            "ldr %[x], [%[ap], #0]\n\t mov r8, %[x]\n\t"
            "ldr %[x], [%[ap], #4]\n\t mov r9, %[x]\n\t"
            "ldr %[x], [%[ap], #8]\n\t mov r10, %[x]\n\t"
            "ldr %[x], [%[ap], #12]\n\t mov r11, %[x]\n\t"
            "1:\n\t"
            "ldrsb %[x], [%[xe], %[i]]\n\t add %[x], lr\n\t"
            "ldrsb %[t], [%[wa], %[i]]\n\t muls %[t], %[x]\n\t add r8, %[t]\n\t"
            "ldrsb %[t], [%[wa], %[j]]\n\t muls %[t], %[x]\n\t add r9, %[t]\n\t"
            "ldrsb %[t], [%[wb], %[i]]\n\t muls %[t], %[x]\n\t add r10, %[t]\n\t"
            "ldrsb %[t], [%[wb], %[j]]\n\t muls %[t], %[x]\n\t add r11, %[t]\n\t"
            "adds %[i], #1\n\t adds %[j], #1\n\t"
            "ldrsb %[x], [%[xe], %[i]]\n\t add %[x], lr\n\t"
            "ldrsb %[t], [%[wa], %[i]]\n\t muls %[t], %[x]\n\t add r8, %[t]\n\t"
            "ldrsb %[t], [%[wa], %[j]]\n\t muls %[t], %[x]\n\t add r9, %[t]\n\t"
            "ldrsb %[t], [%[wb], %[i]]\n\t muls %[t], %[x]\n\t add r10, %[t]\n\t"
            "ldrsb %[t], [%[wb], %[j]]\n\t muls %[t], %[x]\n\t add r11, %[t]\n\t"
            "adds %[j], #1\n\t adds %[i], #1\n\t"
            "bne 1b\n\t"
            "mov %[x], r8\n\t str %[x], [%[ap], #0]\n\t"
            "mov %[x], r9\n\t str %[x], [%[ap], #4]\n\t"
            "mov %[x], r10\n\t str %[x], [%[ap], #8]\n\t"
            "mov %[x], r11\n\t str %[x], [%[ap], #12]\n\t"
            : [i] "+l"(i), [j] "+l"(j), [x] "=&l"(xv), [t] "+l"(t), [ap] "+l"(ap),
              [xe] "+l"(xe), [wa] "+l"(wa), [wb] "+l"(wb)
            :
            : "r8", "r9", "r10", "r11", "lr", "cc", "memory");
    }
    if (n & 1) {
        ck_dot4_rows_c(x + pairs, w + pairs, w23 + pairs, stride, 1, off, acc);
    }
}
#else
#define ck_dot4_rows ck_dot4_rows_c
#endif

/* the same for two rows, w and w + stride (the end of a matrix with 2 rows left) */
static inline void ck_dot2(const int8_t *x, const int8_t *w, int32_t stride, int32_t n,
                           int32_t off, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1], i = 0;
#if defined(__ARM_ARCH_6M__) && defined(__GNUC__)
    const int32_t pairs = n & ~1;
    if (pairs > 0) {   /* eight low registers; the offset in lr */
        const int8_t *xe = x + pairs, *we = w + pairs;
        int32_t j = stride - pairs, xv, t = off;   /* t: the offset, moved to lr, then scratch */
        i = -pairs;
        __asm__ volatile(
            ".syntax unified\n\t"
            "mov lr, %[t]\n\t"
            "1:\n\t"
            "ldrsb %[x], [%[xe], %[i]]\n\t add %[x], lr\n\t"
            "ldrsb %[t], [%[we], %[i]]\n\t muls %[t], %[x]\n\t adds %[a0], %[t]\n\t"
            "ldrsb %[t], [%[we], %[j]]\n\t muls %[t], %[x]\n\t adds %[a1], %[t]\n\t"
            "adds %[i], #1\n\t adds %[j], #1\n\t"
            "ldrsb %[x], [%[xe], %[i]]\n\t add %[x], lr\n\t"
            "ldrsb %[t], [%[we], %[i]]\n\t muls %[t], %[x]\n\t adds %[a0], %[t]\n\t"
            "ldrsb %[t], [%[we], %[j]]\n\t muls %[t], %[x]\n\t adds %[a1], %[t]\n\t"
            "adds %[j], #1\n\t adds %[i], #1\n\t"
            "bne 1b\n\t"
            : [i] "+l"(i), [j] "+l"(j), [x] "=&l"(xv), [t] "+l"(t), [a0] "+l"(a0),
              [a1] "+l"(a1)
            : [xe] "l"(xe), [we] "l"(we)
            : "lr", "cc", "memory");
        i = pairs;
    }
#endif
    for (; i < n; ++i) {
        const int32_t xi = x[i] + off;
        a0 += w[i] * xi;
        a1 += w[stride + i] * xi;
    }
    acc[0] = a0;
    acc[1] = a1;
}

static inline void ck_dot4(const int8_t *x, const int8_t *w, int32_t stride, int32_t n,
                           int32_t off, int32_t *acc)
{
    ck_dot4_rows(x, w, w + 2 * stride, stride, n, off, acc);
}

#endif /* CK_DOT4_H */
