/* Shared by the binary kernels: popcount, one conv output's accumulator. */
#ifndef CK_BINARY_INTERNAL_H
#define CK_BINARY_INTERNAL_H

#include "ck_binary.h"
#include "../common/ck_check.h"

/* SWAR popcount (see ck_binary.h for why not an instruction). */
static inline int32_t ck_popcount32(uint32_t x)
{
    x = x - ((x >> 1) & 0x55555555u);
    x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
    x = (x + (x >> 4)) & 0x0F0F0F0Fu;
    return (int32_t)((x * 0x01010101u) >> 24);
}

/* k_h * k_w * in_c - 2 * popcount over the window of output (n, oy, ox), channel oc. */
static inline int32_t ck_bconv_acc(const ck_bconv_params *p, const uint32_t *input,
                                   const uint32_t *filter, int32_t n, int32_t oy, int32_t ox,
                                   int32_t oc)
{
    const int32_t words = CK_BINARY_WORDS(p->in_c);
    const uint32_t *f = filter + (size_t)oc * p->k_h * p->k_w * words;
    int32_t pop = 0;
    for (int32_t ky = 0; ky < p->k_h; ++ky) {
        const int32_t iy = oy * p->stride_h - p->pad_top + ky;
        for (int32_t kx = 0; kx < p->k_w; ++kx, f += words) {
            const int32_t ix = ox * p->stride_w - p->pad_left + kx;
            if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
                for (int32_t k = 0; k < words; ++k) {   /* +1 padding: x word is 0 */
                    pop += ck_popcount32(f[k]);
                }
                continue;
            }
            const uint32_t *x = input + (((size_t)n * p->in_h + iy) * p->in_w + ix) * words;
            for (int32_t k = 0; k < words; ++k) {
                pop += ck_popcount32(x[k] ^ f[k]);
            }
        }
    }
    return p->k_h * p->k_w * p->in_c - 2 * pop;
}

/* Gather the window of output (n, oy, ox) into patch [k_h, k_w, words], 0 words (= +1) in the
 * padding, so every output channel is one branch-free XOR-popcount over k_h * k_w * words. */
#define CK_BCONV_PATCH_WORDS 128   /* 512 bytes of stack */

static inline void ck_bconv_fill_patch(const ck_bconv_params *p, const uint32_t *input, int32_t n,
                                       int32_t oy, int32_t ox, uint32_t *patch)
{
    const int32_t words = CK_BINARY_WORDS(p->in_c);
    for (int32_t ky = 0; ky < p->k_h; ++ky) {
        const int32_t iy = oy * p->stride_h - p->pad_top + ky;
        for (int32_t kx = 0; kx < p->k_w; ++kx, patch += words) {
            const int32_t ix = ox * p->stride_w - p->pad_left + kx;
            const int inside = iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w;
            const uint32_t *x = input + (((size_t)n * p->in_h + iy) * p->in_w + ix) * words;
            for (int32_t k = 0; k < words; ++k) {
                patch[k] = inside ? x[k] : 0u;
            }
        }
    }
}

static inline int32_t ck_bdot(const uint32_t *a, const uint32_t *b, int32_t count, int32_t bits)
{
    int32_t pop = 0;
    for (int32_t k = 0; k < count; ++k) {
        pop += ck_popcount32(a[k] ^ b[k]);
    }
    return bits - 2 * pop;
}

/* acc of every output channel at (n, oy, ox): through a patch when it fits the stack budget. */
static inline void ck_bconv_pixel(const ck_bconv_params *p, const uint32_t *input,
                                  const uint32_t *filter, int32_t n, int32_t oy, int32_t ox,
                                  int32_t oc_begin, int32_t oc_end, int32_t *acc)
{
    const int32_t patch_words = p->k_h * p->k_w * CK_BINARY_WORDS(p->in_c);
    if (patch_words <= CK_BCONV_PATCH_WORDS) {
        uint32_t patch[CK_BCONV_PATCH_WORDS];
        const int32_t bits = p->k_h * p->k_w * p->in_c;
        ck_bconv_fill_patch(p, input, n, oy, ox, patch);
        for (int32_t oc = oc_begin; oc < oc_end; ++oc) {
            acc[oc - oc_begin] = ck_bdot(patch, filter + (size_t)oc * patch_words, patch_words, bits);
        }
        return;
    }
    for (int32_t oc = oc_begin; oc < oc_end; ++oc) {
        acc[oc - oc_begin] = ck_bconv_acc(p, input, filter, n, oy, ox, oc);
    }
}

static inline int32_t ck_bfc_acc(const ck_bfc_params *p, const uint32_t *x, const uint32_t *w)
{
    int32_t pop = 0;
    for (int32_t k = 0; k < p->in_words; ++k) {
        pop += ck_popcount32(x[k] ^ w[k]);
    }
    return p->in_features - 2 * pop;
}

#endif /* CK_BINARY_INTERNAL_H */
