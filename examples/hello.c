#include "ck_runtime.h"

int main(void)
{
    ck_printf("hello from %s: %d %u 0x%08x [%5d] [%c]\n", "mcusim", -42, 42u, 0xBEEFu, 7, 'x');
    ck_puts("puts line\n");
    ck_putc('!');
    ck_putc('\n');
    return 3;
}
