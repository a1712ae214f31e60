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


def ring_rows(f: dict) -> int:
    """Output rows the ring of ck_conv_s8_ring_inplace holds at most (its ring_need, the
    same order): 0 when some output row reads no input row (the kernel refuses it)."""
    in_row, out_row = f["in_w"] * f["in_c"], f["out_w"] * f["out_c"]
    nxt = need = 0
    for y in range(f["out_h"]):
        lo = y * f["stride_h"] - f["pad_top"]
        hi = lo + (f["k_h"] - 1) * f["dilation_h"] + 1
        if min(hi, f["in_h"]) <= max(lo, 0):
            return 0
        need = max(need, y - nxt + 1)
        dead = (max((y + 1) * f["stride_h"] - f["pad_top"], 0) * in_row
                if y + 1 < f["out_h"] else float("inf"))
        while nxt <= y and (nxt + 1) * out_row <= dead:
            nxt += 1
    return need


def _ring(ctx, depthwise: bool) -> KernelCall:
    call = _conv_like(ctx, depthwise=depthwise)
    x, w, bias, mult, shift, _out = call.args
    call.args = [x, w, bias, mult, shift]
    f = {k: int(v) for k, v in call.fields.items()}
    row = (f["out_w"] * f["out_c"] + 3) // 4 * 4
    inner = 4 * f["k_h"] * f["k_w"] * f["in_c"] if ctx.rule.scratch == "ring_im2col" else 0
    call.scratch_bytes = ring_rows(f) * row + inner
    call.with_scratch = True
    return call


def conv2d_ring_inplace(ctx) -> KernelCall:
    """ck_conv_s8_ring_inplace(params, buf, filter, bias, mult, shift, scratch, bytes)."""
    return _ring(ctx, depthwise=False)


def depthwise_conv2d_ring_inplace(ctx) -> KernelCall:
    """ck_depthwise_conv_s8_ring_inplace(params, buf, filter, bias, mult, shift, scratch,
    bytes)."""
    return _ring(ctx, depthwise=True)


EMITTERS = {"depthwise_conv2d_inplace": depthwise_conv2d_inplace,
            "conv2d_pointwise_inplace": conv2d_pointwise_inplace,
            "conv2d_ring_inplace": conv2d_ring_inplace,
            "depthwise_conv2d_ring_inplace": depthwise_conv2d_ring_inplace}
