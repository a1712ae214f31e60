"""1-bit binary layers (XNOR-Net / Larq style) between int8 layers: the bit-exact definition.

Encoding (the same in Python, C and the IR):
- A binary value is +1 or -1; its bit is the sign bit: **bit 1 = -1, bit 0 = +1**
  (as IEEE float sign bits, and as Larq Compute Engine's bitpacking). ``sign(0) = +1``.
- Channels are packed 32 per little-endian uint32 word (stored as int32 in the IR): channel
  ``c`` is bit ``c % 32`` of word ``c // 32``, so a ``[N, H, W, C]`` binary tensor is
  ``[N, H, W, ceil(C / 32)]`` words. Padding bits (channels ``C .. 32*words - 1``) are 0, in
  activations and weights alike, so they never count in a XOR popcount.
- Dot product of K binary values: ``sum(x * w) = K - 2 * popcount(x XOR w)``.
- Spatial SAME padding pads with +1 (Larq's ``pad_values=1``): a padded pixel is a word of
  zeros, so it costs nothing and the formula stays ``K = KH * KW * C_in`` for every output.

Ops (IR opcodes ``CUSTOM:MCUSIM_BPACK``, ``CUSTOM:MCUSIM_BCONV2D``, ``CUSTOM:MCUSIM_BFC``):
- BPACK: int8 ``[..., C]`` -> words: bit = ``q < zero_point`` (the real value is negative).
- BCONV2D / BFC: ``acc`` = the integer dot product above, then either
  * int8 output: ``requantize(acc + bias[c], multiplier[c], shift[c]) + out_zp``, clamped to
    the fused activation, exactly the int8 conv epilogue of :mod:`reference.conv`; the
    bias tensor's per-channel quantization scale ``s_c`` says what one unit of ``acc`` is
    worth (``real = s_c * (acc + bias)``), so ``multiplier/shift = quantize(s_c / out_scale)``;
  * binary output: bit = ``acc < threshold[c]`` (int32 per channel), i.e. the sign of
    ``s_c * (acc + b_c)`` with ``s_c > 0`` and ``threshold = ceil(-b_c)``. A negative ``s_c``
    (batch norm with gamma < 0) is folded by inverting that channel's weight bits.
"""
from __future__ import annotations

import json

import numpy as np

from simulator.errors import ModelError, QuantizationError
from simulator.reference.conv import requantize_s8
from simulator.reference import quant
from simulator.reference.padding import activation_range_s8, compute_padding
from simulator.reference.spec import OpSpec

WORD_BITS = 32
OP_PACK, OP_CONV, OP_FC = "CUSTOM:MCUSIM_BPACK", "CUSTOM:MCUSIM_BCONV2D", "CUSTOM:MCUSIM_BFC"


def words_for(channels: int) -> int:
    return -(-int(channels) // WORD_BITS)


def pack_bits(bits, axis: int = -1) -> np.ndarray:
    """Pack a bool/0-1 array (1 = -1) along ``axis`` (moved last) into int32 words."""
    b = np.asarray(bits)
    if b.dtype != np.bool_ and not (np.issubdtype(b.dtype, np.integer)
                                    and np.all((b == 0) | (b == 1))):
        raise QuantizationError(f"pack_bits needs bool or 0/1 values, got dtype {b.dtype}")
    if b.ndim == 0 or b.shape[axis] == 0:
        raise QuantizationError(f"cannot pack an array of shape {b.shape} along axis {axis}")
    b = np.moveaxis(b.astype(bool), axis, -1)
    c = b.shape[-1]
    padded = np.zeros(b.shape[:-1] + (words_for(c) * WORD_BITS,), dtype=np.uint64)
    padded[..., :c] = b
    lanes = padded.reshape(b.shape[:-1] + (-1, WORD_BITS)) << np.arange(WORD_BITS, dtype=np.uint64)
    return lanes.sum(axis=-1).astype(np.uint32).view(np.int32)


def unpack_bits(words, channels: int) -> np.ndarray:
    """Inverse of :func:`pack_bits` (packed axis last): bool ``[..., channels]``."""
    w = np.asarray(words).astype(np.int64) & 0xFFFFFFFF
    if w.shape[-1] != words_for(channels):
        raise QuantizationError(f"{w.shape[-1]} words cannot hold exactly {channels} channels "
                                f"(need {words_for(channels)})")
    bits = (w[..., None] >> np.arange(WORD_BITS)) & 1
    return bits.reshape(w.shape[:-1] + (-1,))[..., :channels].astype(bool)


def signs_to_bits(v) -> np.ndarray:
    """Real values -> bits (1 where negative; sign(0) = +1)."""
    return np.asarray(v) < 0


def packed_bytes(shape, channels_axis: int = -1) -> tuple[int, int]:
    """(bytes packed in 32-bit words, bytes with ideal 1-bit storage) of a binary tensor:
    the difference is what channel padding to a multiple of 32 costs."""
    shape = list(shape)
    c = shape[channels_axis]
    rest = int(np.prod(shape)) // c
    return rest * words_for(c) * 4, -(-rest * c // 8)


def popcount32(x) -> np.ndarray:
    x = np.asarray(x).astype(np.int64) & 0xFFFFFFFF
    bits = (x[..., None] >> np.arange(WORD_BITS)) & 1
    return bits.sum(axis=-1)


# ---- ops ----------------------------------------------------------------------------------

def bpack_s8(x, zero_point: int) -> np.ndarray:
    return pack_bits(np.asarray(x).astype(np.int64) < int(zero_point))


def bconv2d_acc(x, w, *, channels: int, stride=(1, 1), pad=(0, 0), out_hw) -> np.ndarray:
    """Packed x ``[N, H, W, Wc]``, packed w ``[Cout, KH, KW, Wc]`` -> int64 acc ``[N, OH, OW, Cout]``."""
    x = np.asarray(x).astype(np.int64) & 0xFFFFFFFF
    w = np.asarray(w).astype(np.int64) & 0xFFFFFFFF
    n, h, wd, wc = x.shape
    c_out, kh, kw, wwc = w.shape
    if wc != wwc or words_for(channels) != wc:
        raise ModelError(f"binary conv input {x.shape} / filter {w.shape} do not hold "
                         f"{channels} channels")
    (sh, sw), (pt, pl), (oh, ow) = stride, pad, out_hw
    pop = np.zeros((n, oh, ow, c_out), dtype=np.int64)
    for ky in range(kh):
        iy = np.arange(oh) * sh - pt + ky
        vy = (iy >= 0) & (iy < h)
        for kx in range(kw):
            ix = np.arange(ow) * sw - pl + kx
            vx = (ix >= 0) & (ix < wd)
            xv = x[:, np.clip(iy, 0, h - 1)][:, :, np.clip(ix, 0, wd - 1)]
            xv = np.where((vy[:, None] & vx[None, :])[None, :, :, None], xv, 0)  # +1 padding
            for k in range(wc):
                pop += popcount32(xv[..., k:k + 1] ^ w[:, ky, kx, k])
    return kh * kw * channels - 2 * pop


def bfc_acc(x2d, w, *, in_features: int) -> np.ndarray:
    """Packed x ``[rows, Wi]``, packed w ``[out, Wi]`` -> int64 acc ``[rows, out]``.
    ``in_features`` is the number of real (non-padding) bits per row."""
    x = np.asarray(x2d).astype(np.int64) & 0xFFFFFFFF
    w = np.asarray(w).astype(np.int64) & 0xFFFFFFFF
    if x.ndim != 2 or w.ndim != 2 or x.shape[1] != w.shape[1]:
        raise ModelError(f"binary FC input {x.shape} does not match weights {w.shape}")
    pop = np.zeros((x.shape[0], w.shape[0]), dtype=np.int64)
    for k in range(x.shape[1]):
        pop += popcount32(x[:, k:k + 1] ^ w[:, k])
    return in_features - 2 * pop


def binary_output(acc, threshold) -> np.ndarray:
    return pack_bits(acc < np.asarray(threshold, dtype=np.int64))


# ---- IR encoding ------------------------------------------------------------------------------

def binary_options(op) -> dict:
    """The op's options: parsed fields, else the JSON in ``custom_options`` (after a .tflite
    round trip only the bytes survive)."""
    o = {k: v for k, v in op.options.items() if k != "custom_options"}
    raw = op.options.get("custom_options")
    if raw is not None and not o:
        try:
            o = json.loads(bytes(raw).decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as err:
            raise ModelError(f"custom options are not mcusim JSON: {err}", op_index=op.index,
                             opcode=op.opcode) from None
    return o


def encode_options(options: dict) -> dict:
    """Options dict plus the ``custom_options`` bytes that carry them through a .tflite."""
    clean = {k: v for k, v in options.items() if k != "custom_options"}
    return {**clean, "custom_options": json.dumps(clean, sort_keys=True).encode("utf-8")}


def binary_epilogue_params(op, graph) -> dict:
    """int8 output: zero point, clamps and per-channel (multiplier, shift) from the bias
    tensor's scale ``s_c`` and the output scale. Binary output: the thresholds."""
    out_t = graph.tensor(op.outputs[0])
    p_t = graph.tensor(op.inputs[2])
    if out_t.dtype != "int8":
        return {"threshold": np.asarray(p_t.data, np.int32)}
    if p_t.quant is None or out_t.quant is None:
        raise ModelError("a binary layer with int8 output needs a bias with per-channel scales "
                         "and a quantized output", op_index=op.index, opcode=op.opcode)
    s_c = np.asarray(p_t.quant.scale, np.float32).astype(np.float64)
    out_scale = float(np.float32(out_t.quant.scalar_scale))
    mult, shift = quant.quantize_multipliers(np.broadcast_to(s_c / out_scale, p_t.shape))
    act = activation_range_s8(binary_options(op).get("fused_activation_function", "NONE"),
                              out_scale, out_t.quant.scalar_zero_point)
    return {"bias": np.asarray(p_t.data, np.int32), "multiplier": mult, "shift": shift,
            "output_zp": out_t.quant.scalar_zero_point, "act_min": act[0], "act_max": act[1]}


def _finish(op, graph, acc):
    p = binary_epilogue_params(op, graph)
    if "threshold" in p:
        return binary_output(acc, p["threshold"])
    return requantize_s8(acc, p["bias"], p["multiplier"], p["shift"], p["output_zp"],
                         p["act_min"], p["act_max"])


def _value(op, graph, inputs, k):
    v = inputs[k] if inputs is not None and k < len(inputs) and inputs[k] is not None else None
    return np.asarray(graph.tensor(op.inputs[k]).data if v is None else v)


def run_bpack(op, graph, inputs) -> np.ndarray:
    x_t = graph.tensor(op.inputs[0])
    if x_t.dtype != "int8" or x_t.quant is None:
        raise ModelError("MCUSIM_BPACK needs a quantized int8 input", op_index=op.index,
                         opcode=op.opcode, tensor_index=x_t.index)
    return bpack_s8(_value(op, graph, inputs, 0), x_t.quant.scalar_zero_point)


def bconv_geometry(op, x_shape, w_shape) -> dict:
    o = binary_options(op)
    stride = (int(o.get("stride_h", 1)), int(o.get("stride_w", 1)))
    pt, oh = compute_padding(x_shape[1], w_shape[1], stride[0], 1, o.get("padding", "VALID"))
    pl, ow = compute_padding(x_shape[2], w_shape[2], stride[1], 1, o.get("padding", "VALID"))
    return dict(channels=int(o["channels_in"]), stride=stride, pad=(pt, pl), out_hw=(oh, ow))


def run_bconv2d(op, graph, inputs) -> np.ndarray:
    x, w = _value(op, graph, inputs, 0), _value(op, graph, inputs, 1)
    return _finish(op, graph, bconv2d_acc(x, w, **bconv_geometry(op, x.shape, w.shape)))


def run_bfc(op, graph, inputs) -> np.ndarray:
    x, w = _value(op, graph, inputs, 0), _value(op, graph, inputs, 1)
    if x.size % w.shape[1]:
        raise ModelError(f"packed input {x.shape} does not flatten onto {w.shape[1]} words",
                         op_index=op.index, opcode=op.opcode)
    acc = bfc_acc(x.reshape(-1, w.shape[1]), w,
                  in_features=int(binary_options(op)["in_features"]))
    return _finish(op, graph, acc)


OPS = {OP_PACK: OpSpec(run_bpack), OP_CONV: OpSpec(run_bconv2d), OP_FC: OpSpec(run_bfc)}
