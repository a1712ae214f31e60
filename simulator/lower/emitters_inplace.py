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


EMITTERS = {"depthwise_conv2d_inplace": depthwise_conv2d_inplace}
