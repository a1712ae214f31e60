/* Semihosting calls and a libc-free print helper. See ck_runtime.h for the operation numbers. */
#include <stdarg.h>
#include "ck_runtime.h"

#define SYS_WRITEC 0x03
#define SYS_WRITE0 0x04
#define SYS_WRITE 0x05
#define SYS_EXIT 0x18
#define SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026
/* mcusim's own operation numbers live in the 0x100-0x1FF range the semihosting spec
 * reserves for "implementation-defined" uses. */
#define MCUSIM_REGION_BEGIN 0x100
#define MCUSIM_REGION_END 0x101

static inline int32_t semihost(int32_t op, const void *arg)
{
    register int32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void ck_putc(char c) { semihost(SYS_WRITEC, &c); }

void ck_puts(const char *s) { semihost(SYS_WRITE0, s); }

void ck_write(const void *buf, size_t len)
{
    uint32_t block[3] = {1u, (uint32_t)(uintptr_t)buf, (uint32_t)len};
    semihost(SYS_WRITE, block);
}

void ck_exit(int status)
{
    uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
    semihost(SYS_EXIT_EXTENDED, block);
    for (;;) {
    }
}

void ck_region_begin(const char *name) { semihost(MCUSIM_REGION_BEGIN, name); }
void ck_region_end(const char *name) { semihost(MCUSIM_REGION_END, name); }

static char *fmt_uint(char *end, uint32_t v, unsigned base, int upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        *--end = digits[v % base];
        v /= base;
    } while (v);
    return end;
}

static void emit_padded(const char *s, const char *end, int width, char pad, int negative)
{
    int len = (int)(end - s) + negative;
    if (negative && pad == '0') {
        ck_putc('-');
    }
    for (; len < width; len++) {
        ck_putc(pad);
    }
    if (negative && pad != '0') {
        ck_putc('-');
    }
    ck_write(s, (size_t)(end - s));
}

int ck_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char buf[12];
    char *end = buf + sizeof buf;
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            const char *q = p;
            while (*q && *q != '%') {
                q++;
            }
            ck_write(p, (size_t)(q - p));
            p = q - 1;
            continue;
        }
        p++;
        char pad = ' ';
        int width = 0;
        if (*p == '0') {
            pad = '0';
            p++;
        }
        while (*p >= '0' && *p <= '9') {
            width = width * 10 + (*p++ - '0');
        }
        switch (*p) {
        case 'd':
        case 'i': {
            int32_t v = va_arg(ap, int32_t);
            uint32_t mag = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
            emit_padded(fmt_uint(end, mag, 10, 0), end, width, pad, v < 0);
            break;
        }
        case 'u':
            emit_padded(fmt_uint(end, va_arg(ap, uint32_t), 10, 0), end, width, pad, 0);
            break;
        case 'x':
        case 'X':
            emit_padded(fmt_uint(end, va_arg(ap, uint32_t), 16, *p == 'X'), end, width, pad, 0);
            break;
        case 'p':
            ck_puts("0x");
            emit_padded(fmt_uint(end, (uint32_t)(uintptr_t)va_arg(ap, void *), 16, 0), end, 8, '0', 0);
            break;
        case 'c':
            ck_putc((char)va_arg(ap, int));
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            const char *e = s;
            while (*e) {
                e++;
            }
            emit_padded(s, e, width, ' ', 0);
            break;
        }
        case '%':
            ck_putc('%');
            break;
        default:
            va_end(ap);
            return -1;
        }
    }
    va_end(ap);
    return 0;
}

void ck_print_int(int32_t v) { ck_printf("%d", v); }
void ck_print_uint(uint32_t v) { ck_printf("%u", v); }
void ck_print_hex(uint32_t v) { ck_printf("0x%08x", v); }
