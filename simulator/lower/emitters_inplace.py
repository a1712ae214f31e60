"""Emitters of the in-place kernel variants (rules.toml rows with ``variant = "inplace"``)."""
from __future__ import annotations

from .emitters import KernelCall, _conv_like


def depthwise_conv2d_inplace(ctx) -> KernelCall:
    """ck_depthwise_conv_s8_inplace(params, buf, filter, bias, mult, shift, scratch, bytes):
    the same parameters as the out-of-place depthwise, one buffer, a one-channel scratch."""
    call = _conv_like(ctx, depthwise=True)
    x, w, bias, mult, shift, _out = call.args
    call.args = [x, w, bias, mult, shift]
    call.scratch_bytes = int(call.fields["out_h"]) * int(call.fields["out_w"])
    call.with_scratch = True
    return call


def conv2d_pointwise_inplace(ctx) -> KernelCall:
    """ck_conv_s8_pointwise_inplace(params, buf, filter, bias, mult, shift, scratch, bytes)."""
    call = _conv_like(ctx, depthwise=False)
    x, w, bias, mult, shift, _out = call.args
    call.args = [x, w, bias, mult, shift]
    f = call.fields
    row = (int(f["out_w"]) * int(f["out_c"]) + 3) // 4 * 4
    call.scratch_bytes = row + (4 * int(f["in_c"]) if ctx.rule.scratch == "row_im2col" else 0)
    call.with_scratch = True
    return call


EMITTERS = {"depthwise_conv2d_inplace": depthwise_conv2d_inplace,
            "conv2d_pointwise_inplace": conv2d_pointwise_inplace}
