"""CONV_2D and DEPTHWISE_CONV_2D, int8: the living definition the C kernels are checked against.

Semantics follow TFLite's reference kernels (tensorflow/lite/kernels/internal/reference/
integer_ops/conv.h ConvPerChannel and depthwise_conv.h DepthwiseConvPerChannel):
``acc = sum(w * (x - input_zp))`` over the taps that fall inside the image (padding
contributes nothing), ``acc += bias``, requantize with the channel's (multiplier, shift),
add the output zero point, clamp to ``[act_min, act_max]``. The depthwise output channel
``o`` reads input channel ``o // depth_multiplier``. The int32 accumulator wraps (TFLite
leaves overflow undefined; our C kernels wrap the same way).

Layouts: x ``[N, H, W, C_in]``; conv w ``[C_out, KH, KW, C_in]``; depthwise w
``[1, KH, KW, C_out]``; bias int32 ``[C_out]`` or None; multiplier/shift int32 of length 1
(per-tensor, broadcast) or C_out (per-channel).
"""
from __future__ import annotations

import numpy as np

from simulator.errors import ModelError
from simulator.reference import quant
from simulator.reference.padding import activation_range_s8, compute_padding
from simulator.reference.spec import OpSpec


def wrap_i32(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64).astype(np.int32).astype(np.int64)


def requantize_s8(acc, bias, multiplier, shift, output_zp, act_min, act_max) -> np.ndarray:
    """int64 accumulators ``[..., C]`` -> int8, channel on the last axis."""
    acc = wrap_i32(acc)
    if bias is not None:
        acc = wrap_i32(acc + np.asarray(bias, dtype=np.int64))
    out = quant.multiply_by_quantized_multiplier(acc, np.asarray(multiplier, np.int64),
                                                 np.asarray(shift, np.int64))
    return quant.clamp_s8(out + int(output_zp), act_min, act_max)


def _tap_range(out_size: int, in_size: int, stride: int, offset: int) -> tuple[int, int]:
    """Outputs ``[lo, hi)`` whose input position ``o * stride + offset`` lies in the image."""
    lo = 0 if offset >= 0 else (-offset + stride - 1) // stride
    hi = (in_size - 1 - offset) // stride + 1 if offset < in_size else 0
    lo = min(lo, out_size)
    return lo, max(lo, min(hi, out_size))


def _taps(x_shape, k_hw, stride, dilation, pad, out_hw):
    """Per tap (ky, kx) inside the image somewhere: (ky, kx, output slices, input slices).

    Padding is never materialised: a tap contributes only where it reads the image, so memory
    stays proportional to the input and output whatever the dilation (reference semantics
    unchanged: padded positions contribute nothing)."""
    _, h, w, _ = x_shape
    (kh, kw), (sh, sw), (dh, dw), (pt, pl), (oh, ow) = k_hw, stride, dilation, pad, out_hw
    for ky in range(kh):
        y0, y1 = _tap_range(oh, h, sh, ky * dh - pt)
        if y0 == y1:
            continue
        iy = y0 * sh + ky * dh - pt
        for kx in range(kw):
            x0, x1 = _tap_range(ow, w, sw, kx * dw - pl)
            if x0 == x1:
                continue
            ix = x0 * sw + kx * dw - pl
            yield (ky, kx, (slice(y0, y1), slice(x0, x1)),
                   (slice(iy, iy + (y1 - y0 - 1) * sh + 1, sh),
                    slice(ix, ix + (x1 - x0 - 1) * sw + 1, sw)))


def conv2d_s8(x, w, bias, *, input_zp, output_zp, multiplier, shift, stride=(1, 1),
              dilation=(1, 1), pad=(0, 0), out_hw, act_min=-128, act_max=127) -> np.ndarray:
    x, w = np.asarray(x), np.asarray(w)
    c_out, kh, kw, c_in = w.shape
    if x.ndim != 4 or x.shape[3] != c_in:
        raise ModelError(f"conv input {x.shape} does not match filter {w.shape}")
    xs = x.astype(np.int64) - int(input_zp)
    wk = w.astype(np.int64)
    acc = np.zeros((x.shape[0], *out_hw, c_out), dtype=np.int64)
    for ky, kx, (oy, ox), (iy, ix) in _taps(x.shape, (kh, kw), stride, dilation, pad, out_hw):
        acc[:, oy, ox, :] += xs[:, iy, ix, :] @ wk[:, ky, kx, :].T
    return requantize_s8(acc, bias, multiplier, shift, output_zp, act_min, act_max)


def depthwise_conv2d_s8(x, w, bias, *, input_zp, output_zp, multiplier, shift,
                        depth_multiplier=1, stride=(1, 1), dilation=(1, 1), pad=(0, 0),
                        out_hw, act_min=-128, act_max=127) -> np.ndarray:
    x, w = np.asarray(x), np.asarray(w)
    _, kh, kw, c_out = w.shape
    if x.ndim != 4 or x.shape[3] * depth_multiplier != c_out:
        raise ModelError(f"depthwise input {x.shape} x depth_multiplier {depth_multiplier} "
                         f"does not match filter {w.shape}")
    xs = (x.astype(np.int64) - int(input_zp))[..., np.arange(c_out) // depth_multiplier]
    wk = w[0].astype(np.int64)
    acc = np.zeros((x.shape[0], *out_hw, c_out), dtype=np.int64)
    for ky, kx, (oy, ox), (iy, ix) in _taps(x.shape, (kh, kw), stride, dilation, pad, out_hw):
        acc[:, oy, ox, :] += xs[:, iy, ix, :] * wk[ky, kx]
    return requantize_s8(acc, bias, multiplier, shift, output_zp, act_min, act_max)


# ---- IR adapters --------------------------------------------------------------------------

def _float32_scales(q) -> np.ndarray:
    # TFLite keeps scales as float32 and widens them to double for the multiplier.
    return np.asarray(q.scale, dtype=np.float32).astype(np.float64)


def layer_quant(op, graph, x_t, w_t, out_t):
    """Multipliers, shifts, zero points and activation clamps of a conv-like layer."""
    for t in (x_t, w_t, out_t):
        if t.quant is None or t.dtype != "int8":
            raise ModelError("only int8 tensors with quantization are supported",
                             op_index=op.index, opcode=op.opcode, tensor_index=t.index)
    if np.any(w_t.quant.zero_point != 0):
        raise ModelError("int8 weights must be symmetric (zero point 0)",
                         op_index=op.index, opcode=op.opcode, tensor_index=w_t.index)
    in_scale = _float32_scales(x_t.quant)[0]
    out_scale = _float32_scales(out_t.quant)[0]
    mult, shift = quant.quantize_multipliers(in_scale * _float32_scales(w_t.quant) / out_scale)
    act = activation_range_s8(op.options.get("fused_activation_function", "NONE"),
                              float(np.float32(out_t.quant.scale[0])),
                              out_t.quant.scalar_zero_point)
    return dict(input_zp=x_t.quant.scalar_zero_point, output_zp=out_t.quant.scalar_zero_point,
                multiplier=mult, shift=shift, act_min=act[0], act_max=act[1])


def op_operands(op, graph, inputs):
    """(tensor, value) per op input; a missing value falls back to the constant's data."""
    out = []
    for k, idx in enumerate(op.inputs):
        if idx < 0:
            out.append((None, None))
            continue
        t = graph.tensor(idx)
        v = inputs[k] if inputs is not None and k < len(inputs) else None
        out.append((t, t.data if v is None else np.asarray(v)))
    return out


def conv_geometry(op, x_shape, kh, kw):
    o = op.options
    stride = (int(o.get("stride_h", 1)), int(o.get("stride_w", 1)))
    dilation = (int(o.get("dilation_h_factor", 1)), int(o.get("dilation_w_factor", 1)))
    padding = o.get("padding", "SAME")
    pt, oh = compute_padding(x_shape[1], kh, stride[0], dilation[0], padding)
    pl, ow = compute_padding(x_shape[2], kw, stride[1], dilation[1], padding)
    return dict(stride=stride, dilation=dilation, pad=(pt, pl), out_hw=(oh, ow))


_geometry = conv_geometry     # the name lower/inplace.py and lower/patches.py still use


def run_conv2d(op, graph, inputs) -> np.ndarray:
    (x_t, x), (w_t, w), (_, bias) = (op_operands(op, graph, inputs) + [(None, None)])[:3]
    out_t = graph.tensor(op.outputs[0])
    geo = conv_geometry(op, x.shape, w.shape[1], w.shape[2])
    return conv2d_s8(x, w, bias, **geo, **layer_quant(op, graph, x_t, w_t, out_t))


def run_depthwise_conv2d(op, graph, inputs) -> np.ndarray:
    (x_t, x), (w_t, w), (_, bias) = (op_operands(op, graph, inputs) + [(None, None)])[:3]
    out_t = graph.tensor(op.outputs[0])
    c_in, c_out = x.shape[3], w.shape[3]
    dm = c_out // c_in if c_in else 0
    opt_dm = int(op.options.get("depth_multiplier", 0) or 0)
    if dm < 1 or dm * c_in != c_out or (opt_dm and opt_dm != dm):
        raise ModelError(f"depthwise filter has {c_out} channels for {c_in} input channels "
                         f"(depth_multiplier option {opt_dm})", op_index=op.index,
                         opcode=op.opcode)
    geo = conv_geometry(op, x.shape, w.shape[1], w.shape[2])
    return depthwise_conv2d_s8(x, w, bias, depth_multiplier=dm, **geo,
                               **layer_quant(op, graph, x_t, w_t, out_t))


OPS = {"CONV_2D": OpSpec(run_conv2d, weight_axis=0),
       "DEPTHWISE_CONV_2D": OpSpec(run_depthwise_conv2d, weight_axis=3)}
