/* The program the GDB packet fuzzer debugs: a call, a loop and some data to read and write. */
#include <stdint.h>
#include "ck_runtime.h"

static int8_t xs[16];

__attribute__((noinline)) int32_t sum_s8(const int8_t *a, int32_t n)
{
    int32_t acc = 0;
    for (int32_t i = 0; i < n; i++) {
        acc += a[i];
    }
    return acc;
}

int main(void)
{
    for (int32_t i = 0; i < 16; i++) {
        xs[i] = (int8_t)(i - 8);
    }
    ck_printf("sum=%d\n", sum_s8(xs, 16));
    return 0;
}
