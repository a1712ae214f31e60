/*
 * DEPTHWISE_CONV_2D int8 for cores with the DSP extension, depth_multiplier == 1.
 *
 * Channels are contiguous, so four channels share one 4-byte load of the input and of the
 * filter. SXTAB16 (with the input offset) and SXTB16 split each word into the even and odd
 * channels as int16 pairs, and SMLABB / SMLATT multiply-accumulate the bottom / top halves
 * into four per-channel accumulators. SMLAD does not fit here: it would add two different
 * channels together (pairing two taps of one channel instead costs a PKHBT per pair, which
 * on the M7 issues in the same slot as the extends and saves nothing). Per tap and four
 * channels: 2 LDR, 4 extends, 4 MACs; no scratch.
 *
 * Two paths per output pixel:
 *  - 3x3 (k 3x3, dilation 1, and the layer passes ck_fast_requant_ok) with at least 2 x 2
 *    taps of the window inside the image: the valid taps (9 interior; 6 or 4 on the border)
 *    fully unrolled, for GNU C on a DSP core in inline assembly with a fixed schedule (below),
 *    then ck_requant_fast and one 32-bit store of four clamped bytes (SSUB8 + SEL against
 *    act_min and act_max). Only taps inside the image are read;
 *  - everything else (1-wide windows, other kernel sizes, dilation): a tap loop over the valid
 *    part of the window, requantized by ck_requant_fast when the layer allows, else
 *    ck_requant_s8.
 * The accumulators start at the bias. The last in_c % 4 channels use scalar code; other depth
 * multipliers use the portable kernel.
 */
#include "ck_conv_internal.h"
#include "../common/ck_simd.h"

#if defined(CK_HAVE_DSP)

typedef struct {
    const int8_t *x;   /* input at the first valid tap, channel 0 */
    const int8_t *w;   /* filter at the first valid tap, channel 0 */
    int32_t rows, cols;            /* valid taps in y and x */
    int32_t x_step, x_row_step;    /* bytes between taps in x, and from a row's end to the next */
    int32_t w_row_step;            /* filter: from a row's end to the next */
} ck_window;

/* per-layer constants */
typedef struct {
    const int8_t *filter;
    const int32_t *bias, *mult, *shift;
    int32_t ch, off2, pc, oo, lo, hi;
    int32_t fast;              /* ck_fast_requant_ok held for the layer */
    int32_t oo2p1, lo4, hi4;   /* 2 * oo + 1; act_min and act_max in each byte */
    int32_t mult4[4], shift4[4];   /* per-tensor: the one multiplier and shift, four times */
} ck_dw_layer;

static inline int32_t ck_dup8(int32_t v)
{
    return (int32_t)(((uint32_t)v & 0xFFu) * 0x01010101u);
}

#if !(defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__GNUC__))
/* four int8 values (each in [-128, 127]) clamped to [act_min, act_max] per byte (what SSUB8 +
 * SEL do in the assembly of ck_requant4_store), one 32-bit store */
static inline void ck_store4(int8_t *out, int32_t r0, int32_t r1, int32_t r2, int32_t r3,
                             int32_t lo4, int32_t hi4)
{
    const int32_t v[4] = {r0, r1, r2, r3};
    uint32_t word = 0;
    for (int i = 0; i < 4; ++i) {
        const int32_t lo = (int8_t)(uint8_t)((uint32_t)lo4 >> (8 * i));
        const int32_t hi = (int8_t)(uint8_t)((uint32_t)hi4 >> (8 * i));
        const int32_t b = v[i] < lo ? lo : (v[i] > hi ? hi : v[i]);
        word |= ((uint32_t)b & 0xFFu) << (8 * i);
    }
    ck_write_s32(out, (int32_t)word);
}
#endif

/* ck_requant_fast of four accumulators (multipliers / shifts at mp[0..3] / sp[0..3]), then
 * ck_store4. GNU C on a DSP core: one block, ordered so that the M7 pairs each SMMULR (a
 * multiply: never with another) with a load or ALU step; the C below is the same. */
static inline void ck_requant4_store(int8_t *out, int32_t a0, int32_t a1, int32_t a2,
                                     int32_t a3, const int32_t *mp, const int32_t *sp,
                                     int32_t oo2p1, int32_t lo4, int32_t hi4)
{
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__GNUC__)
    int32_t m, s, m2, s2;
    __asm__(
            "ldr    %[m], [%[mp]]\n\t"
            "ldr    %[s], [%[sp]]\n\t"
            "lsl    %[a0], %[a0], #1\n\t"
            "ldr    %[m2], [%[mp], #4]\n\t"
            "smmulr %[a0], %[a0], %[m]\n\t"
            "ldr    %[s2], [%[sp], #4]\n\t"
            "lsl    %[a1], %[a1], #1\n\t"
            "mvn    %[s], %[s]\n\t"
            "smmulr %[a1], %[a1], %[m2]\n\t"
            "ldr    %[m], [%[mp], #8]\n\t"
            "add    %[a0], %[a0], %[a0], asr #31\n\t"
            "mvn    %[s2], %[s2]\n\t"
            "asr    %[a0], %[a0], %[s]\n\t"
            "ldr    %[s], [%[sp], #8]\n\t"
            "add    %[a1], %[a1], %[a1], asr #31\n\t"
            "lsl    %[a2], %[a2], #1\n\t"
            "asr    %[a1], %[a1], %[s2]\n\t"
            "ldr    %[m2], [%[mp], #12]\n\t"
            "smmulr %[a2], %[a2], %[m]\n\t"
            "ldr    %[s2], [%[sp], #12]\n\t"
            "lsl    %[a3], %[a3], #1\n\t"
            "mvn    %[s], %[s]\n\t"
            "smmulr %[a3], %[a3], %[m2]\n\t"
            "add    %[a0], %[a0], %[oo]\n\t"
            "ssat   %[a0], #8, %[a0], asr #1\n\t"
            "add    %[a2], %[a2], %[a2], asr #31\n\t"
            "mvn    %[s2], %[s2]\n\t"
            "asr    %[a2], %[a2], %[s]\n\t"
            "add    %[a3], %[a3], %[a3], asr #31\n\t"
            "add    %[a1], %[a1], %[oo]\n\t"
            "asr    %[a3], %[a3], %[s2]\n\t"
            "ssat   %[a1], #8, %[a1], asr #1\n\t"
            "add    %[a2], %[a2], %[oo]\n\t"
            "ssat   %[a2], #8, %[a2], asr #1\n\t"
            "add    %[a3], %[a3], %[oo]\n\t"
            "ssat   %[a3], #8, %[a3], asr #1\n\t"
            "bfi    %[a0], %[a1], #8, #8\n\t"
            "bfi    %[a0], %[a2], #16, #8\n\t"
            "bfi    %[a0], %[a3], #24, #8\n\t"
            "ssub8  %[s], %[a0], %[lo]\n\t"      /* GE per byte: v >= act_min */
            "sel    %[a0], %[a0], %[lo]\n\t"
            "ssub8  %[s], %[hi], %[a0]\n\t"      /* GE per byte: act_max >= v */
            "sel    %[a0], %[a0], %[hi]"
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [m] "=&r"(m),
              [s] "=&r"(s), [m2] "=&r"(m2), [s2] "=&r"(s2)
            : [mp] "r"(mp), [sp] "r"(sp), [oo] "r"(oo2p1), [lo] "r"(lo4), [hi] "r"(hi4)
            : "cc", "memory");
    ck_write_s32(out, a0);
#else
    ck_store4(out, ck_requant_fast(a0, mp[0], sp[0], oo2p1),
              ck_requant_fast(a1, mp[1], sp[1], oo2p1), ck_requant_fast(a2, mp[2], sp[2], oo2p1),
              ck_requant_fast(a3, mp[3], sp[3], oo2p1), lo4, hi4);
#endif
}

static inline int8_t ck_dw_requant(const ck_dw_layer *L, int32_t acc, int32_t m, int32_t s)
{
    if (L->fast) {
        const int32_t r = ck_requant_fast(acc, m, s, L->oo2p1);
        return (int8_t)(r < L->lo ? L->lo : (r > L->hi ? L->hi : r));
    }
    return ck_requant_s8(acc, m, s, L->oo, L->lo, L->hi);
}

/* one tap of four channels: input word at px, filter word at pw */
#define CK_DW_TAP(px, pw)                                                                    \
    do {                                                                                     \
        const int32_t x_ = ck_read_s32(px), w_ = ck_read_s32(pw);                            \
        const int32_t xe_ = ck_sxtab16(off2, x_), xo_ = ck_sxtab16_ror8(off2, x_);           \
        const int32_t we_ = ck_sxtb16(w_), wo_ = ck_sxtb16_ror8(w_);                         \
        a0 = ck_smlabb(xe_, we_, a0);                                                        \
        a2 = ck_smlatt(xe_, we_, a2);                                                        \
        a1 = ck_smlabb(xo_, wo_, a1);                                                        \
        a3 = ck_smlatt(xo_, wo_, a3);                                                        \
    } while (0)

/* acc[0..3] += n taps of four channels, input / filter stepping by ch bytes (one window row
 * at dilation 1). GNU C on a DSP core: a fixed 13-register loop (no spills); else C. */
static inline void ck_dw_row4(const int8_t *xp, const int8_t *wp, int32_t n, int32_t ch,
                              int32_t off2, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__GNUC__)
    int32_t xr, wr, xo, wo;
    __asm__ volatile(
        "1:\n\t"
        "ldr     %[xr], [%[xp]]\n\t"
        "ldr     %[wr], [%[wp]]\n\t"
        "sxtab16 %[xo], %[off2], %[xr], ror #8\n\t"
        "add     %[xp], %[xp], %[ch]\n\t"
        "sxtb16  %[wo], %[wr], ror #8\n\t"
        "add     %[wp], %[wp], %[ch]\n\t"
        "sxtab16 %[xr], %[off2], %[xr]\n\t"
        "smlabb  %[a1], %[xo], %[wo], %[a1]\n\t"
        "sxtb16  %[wr], %[wr]\n\t"
        "smlatt  %[a3], %[xo], %[wo], %[a3]\n\t"
        "subs    %[n], %[n], #1\n\t"
        "smlabb  %[a0], %[xr], %[wr], %[a0]\n\t"
        "smlatt  %[a2], %[xr], %[wr], %[a2]\n\t"
        "bne     1b\n\t"
        : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [xp] "+r"(xp),
          [wp] "+r"(wp), [n] "+r"(n), [xr] "=&r"(xr), [wr] "=&r"(wr), [xo] "=&r"(xo),
          [wo] "=&r"(wo)
        : [ch] "r"(ch), [off2] "r"(off2)
        : "cc", "memory");
#else
    for (; n > 0; --n, xp += ch, wp += ch) {
        CK_DW_TAP(xp, wp);
    }
#endif
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* General pixel: the valid part of any window, channels 0 .. ch & ~3. */
__attribute__((noinline)) static void ck_dw_pixel(const ck_dw_layer *L, const ck_window *win,
                                                  int8_t *out)
{
    const int32_t ch = L->ch, off2 = L->off2, pc = L->pc;
    const int32_t *bias = L->bias, *mult = L->mult, *shift = L->shift;
    const int32_t *m4 = pc ? mult : L->mult4, *s4 = pc ? shift : L->shift4;
    const int row_loop = win->x_step == ch && win->rows > 0;
    for (int32_t c = 0; c + 4 <= ch; c += 4) {
        int32_t a[4] = {0, 0, 0, 0};
        if (bias) {
            a[0] = bias[c];
            a[1] = bias[c + 1];
            a[2] = bias[c + 2];
            a[3] = bias[c + 3];
        }
        const int8_t *xp = win->x + c, *wp = win->w + c;
        if (row_loop) {   /* dilation_w 1: each window row is one run of taps ch apart */
            const int32_t xr = win->x_row_step + win->cols * ch;
            const int32_t wr = win->w_row_step + win->cols * ch;
            for (int32_t ky = win->rows; ky > 0; --ky, xp += xr, wp += wr) {
                ck_dw_row4(xp, wp, win->cols, ch, off2, a);
            }
        } else {
            int32_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
            for (int32_t ky = win->rows; ky > 0; --ky) {
                for (int32_t kx = win->cols; kx > 0; --kx) {
                    CK_DW_TAP(xp, wp);
                    xp += win->x_step;
                    wp += ch;
                }
                xp += win->x_row_step;
                wp += win->w_row_step;
            }
            a[0] = a0;
            a[1] = a1;
            a[2] = a2;
            a[3] = a3;
        }
        if (L->fast) {
            const int32_t q = pc ? c : 0;
            ck_requant4_store(out + c, a[0], a[1], a[2], a[3], m4 + q, s4 + q, L->oo2p1, L->lo4,
                              L->hi4);
            continue;
        }
        const int32_t *m = pc ? mult + c : mult, *s = pc ? shift + c : shift;
        const int32_t i = pc ? 1 : 0;
        out[c] = ck_requant_s8(a[0], m[0], s[0], L->oo, L->lo, L->hi);
        out[c + 1] = ck_requant_s8(a[1], m[i], s[i], L->oo, L->lo, L->hi);
        out[c + 2] = ck_requant_s8(a[2], m[2 * i], s[2 * i], L->oo, L->lo, L->hi);
        out[c + 3] = ck_requant_s8(a[3], m[3 * i], s[3 * i], L->oo, L->lo, L->hi);
    }
}

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__GNUC__)
/*
 * One tap of the 3x3 schedule. The raw input / filter words of this tap are in P / Q; R and
 * S are free and receive the next tap's words (loaded at [xp] / [wp] after both pointers
 * step: wp by WSTEP, xp by XSTEP, both operand text: ch within a window row, the row step
 * after a row's last tap). Per tap on the M7: the four extends are slot-0 instructions that
 * cannot pair with each other, so each takes the older slot of a cycle, with a pointer step
 * or a MAC as the younger; the MACs on P / Q pair with the two loads. Six cycles per tap,
 * 13 registers, nothing spills.
 */
#define CK_DW3_TAPW(P, Q, R, S, XSTEP, WSTEP)                                                \
    "sxtab16 %[" R "], %[off2], %[" P "], ror #8\n\t"                                        \
    "add     %[wp], %[wp], " WSTEP "\n\t"                                                    \
    "sxtb16  %[" S "], %[" Q "], ror #8\n\t"                                                 \
    "add     %[xp], %[xp], " XSTEP "\n\t"                                                    \
    "sxtab16 %[" P "], %[off2], %[" P "]\n\t"                                                \
    "smlabb  %[a1], %[" R "], %[" S "], %[a1]\n\t"                                           \
    "sxtb16  %[" Q "], %[" Q "]\n\t"                                                         \
    "smlatt  %[a3], %[" R "], %[" S "], %[a3]\n\t"                                           \
    "smlabb  %[a0], %[" P "], %[" Q "], %[a0]\n\t"                                           \
    "ldr     %[" R "], [%[xp]]\n\t"                                                          \
    "ldr     %[" S "], [%[wp]]\n\t"                                                          \
    "smlatt  %[a2], %[" P "], %[" Q "], %[a2]\n\t"
/* taps inside a window row; the last tap of a 3-column row; of a 2-column row (the filter
 * skips the missing column) */
#define CK_DW3_T(P, Q, R, S) CK_DW3_TAPW(P, Q, R, S, "%[ch]", "%[ch]")
#define CK_DW3_R3(P, Q, R, S) CK_DW3_TAPW(P, Q, R, S, "%[rs]", "%[ch]")
#define CK_DW3_R2(P, Q, R, S) CK_DW3_TAPW(P, Q, R, S, "%[rs]", "%[ch], lsl #1")
#define CK_DW3_LAST(P, Q, R, S)                                                              \
    "sxtab16 %[" R "], %[off2], %[" P "], ror #8\n\t"                                        \
    "sxtb16  %[" S "], %[" Q "], ror #8\n\t"                                                 \
    "sxtab16 %[" P "], %[off2], %[" P "]\n\t"                                                \
    "smlabb  %[a1], %[" R "], %[" S "], %[a1]\n\t"                                           \
    "sxtb16  %[" Q "], %[" Q "]\n\t"                                                         \
    "smlatt  %[a3], %[" R "], %[" S "], %[a3]\n\t"                                           \
    "smlabb  %[a0], %[" P "], %[" Q "], %[a0]\n\t"                                           \
    "smlatt  %[a2], %[" P "], %[" Q "], %[a2]\n\t"
#define CK_DW3_ASM(TAPS)                                                                     \
    __asm__("ldr     %[ta], [%[xp]]\n\t"                                                     \
            "ldr     %[tb], [%[wp]]\n\t"                                                     \
            TAPS                                                                             \
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),                    \
              [xp] "+r"(xp), [wp] "+r"(wp),                                                  \
              [ta] "=&r"(ta), [tb] "=&r"(tb), [tc] "=&r"(tc), [td] "=&r"(td)                 \
            : [ch] "r"(ch), [rs] "r"(rs), [off2] "r"(off2)                                   \
            : "memory")
#define CK_DW3_DECL int32_t ta, tb, tc, td
#define CK_DW3_FIXED 1
#else
#define CK_DW3_FIXED 0
#endif

/*
 * A 3x3 window (dilation 1) of which ROWS x COLS taps (each 2 or 3) lie inside the image,
 * channels 0 .. ch & ~3: x / w = input / filter at the first valid tap, channel 0; rs = input
 * bytes from a window row's last valid tap to the next row's first. Interior pixels are the
 * 3x3 case; the border ones take the same unrolled schedule over their valid taps only (no
 * tap outside the image is read). Kept out of line and small so that the compiler has
 * registers for the schedule above.
 */
#define CK_DW3_PIXEL_FN(NAME, ROWS, COLS, TAPS)                                              \
    __attribute__((noinline)) static void NAME(const ck_dw_layer *L, const int8_t *x,          \
                                               const int8_t *w, int32_t rs, int8_t *out)     \
    {                                                                                        \
        const int32_t *bp = L->bias, *mp = L->pc ? L->mult : L->mult4;                       \
        const int32_t *sp = L->pc ? L->shift : L->shift4;                                    \
        const int32_t ch = L->ch, off2 = L->off2, oo2p1 = L->oo2p1;                          \
        const int32_t q4 = L->pc ? 4 : 0;                                                    \
        for (int32_t g = ch >> 2; g > 0; --g, x += 4, w += 4, out += 4, mp += q4, sp += q4) { \
            int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;                                          \
            if (bp) {                                                                        \
                a0 = bp[0];                                                                  \
                a1 = bp[1];                                                                  \
                a2 = bp[2];                                                                  \
                a3 = bp[3];                                                                  \
                bp += 4;                                                                     \
            }                                                                                \
            const int8_t *xp = x, *wp = w;                                                   \
            if (CK_DW3_FIXED) {                                                              \
                CK_DW3_BODY(TAPS);                                                           \
            } else {                                                                         \
                for (int32_t ky = 0; ky < (ROWS); ++ky) {                                    \
                    for (int32_t kx = 0; kx < (COLS); ++kx, xp += ch, wp += ch) {            \
                        CK_DW_TAP(xp, wp);                                                   \
                    }                                                                        \
                    xp += rs - ch;                                                           \
                    wp += (3 - (COLS)) * ch;                                                 \
                }                                                                            \
            }                                                                                \
            ck_requant4_store(out, a0, a1, a2, a3, mp, sp, oo2p1, L->lo4, L->hi4);           \
        }                                                                                    \
    }

#if CK_DW3_FIXED
#define CK_DW3_BODY(TAPS)                                                                    \
    do {                                                                                     \
        CK_DW3_DECL;                                                                         \
        CK_DW3_ASM(TAPS);                                                                    \
    } while (0)
#define CK_DW3_SEQ(...) __VA_ARGS__
#else
#define CK_DW3_BODY(TAPS) ((void)0)
#define CK_DW3_SEQ(...) 0
#endif

CK_DW3_PIXEL_FN(ck_dw_pixel_3x3, 3, 3,
                CK_DW3_SEQ(CK_DW3_T("ta", "tb", "tc", "td") CK_DW3_T("tc", "td", "ta", "tb")
                           CK_DW3_R3("ta", "tb", "tc", "td") CK_DW3_T("tc", "td", "ta", "tb")
                           CK_DW3_T("ta", "tb", "tc", "td") CK_DW3_R3("tc", "td", "ta", "tb")
                           CK_DW3_T("ta", "tb", "tc", "td") CK_DW3_T("tc", "td", "ta", "tb")
                           CK_DW3_LAST("ta", "tb", "tc", "td")))
CK_DW3_PIXEL_FN(ck_dw_pixel_2x3, 2, 3,
                CK_DW3_SEQ(CK_DW3_T("ta", "tb", "tc", "td") CK_DW3_T("tc", "td", "ta", "tb")
                           CK_DW3_R3("ta", "tb", "tc", "td") CK_DW3_T("tc", "td", "ta", "tb")
                           CK_DW3_T("ta", "tb", "tc", "td")
                           CK_DW3_LAST("tc", "td", "ta", "tb")))
CK_DW3_PIXEL_FN(ck_dw_pixel_3x2, 3, 2,
                CK_DW3_SEQ(CK_DW3_T("ta", "tb", "tc", "td") CK_DW3_R2("tc", "td", "ta", "tb")
                           CK_DW3_T("ta", "tb", "tc", "td") CK_DW3_R2("tc", "td", "ta", "tb")
                           CK_DW3_T("ta", "tb", "tc", "td")
                           CK_DW3_LAST("tc", "td", "ta", "tb")))
CK_DW3_PIXEL_FN(ck_dw_pixel_2x2, 2, 2,
                CK_DW3_SEQ(CK_DW3_T("ta", "tb", "tc", "td") CK_DW3_R2("tc", "td", "ta", "tb")
                           CK_DW3_T("ta", "tb", "tc", "td")
                           CK_DW3_LAST("tc", "td", "ta", "tb")))

/* the channels after the last group of four, any window (scalar) */
__attribute__((noinline)) static void ck_dw_tail(const ck_dw_layer *L, const ck_window *win,
                                                 int8_t *out)
{
    const int32_t ch = L->ch, off = (int16_t)L->off2;
    for (int32_t c = ch & ~3; c < ch; ++c) {
        int32_t acc = L->bias ? L->bias[c] : 0;
        const int8_t *xp = win->x + c, *wp = win->w + c;
        for (int32_t ky = win->rows; ky > 0; --ky) {
            for (int32_t kx = win->cols; kx > 0; --kx) {
                acc += *wp * (*xp + off);
                xp += win->x_step;
                wp += ch;
            }
            xp += win->x_row_step;
            wp += win->w_row_step;
        }
        const int32_t q = L->pc ? c : 0;
        out[c] = ck_dw_requant(L, acc, L->mult[q], L->shift[q]);
    }
}

#endif /* CK_HAVE_DSP */

ck_status ck_depthwise_conv_s8_dsp(const ck_conv_params *p, const int8_t *input,
                                   const int8_t *filter, const int32_t *bias,
                                   const int32_t *multiplier, const int32_t *shift,
                                   int8_t *output)
{
#if defined(CK_HAVE_DSP)
    const ck_status st = ck_conv_check_args(p, 1, input, filter, multiplier, shift, output);
    if (st != CK_OK) {
        return st;
    }
    if (p->depth_multiplier != 1) {
        return ck_depthwise_conv_s8(p, input, filter, bias, multiplier, shift, output);
    }
    const int32_t ch = p->out_c;
    ck_dw_layer L;
    L.filter = filter;
    L.bias = bias;
    L.mult = multiplier;
    L.shift = shift;
    L.ch = ch;
    L.off2 = ck_dup16(p->input_offset);
    L.pc = p->per_channel;
    L.oo = p->output_offset;
    L.lo = p->act_min;
    L.hi = p->act_max;
    L.fast = ck_fast_requant_ok(bias, ch, shift, L.pc ? ch : 1, (int64_t)p->k_h * p->k_w);
    L.oo2p1 = 2 * L.oo + 1;
    L.lo4 = ck_dup8(L.lo);
    L.hi4 = ck_dup8(L.hi);
    for (int i = 0; i < 4; ++i) {
        L.mult4[i] = multiplier[0];
        L.shift4[i] = shift[0];
    }
    /* 3x3 windows at dilation 1 with at least 2 x 2 taps inside: the unrolled schedule */
    const int fixed3 = L.fast && p->k_h == 3 && p->k_w == 3 && p->dilation_h == 1 &&
                       p->dilation_w == 1;
    int8_t *out = output;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * p->in_h * p->in_w * ch;
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            int32_t ky0, ky1;
            ck_valid_taps(iy0, p->dilation_h, p->in_h, p->k_h, &ky0, &ky1);
            for (int32_t ox = 0; ox < p->out_w; ++ox, out += ch) {
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                int32_t kx0, kx1;
                ck_valid_taps(ix0, p->dilation_w, p->in_w, p->k_w, &kx0, &kx1);
                ck_window win;
                win.rows = ky1 > ky0 ? ky1 - ky0 : 0;
                win.cols = kx1 > kx0 ? kx1 - kx0 : 0;
                if (win.cols == 0) {
                    win.rows = 0;
                }
                win.x = image + ((iy0 + ky0 * p->dilation_h) * p->in_w + ix0 +
                                 kx0 * p->dilation_w) * ch;
                win.w = filter + (ky0 * p->k_w + kx0) * ch;
                if (fixed3 && win.rows >= 2 && win.cols >= 2) {
                    const int32_t rs = (p->in_w - win.cols + 1) * ch;
                    if (win.rows == 3) {
                        (win.cols == 3 ? ck_dw_pixel_3x3 : ck_dw_pixel_3x2)(&L, win.x, win.w, rs,
                                                                             out);
                    } else {
                        (win.cols == 3 ? ck_dw_pixel_2x3 : ck_dw_pixel_2x2)(&L, win.x, win.w, rs,
                                                                             out);
                    }
                } else {
                    win.x_step = p->dilation_w * ch;
                    win.x_row_step = p->dilation_h * p->in_w * ch - win.cols * win.x_step;
                    win.w_row_step = p->k_w * ch - win.cols * ch;
                    ck_dw_pixel(&L, &win, out);
                }
                if (ch & 3) {
                    win.x_step = p->dilation_w * ch;
                    win.x_row_step = p->dilation_h * p->in_w * ch - win.cols * win.x_step;
                    win.w_row_step = p->k_w * ch - win.cols * ch;
                    ck_dw_tail(&L, &win, out);
                }
            }
        }
    }
    return CK_OK;
#else
    return ck_depthwise_conv_s8(p, input, filter, bias, multiplier, shift, output);
#endif
}
