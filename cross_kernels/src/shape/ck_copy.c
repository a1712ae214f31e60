/* RESHAPE / SQUEEZE: a byte copy (see ck_shape.h). */
#include "ck_shape.h"

ck_status ck_copy(const void *src, void *dst, size_t nbytes)
{
    const uint8_t *s = (const uint8_t *)src;
    uint8_t *d = (uint8_t *)dst;
    size_t i;
    if (nbytes == 0 || s == d) {
        return CK_OK;
    }
    if (!s || !d) {
        return CK_ARG_ERROR;
    }
    if (d < s || d >= s + nbytes) {
        for (i = 0; i < nbytes; ++i) {
            d[i] = s[i];
        }
    } else {
        for (i = nbytes; i > 0; --i) {
            d[i - 1] = s[i - 1];
        }
    }
    return CK_OK;
}
