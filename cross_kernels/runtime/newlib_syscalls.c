/*
 * The system calls newlib (arm-none-eabi-gcc's C library) expects of a board, so printf and
 * friends work with --toolchain gcc: output goes through semihosting (ck_write).
 * newlib's stdio allocates its FILE objects and buffers with malloc (on ARMv6-M's newlib-nano
 * even stdout itself), so _sbrk serves a small static heap of CK_NEWLIB_HEAP_BYTES (default
 * 4 KB, -D to change). It sits in its own .bss section that only _sbrk references: a program
 * that never mallocs (no printf) links neither, and pays nothing; one that does sees the heap
 * in its static RAM, as it would on the board. ck_printf needs no heap at all.
 * The names and signatures are newlib's porting interface ("System Calls" in the newlib libc
 * manual). With zig's toolchain there is no newlib; these are unused and dropped by
 * --gc-sections. All weak, so a program can supply its own.
 */
#include <stddef.h>
#include <stdint.h>
#include "ck_runtime.h"

__attribute__((weak)) int _write(int fd, const char *buf, int len)
{
    if (fd != 1 && fd != 2) {
        return -1;
    }
    ck_write(buf, (size_t)len);
    return len;
}

__attribute__((weak)) int _read(int fd, char *buf, int len)
{
    (void)fd;
    (void)buf;
    (void)len;
    return 0; /* end of file: there is no input */
}

#ifndef CK_NEWLIB_HEAP_BYTES
#define CK_NEWLIB_HEAP_BYTES 4096
#endif

static uint8_t ck_newlib_heap[CK_NEWLIB_HEAP_BYTES]
    __attribute__((section(".bss.ck_newlib_heap"), aligned(8)));

__attribute__((weak)) void *_sbrk(ptrdiff_t increment)
{
    static size_t used;
    if (increment < 0 ? (size_t)-increment > used : (size_t)increment > CK_NEWLIB_HEAP_BYTES - used) {
        return (void *)-1; /* newlib's malloc then returns NULL (ENOMEM) */
    }
    void *start = ck_newlib_heap + used;
    used += (size_t)increment;
    return start;
}

__attribute__((weak)) int _close(int fd)
{
    (void)fd;
    return -1;
}

__attribute__((weak)) int _lseek(int fd, int offset, int whence)
{
    (void)fd;
    (void)offset;
    (void)whence;
    return 0;
}

__attribute__((weak)) int _fstat(int fd, void *st)
{
    (void)fd;
    (void)st;
    return -1;
}

__attribute__((weak)) int _isatty(int fd) { return fd >= 0 && fd <= 2; }

__attribute__((weak)) int _getpid(void) { return 1; }

__attribute__((weak)) int _kill(int pid, int sig)
{
    (void)pid;
    (void)sig;
    return -1;
}

__attribute__((weak)) void _exit(int status) { ck_exit(status); }
