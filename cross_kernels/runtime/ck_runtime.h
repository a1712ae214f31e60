/*
 * ck_runtime.h - the bare-metal runtime mcusim links into every firmware.
 *
 * Output and exit go through Arm semihosting (BKPT 0xAB on M-profile), which mcusim
 * services: see "Semihosting for AArch32 and AArch64", Arm, version 2.0 (operations
 * SYS_WRITEC 0x03, SYS_WRITE0 0x04, SYS_WRITE 0x05, SYS_CLOCK 0x10, SYS_EXIT 0x18,
 * SYS_EXIT_EXTENDED 0x20).
 */
#ifndef CK_RUNTIME_H
#define CK_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

void ck_putc(char c);
void ck_puts(const char *s);                 /* writes s, no newline added */
void ck_write(const void *buf, size_t len);  /* writes len bytes to stdout */
void ck_print_int(int32_t v);
void ck_print_uint(uint32_t v);
void ck_print_hex(uint32_t v);               /* 0x%08x */
/* A small printf: %d %i %u %x %X %08x-style width/zero pad, %c %s %p %%. No floats. */
int ck_printf(const char *fmt, ...);
void ck_exit(int status) __attribute__((noreturn));

/* Mark a region for mcusim's profile: cycles between begin and end are reported under name. */
void ck_region_begin(const char *name);
void ck_region_end(const char *name);

#endif /* CK_RUNTIME_H */
