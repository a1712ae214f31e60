"""AVERAGE_POOL_2D and MAX_POOL_2D, int8 NHWC.

Semantics (facts, no code copied): tensorflow/lite/kernels/internal/reference/integer_ops/
pooling.h. For each output pixel the window starts at ``out * stride - pad_before`` and is
cut to the image (padded taps are not counted). AveragePool sums the raw int8 values and
divides by the number of taps rounding half away from zero
(``(acc +- count / 2) / count`` with C truncating division); MaxPool takes the maximum.
Both then clamp to the fused-activation range of the output; zero points are not used (TFLM
requires input and output quantization to match).
"""
from __future__ import annotations

import numpy as np

from simulator.errors import ModelError
from simulator.reference.padding import activation_range_s8, compute_padding
from simulator.reference.spec import OpSpec


def _window_bounds(out_size: int, in_size: int, k: int, stride: int, pad: int):
    start = np.arange(out_size) * stride - pad
    lo = np.maximum(start, 0)
    hi = np.minimum(start + k, in_size)
    return lo, hi


def _pool(x, kind, filter_hw, stride, pad, out_hw, act_min, act_max):
    x = np.asarray(x)
    if x.ndim != 4:
        raise ModelError(f"pooling needs a 4-D NHWC input, got shape {x.shape}")
    n, h, w, c = x.shape
    (kh, kw), (sh, sw), (pt, pl), (oh, ow) = filter_hw, stride, pad, out_hw
    hlo, hhi = _window_bounds(oh, h, kh, sh, pt)
    wlo, whi = _window_bounds(ow, w, kw, sw, pl)
    out = np.empty((n, oh, ow, c), dtype=np.int64)
    xi = x.astype(np.int64)
    for i in range(oh):
        for j in range(ow):
            win = xi[:, hlo[i]:hhi[i], wlo[j]:whi[j], :]
            count = win.shape[1] * win.shape[2]
            if count == 0:
                raise ModelError("pooling window lies entirely in the padding")
            if kind == "max":
                out[:, i, j, :] = win.max(axis=(1, 2))
            else:
                acc = win.sum(axis=(1, 2))
                half = count // 2
                num = np.where(acc > 0, acc + half, acc - half)
                out[:, i, j, :] = np.where(num >= 0, num // count, -((-num) // count))
    return np.clip(out, act_min, act_max).astype(np.int8)


def avgpool_s8(x, *, filter_hw, stride, pad, out_hw, act_min=-128, act_max=127) -> np.ndarray:
    return _pool(x, "avg", filter_hw, stride, pad, out_hw, act_min, act_max)


def maxpool_s8(x, *, filter_hw, stride, pad, out_hw, act_min=-128, act_max=127) -> np.ndarray:
    return _pool(x, "max", filter_hw, stride, pad, out_hw, act_min, act_max)


def pool_geometry(op, x_shape) -> dict:
    """filter_hw, stride, pad, out_hw from Pool2DOptions and the input shape."""
    o = op.options
    kh, kw = int(o.get("filter_height", 1)), int(o.get("filter_width", 1))
    sh, sw = int(o.get("stride_h", 1)), int(o.get("stride_w", 1))
    padding = o.get("padding", "VALID")
    pt, oh = compute_padding(x_shape[1], kh, sh, 1, padding)
    pl, ow = compute_padding(x_shape[2], kw, sw, 1, padding)
    return dict(filter_hw=(kh, kw), stride=(sh, sw), pad=(pt, pl), out_hw=(oh, ow))


def _run(op, graph, inputs, fn):
    x_t, out_t = graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])
    if x_t.dtype != "int8" or out_t.quant is None:
        raise ModelError("only quantized int8 pooling is supported", op_index=op.index,
                         opcode=op.opcode, tensor_index=x_t.index)
    x = np.asarray(inputs[0]) if inputs else x_t.data
    act = activation_range_s8(op.options.get("fused_activation_function", "NONE"),
                              float(np.float32(out_t.quant.scalar_scale)),
                              out_t.quant.scalar_zero_point)
    return fn(x, **pool_geometry(op, x.shape), act_min=act[0], act_max=act[1])


def run_avgpool(op, graph, inputs) -> np.ndarray:
    return _run(op, graph, inputs, avgpool_s8)


def run_maxpool(op, graph, inputs) -> np.ndarray:
    return _run(op, graph, inputs, maxpool_s8)


# TFLM's int8 pools require the input's quantization on the output: they move bytes.
OPS = {"AVERAGE_POOL_2D": OpSpec(run_avgpool, shared_quant=True),
       "MAX_POOL_2D": OpSpec(run_maxpool, shared_quant=True)}
