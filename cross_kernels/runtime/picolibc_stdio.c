/*
 * picolibc's console and heap for mcusim (zig toolchain only; gcc's newlib uses
 * newlib_syscalls.c). picolibc's tiny stdio writes through a FILE whose put() the platform
 * supplies ("stdin, stdout and stderr are undefined global FILE pointers", tinystdio's
 * stdio.h): here it goes to the semihosting console, unbuffered, so nothing is lost when a
 * program exits or faults. The heap is newlib_syscalls.c's _sbrk (a small static block),
 * so malloc works the same under both toolchains.
 */
#include <stddef.h>
#include <stdio.h>
#include "ck_runtime.h"

static int ck_stdio_put(char c, FILE *file)
{
    (void)file;
    ck_write(&c, 1);
    return (unsigned char)c;
}

static int ck_stdio_get(FILE *file)
{
    (void)file;
    return EOF; /* there is no input */
}

static FILE ck_stdio = FDEV_SETUP_STREAM(ck_stdio_put, ck_stdio_get, NULL, _FDEV_SETUP_RW);

FILE *const stdin = &ck_stdio;
FILE *const stdout = &ck_stdio;
FILE *const stderr = &ck_stdio;

void *_sbrk(ptrdiff_t increment);

/* picolibc's malloc asks sbrk(); its own sbrk wants __heap_start/__heap_end in the linker
 * script, which mcusim's scripts do not have. */
void *sbrk(ptrdiff_t increment) { return _sbrk(increment); }
