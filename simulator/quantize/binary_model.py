"""Binary layers in an int8 graph: IR construction helpers and the digits binary-mixed model.

IR encoding of a binary layer (see :mod:`simulator.reference.binary` for the arithmetic):

    CUSTOM:MCUSIM_BPACK    inputs [x int8 [N,H,W,C] (quantized)]
                           outputs [y int32 [N,H,W,ceil(C/32)]]     options {channels}
    CUSTOM:MCUSIM_BCONV2D  inputs [x int32 packed, w int32 [C_out,KH,KW,ceil(C_in/32)],
                                   p int32 [C_out]]
                           outputs [y int8 [N,OH,OW,C_out] (quantized) | int32 packed]
                           options {channels_in, channels_out, stride_h, stride_w,
                                    padding "SAME"|"VALID", fused_activation_function}
    CUSTOM:MCUSIM_BFC      inputs [x int32 packed [N, ..., words], w int32 [out, in_words],
                                   p int32 [out]]
                           outputs as BCONV2D ([N, out] int8 or [N, ceil(out/32)] packed)
                           options {in_features, out_features, fused_activation_function}

``p`` is the bias (int8 output; its per-channel quantization scale is the real value of one
accumulator unit) or the thresholds (binary output). Options are also stored as JSON in
``custom_options``, so they survive ``save_tflite``/``load_tflite``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulator.errors import QuantizationError
from simulator.frontend.builder import ModelBuilder
from simulator.ir import Graph
from simulator.quantize.calibration import qparams_for_range
from simulator.reference import binary as bn
from simulator.reference.padding import compute_padding

INT32_MAX = (1 << 31) - 1


# ---- folding a batch-normed binary layer ------------------------------------------------------

def fold_sign(scale, offset, w_bits) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``y = scale * acc + offset`` per output channel -> (|scale|, offset/|scale| as acc units,
    weight bits with the negative-scale channels inverted), so that ``y = s' * (acc' + b')``."""
    scale = np.asarray(scale, np.float64)
    offset = np.asarray(offset, np.float64)
    if np.any(scale == 0):
        raise QuantizationError("a binary channel with scale 0 has a constant output; "
                                "remove it before export")
    neg = scale < 0
    bits = np.asarray(w_bits, bool) ^ neg.reshape((-1,) + (1,) * (np.ndim(w_bits) - 1))
    s = np.abs(scale)
    b = offset / s
    return s, b, bits


def thresholds(b) -> np.ndarray:
    """Binary output: bit 1 (-1) iff ``acc + b < 0`` iff ``acc < ceil(-b)`` for integer acc."""
    t = np.ceil(-np.asarray(b, np.float64))
    return np.clip(t, -INT32_MAX, INT32_MAX).astype(np.int32)


def pack_conv_weights(w_bits) -> np.ndarray:
    """bool ``[C_out, KH, KW, C_in]`` (True = -1) -> int32 ``[C_out, KH, KW, ceil(C_in/32)]``."""
    return bn.pack_bits(w_bits)


def pack_fc_weights(w_bits, in_shape) -> np.ndarray:
    """bool ``[out, H*W*C]`` in (h, w, c) order -> int32 ``[out, H*W*ceil(C/32)]``, matching the
    flattened packed activation ``[H, W, words]``."""
    h, w, c = in_shape
    w_bits = np.asarray(w_bits, bool)
    if w_bits.shape[1] != h * w * c:
        raise QuantizationError(f"binary FC weights {w_bits.shape} do not match input {in_shape}")
    return bn.pack_bits(w_bits.reshape(-1, h * w, c)).reshape(w_bits.shape[0], -1)


# ---- adding binary ops to a ModelBuilder --------------------------------------------------------

def add_bpack(b: ModelBuilder, x: int) -> int:
    shape = b.shape(x)
    y = b.tensor(shape[:-1] + (bn.words_for(shape[-1]),), "int32", name=f"bpack_{len(b.ops)}")
    b.op(bn.OP_PACK, [x], [y], **bn.encode_options({"channels": int(shape[-1])}))
    return y


def add_bconv2d(b: ModelBuilder, x: int, w_bits, *, channels_in: int, stride=1, padding="SAME",
                scale, offset, out_scale=None, out_zp=None, activation="NONE") -> int:
    """Binary conv; binary output when ``out_scale`` is None, else int8 with those params."""
    s, off, bits = fold_sign(scale, offset, w_bits)
    n, h, w_, _ = b.shape(x)
    c_out, kh, kw, _ = bits.shape
    _, oh = compute_padding(h, kh, stride, 1, padding)
    _, ow = compute_padding(w_, kw, stride, 1, padding)
    wt = b.const(pack_conv_weights(bits), "int32", name=f"bconv_{len(b.ops)}/weights")
    opts = {"channels_in": int(channels_in), "channels_out": int(c_out), "stride_h": int(stride),
            "stride_w": int(stride), "padding": padding, "fused_activation_function": activation}
    pt, y = _epilogue(b, s, off, (n, oh, ow), c_out, out_scale, out_zp, "bconv")
    b.op(bn.OP_CONV, [x, wt, pt], [y], **bn.encode_options(opts))
    return y


def add_bfc(b: ModelBuilder, x: int, w_bits, *, in_shape, scale, offset, out_scale=None,
            out_zp=None, activation="NONE") -> int:
    s, off, bits = fold_sign(scale, offset, w_bits)
    wt = b.const(pack_fc_weights(bits, in_shape), "int32", name=f"bfc_{len(b.ops)}/weights")
    n_out = bits.shape[0]
    opts = {"in_features": int(np.prod(in_shape)), "out_features": int(n_out),
            "fused_activation_function": activation}
    pt, y = _epilogue(b, s, off, (b.shape(x)[0],), n_out, out_scale, out_zp, "bfc")
    b.op(bn.OP_FC, [x, wt, pt], [y], **bn.encode_options(opts))
    return y


def _epilogue(b, s, off, lead, c_out, out_scale, out_zp, kind):
    k = len(b.ops)
    if out_scale is None:
        pt = b.const(thresholds(off), "int32", name=f"{kind}_{k}/thresholds")
        y = b.tensor(lead + (bn.words_for(c_out),), "int32", name=f"{kind}_{k}")
    else:
        bias = np.clip(np.round(off), -INT32_MAX, INT32_MAX).astype(np.int32)
        pt = b.const(bias, "int32", scale=s.astype(np.float32).astype(np.float64),
                     zero_point=np.zeros(c_out, np.int64), name=f"{kind}_{k}/bias")
        y = b.tensor(lead + (c_out,), "int8", out_scale, out_zp, name=f"{kind}_{k}")
    return pt, y


# ---- the digits binary-mixed network --------------------------------------------------------------

@dataclass
class DigitsBinaryWeights:
    """Float weights of the digits binary-mixed net (``models/digits_float_binary_qat.npz``).
    conv1: int8 3x3 1->C1 (no activation: its sign feeds the binary layer), maxpool 2;
    bconv: binary 3x3 C1->C2, SAME (+1 padding), batch norm folded to (scale, offset), sign;
    bfc: binary 4*4*C2 -> F, batch norm (scale, offset), ReLU, int8; fc: int8 F -> 10, softmax."""
    conv1_w: np.ndarray      # [C1, 3, 3, 1]
    conv1_b: np.ndarray
    bconv_w: np.ndarray      # [C2, 3, 3, C1] latent floats, sign taken
    bconv_scale: np.ndarray
    bconv_offset: np.ndarray
    bfc_w: np.ndarray        # [F, 4*4*C2] latent, (h, w, c) order
    bfc_scale: np.ndarray
    bfc_offset: np.ndarray
    fc_w: np.ndarray         # [10, F]
    fc_b: np.ndarray

    BINARY = ("bconv_w", "bfc_w")

    @classmethod
    def load(cls, path) -> "DigitsBinaryWeights":
        """Binary weights are stored as their sign bits (``np.packbits`` of ``w < 0``)."""
        with np.load(path) as z:
            fields = {k: z[k] for k in cls.__dataclass_fields__ if k not in cls.BINARY}
            for k in cls.BINARY:
                shape = tuple(int(d) for d in z[f"{k}_shape"])
                neg = np.unpackbits(z[f"{k}_neg"], count=math.prod(shape)).astype(bool)
                fields[k] = np.where(neg.reshape(shape), -1.0, 1.0).astype(np.float32)
        return cls(**fields)

    def save(self, path) -> None:
        arrays = {k: np.asarray(getattr(self, k), np.float32) for k in self.__dataclass_fields__
                  if k not in self.BINARY}
        for k in self.BINARY:
            w = np.asarray(getattr(self, k))
            arrays[f"{k}_neg"] = np.packbits((w < 0).reshape(-1))
            arrays[f"{k}_shape"] = np.array(w.shape, np.int32)
        np.savez_compressed(path, **arrays)


def _sign(v):
    return np.where(v < 0, -1.0, 1.0)


def _conv_same(x, w, b):
    n, h, wd, c = x.shape
    k = w.shape[1]
    p = k // 2
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    out = np.zeros((n, h, wd, w.shape[0]))
    for ky in range(k):
        for kx in range(k):
            out += xp[:, ky:ky + h, kx:kx + wd] @ w[:, ky, kx, :].T
    return out + (0 if b is None else b)


def digits_binary_float_forward(wt: DigitsBinaryWeights, x: np.ndarray) -> dict:
    """Float64 forward of the same net (for calibration): every intermediate by name."""
    a1 = _conv_same(x, wt.conv1_w, wt.conv1_b)
    n, h, w, c = a1.shape
    p1 = a1.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))
    xs = _sign(p1)
    xp = np.pad(xs, ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=1.0)   # +1 padding
    acc2 = _conv_same(xp, _sign(wt.bconv_w), None)[:, 1:-1, 1:-1]
    s2 = _sign(wt.bconv_scale * acc2 + wt.bconv_offset)
    acc3 = s2.reshape(n, -1) @ _sign(wt.bfc_w).T
    f3 = np.maximum(wt.bfc_scale * acc3 + wt.bfc_offset, 0.0)
    logits = f3 @ wt.fc_w.T + wt.fc_b
    return {"conv1": a1, "bfc": f3, "logits": logits}


def build_digits_binary(wt: DigitsBinaryWeights, calibration: np.ndarray,
                        input_q=(1 / 255, -128)) -> Graph:
    """The int8 + binary graph: first and last layers int8 (PTQ ranges from ``calibration``,
    float images [N, 8, 8, 1]), the middle two binary."""
    f = digits_binary_float_forward(wt, np.asarray(calibration, np.float64))
    b = ModelBuilder("digits_binary_mixed")
    x = b.input((1, 8, 8, 1), *input_q)
    s1, z1 = qparams_for_range(f["conv1"].min(), f["conv1"].max())
    y = b.conv2d(x, wt.conv1_w, wt.conv1_b, padding="SAME", out_scale=s1, out_zp=z1)
    y = b.max_pool2d(y, 2)
    c1, c2 = wt.conv1_w.shape[0], wt.bconv_w.shape[0]
    y = add_bpack(b, y)
    y = add_bconv2d(b, y, wt.bconv_w < 0, channels_in=c1, scale=wt.bconv_scale,
                    offset=wt.bconv_offset)
    s3, z3 = qparams_for_range(0.0, f["bfc"].max())
    y = add_bfc(b, y, wt.bfc_w < 0, in_shape=(4, 4, c2), scale=wt.bfc_scale,
                offset=wt.bfc_offset, out_scale=s3, out_zp=z3, activation="RELU")
    s4, z4 = qparams_for_range(f["logits"].min(), f["logits"].max())
    y = b.softmax(b.fully_connected(y, wt.fc_w, wt.fc_b, out_scale=s4, out_zp=z4))
    b.output(y)
    return b.build()


def binary_layer_bytes(graph) -> dict:
    """Packed-weight bytes of the binary layers and what channel padding to 32 costs in them
    and in the packed activations."""
    weights = padding = act_pad = 0
    for op in graph.ops:
        if op.opcode in (bn.OP_CONV, bn.OP_FC):
            w = graph.tensor(op.inputs[1])
            weights += w.nbytes
            o = bn.binary_options(op)
            real_bits = (w.shape[0] * math.prod(w.shape[1:-1]) * int(o["channels_in"])
                         if op.opcode == bn.OP_CONV else w.shape[0] * int(o["in_features"]))
            padding += w.nbytes - real_bits // 8
        if op.opcode == bn.OP_PACK:
            shape = graph.tensor(op.inputs[0]).shape
            packed, ideal = bn.packed_bytes(shape)
            act_pad += packed - ideal
    return {"binary_weight_bytes": weights, "weight_padding_bytes": padding,
            "activation_padding_bytes": act_pad}
