/*
 * ck_types.h - types shared by every cross_kernels function.
 *
 * Kernels never trap: they return a ck_status. Layouts are TFLite's:
 * activations [N, H, W, C] int8, conv filters [C_out, KH, KW, C_in],
 * depthwise filters [1, KH, KW, C_in * depth_multiplier], FC weights [out, in].
 */
#ifndef CK_TYPES_H
#define CK_TYPES_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    CK_OK = 0,
    CK_ARG_ERROR = -1,   /* a parameter is outside the documented range */
    CK_NO_SCRATCH = -2,  /* the scratch buffer is missing or smaller than _get_buffer_size() */
} ck_status;

#endif /* CK_TYPES_H */
