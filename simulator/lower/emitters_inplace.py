"""Emitters of the in-place kernel variants (rules.toml rows with ``variant = "inplace"``)."""
from __future__ import annotations

from .emitters import conv_like
from .kernel_call import KernelCall


def depthwise_conv2d_inplace(ctx) -> KernelCall:
    """ck_depthwise_conv_s8_inplace(params, buf, filter, bias, mult, shift, scratch, bytes):
    the same parameters as the out-of-place depthwise, one buffer, a one-channel scratch."""
    call = conv_like(ctx, depthwise=True)
    x, w, bias, mult, shift, _out = call.args
    call.args = [x, w, bias, mult, shift]
    call.scratch_bytes = int(call.fields["out_h"]) * int(call.fields["out_w"])
    call.with_scratch = True
    return call


def pointwise_scratch(f: dict, dsp: bool) -> int:
    """ck_conv_s8_pointwise_inplace_get_buffer_size: one chunk of output pixels (out_w rounded
    up to even, at least 8, at most all pixels), plus the DSP wrapper's im2col."""
    chunk = min(max((f["out_w"] + 1) // 2 * 2, 8), f["batches"] * f["out_h"] * f["out_w"])
    return (chunk * f["out_c"] + 3) // 4 * 4 + (4 * f["in_c"] if dsp else 0)


def _inplace_call(ctx, depthwise: bool, scratch_bytes) -> KernelCall:
    """The conv-like call with its output argument dropped (the kernel writes over its input)
    and the scratch ``scratch_bytes(fields)`` says it needs."""
    call = conv_like(ctx, depthwise=depthwise)
    x, w, bias, mult, shift, _out = call.args
    call.args = [x, w, bias, mult, shift]
    call.scratch_bytes = scratch_bytes({k: int(v) for k, v in call.fields.items()})
    call.with_scratch = True
    return call


def conv2d_pointwise_inplace(ctx) -> KernelCall:
    """ck_conv_s8_pointwise_inplace(params, buf, filter, bias, mult, shift, scratch, bytes)."""
    return _inplace_call(ctx, False, lambda f: pointwise_scratch(f, ctx.rule.scratch == "row_im2col"))


def ring_rows(f: dict) -> int:
    """Output rows the temporary of ck_conv_s8_ring_inplace holds at most (its ring_need: bands
    of ceil(16 / out_w) rows, the same order): 0 when some band reads no input row (the
    kernel refuses it)."""
    in_row, out_row = f["in_w"] * f["in_c"], f["out_w"] * f["out_c"]
    g = -(-16 // f["out_w"])
    nxt = need = 0
    for y in range(0, f["out_h"], g):
        n = min(g, f["out_h"] - y)
        lo = max(y * f["stride_h"] - f["pad_top"], 0)
        hi = min((y + n - 1) * f["stride_h"] - f["pad_top"] + (f["k_h"] - 1) * f["dilation_h"]
                 + 1, f["in_h"])
        if hi <= lo:
            return 0
        need = max(need, y + n - nxt)
        dead = (max((y + n) * f["stride_h"] - f["pad_top"], 0) * in_row
                if y + n < f["out_h"] else float("inf"))
        while nxt < y + n and (nxt + 1) * out_row <= dead:
            nxt += 1
    return need


def ring_scratch(f: dict, dsp_conv: bool) -> int:
    """ck_conv_s8_ring_inplace_get_buffer_size (ck_depthwise_..._get_buffer_size without
    ``dsp_conv``): the rows, densely, rounded up to 4, plus the DSP conv wrapper's im2col."""
    temp = (ring_rows(f) * f["out_w"] * f["out_c"] + 3) // 4 * 4
    return temp + (4 * f["k_h"] * f["k_w"] * f["in_c"] if dsp_conv else 0)


def _ring(ctx, depthwise: bool) -> KernelCall:
    return _inplace_call(ctx, depthwise, lambda f: ring_scratch(f, ctx.rule.scratch == "ring_im2col"))


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
