"""RESIZE_NEAREST_NEIGHBOR (any dtype) and RESIZE_BILINEAR (int8, float32), NHWC.

Semantics (facts, no code copied), inputs [N, H, W, C] and a constant int32 ``size`` [2]
(new height, new width), options align_corners / half_pixel_centers:
- nearest: tflite-micro reference_ops::ResizeNearestNeighbor / GetNearestNeighbor, in float32:
  scale = in / (float)out, or (in - 1) / (float)(out - 1) with align_corners and out > 1;
  source = (i + (half_pixel_centers ? 0.5f : 0)) * scale, rounded half away from zero with
  align_corners, else floored; then min(source, in - 1), and max(0, .) with
  half_pixel_centers. The rows and columns depend only on sizes and options, so they are
  computed here once (:func:`nearest_map`) and the C kernel is a copy by map.
- bilinear int8: reference_ops::ResizeBilinearInteger: scale_10 = (1024 * in + out / 2) / out
  (align_corners and out > 1: (1024 * (in - 1) + (out - 1) / 2) / (out - 1)); position
  p = i * scale_10 (+ scale_10 / 2 - 512 with half_pixel_centers); lo = max(p / 1024, 0),
  hi = min((p + 1023) / 1024, in - 1) (C division, toward zero); the four taps weighted by
  (1024 - dy)(1024 - dx), dy(1024 - dx), (1024 - dy)dx, dy dx with dy = p_y - 1024 lo_y;
  (sum +- 2^19) / 2^20 toward zero. The output keeps the input's quantization.
- bilinear float32: reference_ops::ResizeBilinear: scale = in / (float)out (align_corners:
  (in - 1) / (float)(out - 1)); p = i * scale, or (i + 0.5f) * scale - 0.5f; lo = max(floor(p),
  0), hi = min(ceil(p), in - 1); v00 (1 - dy)(1 - dx) + v10 dy (1 - dx) + v01 (1 - dy) dx
  + v11 dy dx with dy = p - lo, in float32, products and sums left to right.
TFLite refuses align_corners together with half_pixel_centers for bilinear; so does this.
"""
from __future__ import annotations

import numpy as np

from simulator.errors import ModelError
from simulator.reference.spec import OpSpec

F32 = np.float32


def resize_flags(options, opcode: str) -> tuple[bool, bool]:
    ac, hpc = bool(options.get("align_corners", False)), bool(options.get("half_pixel_centers",
                                                                              False))
    if opcode == "RESIZE_BILINEAR" and ac and hpc:
        raise ModelError("RESIZE_BILINEAR with both align_corners and half_pixel_centers "
                         "(TFLite rejects it)")
    return ac, hpc


def nearest_map(in_size: int, out_size: int, align_corners: bool, half_pixel: bool) -> np.ndarray:
    """The source index of each of ``out_size`` outputs along one axis (int32)."""
    if align_corners and out_size > 1:
        scale = F32(in_size - 1) / F32(out_size - 1)
    else:
        scale = F32(in_size) / F32(out_size)
    pos = (np.arange(out_size).astype(F32) + F32(0.5 if half_pixel else 0.0)) * scale
    if align_corners:                                   # TfLiteRound: half away from zero
        src = (np.sign(pos) * np.floor(np.abs(pos) + F32(0.5))).astype(np.int64)
    else:
        src = np.floor(pos).astype(np.int64)
    src = np.minimum(src, in_size - 1)
    if half_pixel:
        src = np.maximum(src, 0)
    return src.astype(np.int32)


def resize_nearest(x, out_hw, align_corners=False, half_pixel=False) -> np.ndarray:
    x = np.asarray(x)
    ys = nearest_map(x.shape[1], out_hw[0], align_corners, half_pixel)
    xs = nearest_map(x.shape[2], out_hw[1], align_corners, half_pixel)
    return x[:, ys][:, :, xs]


def scale_10(in_size: int, out_size: int, align_corners: bool) -> int:
    if align_corners and out_size > 1:
        return ((1 << 10) * (in_size - 1) + (out_size - 1) // 2) // (out_size - 1)
    return ((1 << 10) * in_size + out_size // 2) // out_size


def _cdiv(a, b: int) -> np.ndarray:
    """C integer division (toward zero) of int64 ``a`` by positive ``b``."""
    a = np.asarray(a, np.int64)
    return np.sign(a) * (np.abs(a) // b)


def _taps_s8(out_size: int, in_size: int, scale: int, half_pixel: bool):
    pos = np.arange(out_size, dtype=np.int64) * scale
    if half_pixel:
        pos += scale // 2 - (1 << 9)
    lo = np.maximum(_cdiv(pos, 1 << 10), 0)
    hi = np.minimum(_cdiv(pos + (1 << 10) - 1, 1 << 10), in_size - 1)
    if (lo > in_size - 1).any():
        raise ModelError(f"resize from {in_size} to {out_size}: the scale {scale}/1024 reaches "
                         f"past the input's edge")
    return pos - (1 << 10) * lo, lo, hi


def resize_bilinear_s8(x, out_hw, align_corners=False, half_pixel=False) -> np.ndarray:
    x = np.asarray(x)
    _, h, w, _ = x.shape
    dy, y0, y1 = _taps_s8(out_hw[0], h, scale_10(h, out_hw[0], align_corners), half_pixel)
    dx, x0, x1 = _taps_s8(out_hw[1], w, scale_10(w, out_hw[1], align_corners), half_pixel)
    v = x.astype(np.int64)
    one = 1 << 10
    dy, dx = dy[None, :, None, None], dx[None, None, :, None]
    s = (v[:, y0][:, :, x0] * (one - dy) * (one - dx) + v[:, y1][:, :, x0] * dy * (one - dx)
         + v[:, y0][:, :, x1] * (one - dy) * dx + v[:, y1][:, :, x1] * dy * dx)
    return _cdiv(s + np.where(s > 0, 1 << 19, -(1 << 19)), 1 << 20).astype(np.int8)


def float_scale(in_size: int, out_size: int, align_corners: bool) -> np.float32:
    if align_corners and out_size > 1:
        return F32(in_size - 1) / F32(out_size - 1)
    return F32(in_size) / F32(out_size)


def _taps_f32(out_size: int, in_size: int, scale, half_pixel: bool):
    i = np.arange(out_size).astype(F32)
    pos = (i + F32(0.5)) * scale - F32(0.5) if half_pixel else i * scale
    lo = np.minimum(np.maximum(np.floor(pos).astype(np.int64), 0), in_size - 1)
    hi = np.minimum(np.ceil(pos).astype(np.int64), in_size - 1)
    return (pos - lo.astype(F32)).astype(F32), lo, hi


def resize_bilinear_f32(x, out_hw, align_corners=False, half_pixel=False) -> np.ndarray:
    x = np.asarray(x, F32)
    _, h, w, _ = x.shape
    dy, y0, y1 = _taps_f32(out_hw[0], h, float_scale(h, out_hw[0], align_corners), half_pixel)
    dx, x0, x1 = _taps_f32(out_hw[1], w, float_scale(w, out_hw[1], align_corners), half_pixel)
    dy, dx = dy[None, :, None, None], dx[None, None, :, None]
    one = F32(1)
    with np.errstate(invalid="ignore", over="ignore"):
        return (x[:, y0][:, :, x0] * (one - dy) * (one - dx)
                + x[:, y1][:, :, x0] * dy * (one - dx)
                + x[:, y0][:, :, x1] * (one - dy) * dx
                + x[:, y1][:, :, x1] * dy * dx).astype(F32)


# ---- IR adapters --------------------------------------------------------------------------

def out_size(op, graph, inputs=None) -> tuple[int, int]:
    """(new height, new width) from the op's ``size`` input."""
    v = inputs[1] if inputs is not None and len(inputs) > 1 and inputs[1] is not None else \
        graph.tensor(op.inputs[1]).data
    if v is None:
        raise ModelError("resize needs a constant size input")
    hw = [int(s) for s in np.asarray(v).reshape(-1)]
    if len(hw) != 2 or min(hw) < 1:
        raise ModelError(f"resize size {hw} is not two positive sizes")
    return hw[0], hw[1]


def output_shape(op, graph):
    """(N, new height, new width, C) from the declarations, or None without a constant size."""
    x = graph.tensor(op.inputs[0]).shape
    if len(op.inputs) < 2 or op.inputs[1] < 0 or graph.tensor(op.inputs[1]).data is None \
            or len(x) != 4:
        return None
    oh, ow = out_size(op, graph)
    return (x[0], oh, ow, x[3])


def _input(op, graph, inputs) -> np.ndarray:
    x = inputs[0] if inputs and inputs[0] is not None else graph.tensor(op.inputs[0]).data
    x = np.asarray(x)
    if x.ndim != 4:
        raise ModelError(f"resize needs a 4-D NHWC input, got shape {list(x.shape)}")
    return x


def run_resize_nearest(op, graph, inputs) -> np.ndarray:
    return resize_nearest(_input(op, graph, inputs), out_size(op, graph, inputs),
                          *resize_flags(op.options, op.opcode))


def run_resize_bilinear(op, graph, inputs) -> np.ndarray:
    x = _input(op, graph, inputs)
    fn = resize_bilinear_f32 if x.dtype == F32 else resize_bilinear_s8
    if x.dtype not in (F32, np.int8):
        raise ModelError(f"RESIZE_BILINEAR on {x.dtype} has no reference (int8, float32)")
    return fn(x, out_size(op, graph, inputs), *resize_flags(op.options, op.opcode))


OPS = {"RESIZE_NEAREST_NEIGHBOR": OpSpec(run_resize_nearest, shared_quant=True),
       "RESIZE_BILINEAR": OpSpec(run_resize_bilinear, shared_quant=True)}
