"""Build int8 TFLite-style models in Python, one layer a call.

    b = ModelBuilder("kws")
    x = b.input((1, 49, 10, 1), scale=0.5, zero_point=-10)
    y = b.conv2d(x, w, bias, stride=2, padding="SAME", activation="RELU",
                 out_scale=0.02, out_zp=-128)       # w float -> per-channel int8 for you
    y = b.softmax(b.fully_connected(b.reshape(y, (1, -1)), w2, b2, out_scale=.1, out_zp=0))
    b.output(y)
    graph = b.build()                                # ir.Graph; save_tflite(graph) for bytes

Every method returns the output tensor's index. Weights may be given as float (quantized
here: int8 symmetric, per output channel) or as int8 with ``weight_scales``; biases as float
(quantized with ``input_scale * weight_scale``, int32) or as int32. Layouts follow
docs/ARCHITECTURE.md (conv ``[C_out,KH,KW,C_in]``, depthwise ``[1,KH,KW,C_out]``, FC ``[out,in]``).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ..errors import ModelError
from ..ir import Graph, Op, QuantParams, Tensor
from ..reference import movement, resize
from ..reference.registry import fixed_outputs
from . import schema


def quantize_weights(w: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 per-channel quantization along ``axis``: (int8 weights, scales)."""
    w = np.asarray(w, dtype=np.float64)
    reduce = tuple(i for i in range(w.ndim) if i != axis)
    peak = np.max(np.abs(w), axis=reduce)
    scales = np.where(peak > 0, peak / 127.0, 1.0)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.round(w / scales.reshape(shape)), -127, 127).astype(np.int8)
    return q, scales


def _pair(v) -> tuple[int, int]:
    return (int(v), int(v)) if np.isscalar(v) else (int(v[0]), int(v[1]))


def _out_size(size: int, k: int, stride: int, dilation: int, padding: str) -> int:
    # tensorflow/lite/kernels/padding.h ComputeOutSize
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        return (size + stride - 1) // stride
    if padding == "VALID":
        return (size - eff + stride) // stride
    raise ModelError(f"padding must be 'SAME' or 'VALID', got {padding!r}")


class ModelBuilder:
    def __init__(self, name: str = "model"):
        self.name = name
        self.tensors: list[Tensor] = []
        self.ops: list[Op] = []
        self.inputs: list[int] = []
        self.outputs: list[int] = []

    # -- tensors ----------------------------------------------------------------------------
    def tensor(self, shape, dtype="int8", scale=None, zero_point=0, axis=0, data=None,
               name=None) -> int:
        quant = None if scale is None else QuantParams(scale, np.broadcast_to(
            np.asarray(zero_point), np.shape(np.atleast_1d(scale))).copy(), axis)
        idx = len(self.tensors)
        shape = tuple(int(d) for d in shape)
        self.tensors.append(Tensor(idx, name or f"t{idx}", shape, dtype, quant, data))
        return idx

    def const(self, data, dtype: str, scale=None, zero_point=0, axis=0, name=None) -> int:
        arr = np.array(data, dtype=dtype, order="C")   # (ascontiguousarray makes 0-D 1-D)
        return self.tensor(arr.shape, dtype, scale, zero_point, axis, arr, name)

    def input(self, shape, scale=None, zero_point=0, dtype="int8", name=None) -> int:
        idx = self.tensor(shape, dtype, scale, zero_point, name=name or f"input_{len(self.inputs)}")
        self.inputs.append(idx)
        return idx

    def output(self, *indices: int) -> None:
        self.outputs.extend(int(i) for i in indices)

    def shape(self, t: int) -> tuple[int, ...]:
        return self.tensors[t].shape

    def quant(self, t: int) -> QuantParams | None:
        return self.tensors[t].quant

    def op(self, opcode: str, inputs: Sequence[int], outputs: Sequence[int],
           **options) -> Op:
        """Append any op (the escape hatch for ops without a helper)."""
        op = Op(len(self.ops), opcode, [int(i) for i in inputs], [int(o) for o in outputs],
                {**schema.default_options(opcode), **options})
        self.ops.append(op)
        return op

    def build(self) -> Graph:
        if not self.inputs or not self.outputs:
            raise ModelError(f"model {self.name!r} needs at least one input and one output")
        return Graph(tensors=list(self.tensors), ops=list(self.ops), inputs=list(self.inputs),
                     outputs=list(self.outputs), name=self.name)

    # -- internals --------------------------------------------------------------------------
    def _new(self, shape, like: int | None = None, scale=None, zp=None, dtype="int8",
             name=None) -> int:
        if scale is None and like is not None and self.quant(like) is not None:
            q = self.quant(like)
            scale, zp = q.scale.copy(), q.zero_point.copy()
        return self.tensor(shape, dtype, scale, 0 if zp is None else zp,
                           name=name or f"t{len(self.tensors)}")

    def _weights(self, w, weight_scales, axis: int, name: str) -> tuple[int, np.ndarray]:
        w = np.asarray(w)
        if w.dtype.kind == "f":
            if weight_scales is not None:
                raise ModelError(f"{name}: give weight_scales only with int8 weights")
            q, scales = quantize_weights(w, axis)
        else:
            if weight_scales is None:
                raise ModelError(f"{name}: int8 weights need weight_scales")
            q = w.astype(np.int8)
            scales = np.broadcast_to(np.asarray(weight_scales, np.float64), (w.shape[axis],))
        return self.const(q, "int8", scales, 0, axis, name=f"{name}/weights"), scales

    def _bias(self, bias, x: int, w_scales, channels: int, name: str) -> int:
        if bias is None:
            return -1
        scales = self.quant(x).scalar_scale * np.asarray(w_scales, np.float64)
        b = np.asarray(bias)
        if b.dtype.kind == "f":
            b = np.clip(np.round(b / scales), -(1 << 31), (1 << 31) - 1)
        if b.shape != (channels,):
            raise ModelError(f"{name}: bias shape {b.shape} != ({channels},)")
        return self.const(b.astype(np.int32), "int32", scales, 0, 0, name=f"{name}/bias")

    def _name(self, kind: str) -> str:
        return f"{kind}_{len(self.ops)}"

    # -- layers with weights ----------------------------------------------------------------
    def conv2d(self, x, weights, bias=None, weight_scales=None, *, stride=1, padding="SAME",
               dilation=1, activation="NONE", out_scale, out_zp, name=None) -> int:
        name = name or self._name("conv2d")
        n, h, w_, _ = self.shape(x)
        wt, scales = self._weights(weights, weight_scales, 0, name)
        cout, kh, kw, _ = self.shape(wt)
        (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
        oh, ow = _out_size(h, kh, sh, dh, padding), _out_size(w_, kw, sw, dw, padding)
        bt = self._bias(bias, x, scales, cout, name)
        y = self._new((n, oh, ow, cout), scale=out_scale, zp=out_zp, name=name)
        self.op("CONV_2D", [x, wt, bt], [y], padding=padding, stride_w=sw, stride_h=sh,
                fused_activation_function=activation, dilation_w_factor=dw,
                dilation_h_factor=dh)
        return y

    def depthwise_conv2d(self, x, weights, bias=None, weight_scales=None, *, stride=1,
                         padding="SAME", depth_multiplier=1, dilation=1, activation="NONE",
                         out_scale, out_zp, name=None) -> int:
        name = name or self._name("depthwise_conv2d")
        n, h, w_, _ = self.shape(x)
        wt, scales = self._weights(weights, weight_scales, 3, name)
        _, kh, kw, cout = self.shape(wt)
        (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
        oh, ow = _out_size(h, kh, sh, dh, padding), _out_size(w_, kw, sw, dw, padding)
        bt = self._bias(bias, x, scales, cout, name)
        y = self._new((n, oh, ow, cout), scale=out_scale, zp=out_zp, name=name)
        self.op("DEPTHWISE_CONV_2D", [x, wt, bt], [y], padding=padding, stride_w=sw,
                stride_h=sh, depth_multiplier=depth_multiplier,
                fused_activation_function=activation, dilation_w_factor=dw,
                dilation_h_factor=dh)
        return y

    def fully_connected(self, x, weights, bias=None, weight_scales=None, *, activation="NONE",
                        out_scale, out_zp, keep_num_dims=False, name=None) -> int:
        name = name or self._name("fully_connected")
        wt, scales = self._weights(weights, weight_scales, 0, name)
        out_c, in_c = self.shape(wt)
        xs = self.shape(x)
        total = math.prod(xs)
        if total % in_c:
            raise ModelError(f"{name}: input {xs} does not flatten to rows of {in_c}")
        shape = xs[:-1] + (out_c,) if keep_num_dims else (total // in_c, out_c)
        bt = self._bias(bias, x, scales, out_c, name)
        y = self._new(shape, scale=out_scale, zp=out_zp, name=name)
        self.op("FULLY_CONNECTED", [x, wt, bt], [y], fused_activation_function=activation,
                keep_num_dims=keep_num_dims)
        return y

    # -- pooling ------------------------------------------------------------------------------
    def _pool(self, opcode, x, filter_size, stride, padding, activation, name):
        n, h, w, c = self.shape(x)
        (fh, fw) = _pair(filter_size)
        (sh, sw) = _pair(stride if stride is not None else filter_size)
        y = self._new((n, _out_size(h, fh, sh, 1, padding), _out_size(w, fw, sw, 1, padding), c),
                      like=x, name=name or self._name(opcode.lower()))
        self.op(opcode, [x], [y], padding=padding, stride_w=sw, stride_h=sh, filter_width=fw,
                filter_height=fh, fused_activation_function=activation)
        return y

    def avg_pool2d(self, x, filter_size, stride=None, padding="VALID", activation="NONE",
                   name=None) -> int:
        return self._pool("AVERAGE_POOL_2D", x, filter_size, stride, padding, activation, name)

    def max_pool2d(self, x, filter_size, stride=None, padding="VALID", activation="NONE",
                   name=None) -> int:
        return self._pool("MAX_POOL_2D", x, filter_size, stride, padding, activation, name)

    # -- elementwise --------------------------------------------------------------------------
    def _binary(self, opcode, a, b, activation, out_scale, out_zp, name):
        try:
            shape = np.broadcast_shapes(self.shape(a), self.shape(b))
        except ValueError:
            raise ModelError(f"{opcode}: shapes {self.shape(a)} and {self.shape(b)} do not "
                             "broadcast") from None
        y = self._new(shape, like=a, scale=out_scale, zp=out_zp,
                      dtype=self.tensors[a].dtype, name=name or self._name(opcode.lower()))
        self.op(opcode, [a, b], [y], fused_activation_function=activation)
        return y

    def add(self, a, b, *, activation="NONE", out_scale=None, out_zp=None, name=None) -> int:
        return self._binary("ADD", a, b, activation, out_scale, out_zp, name)

    def sub(self, a, b, *, activation="NONE", out_scale=None, out_zp=None, name=None) -> int:
        return self._binary("SUB", a, b, activation, out_scale, out_zp, name)

    def mul(self, a, b, *, activation="NONE", out_scale=None, out_zp=None, name=None) -> int:
        return self._binary("MUL", a, b, activation, out_scale, out_zp, name)

    def _unary(self, opcode, x, scale=None, zp=None, name=None, dtype=None):
        y = self._new(self.shape(x), like=x, scale=scale, zp=zp,
                      dtype=dtype or self.tensors[x].dtype, name=name or self._name(opcode.lower()))
        self.op(opcode, [x], [y])
        return y

    def relu(self, x, name=None) -> int:
        return self._unary("RELU", x, name=name)

    def relu6(self, x, name=None) -> int:
        return self._unary("RELU6", x, name=name)

    def logistic(self, x, name=None) -> int:
        return self._unary("LOGISTIC", x, *fixed_outputs()["LOGISTIC"], name=name)

    def tanh(self, x, name=None) -> int:
        return self._unary("TANH", x, *fixed_outputs()["TANH"], name=name)

    def quantize(self, x, scale, zero_point, dtype="int8", name=None) -> int:
        return self._unary("QUANTIZE", x, scale, zero_point, name, dtype)

    def dequantize(self, x, name=None) -> int:
        y = self.tensor(self.shape(x), "float32", name=name or self._name("dequantize"))
        self.op("DEQUANTIZE", [x], [y])
        return y

    def softmax(self, x, beta=1.0, name=None) -> int:
        scale, zp = fixed_outputs()["SOFTMAX"]
        y = self._new(self.shape(x), scale=scale, zp=zp, name=name or self._name("softmax"))
        self.op("SOFTMAX", [x], [y], beta=float(beta))
        return y

    # -- shape ops ------------------------------------------------------------------------
    def reshape(self, x, shape, name=None) -> int:
        shape = [int(d) for d in shape]
        total = math.prod(self.shape(x))
        if shape.count(-1) == 1:
            known = math.prod(d for d in shape if d != -1)
            shape[shape.index(-1)] = total // known if known else 0
        if math.prod(shape) != total:
            raise ModelError(f"reshape {self.shape(x)} -> {shape}: element counts differ")
        name = name or self._name("reshape")
        s = self.const(np.array(shape, np.int32), "int32", name=f"{name}/shape")
        y = self._new(shape, like=x, dtype=self.tensors[x].dtype, name=name)
        self.op("RESHAPE", [x, s], [y], new_shape=list(shape))
        return y

    def squeeze(self, x, axes: Sequence[int] = (), name=None) -> int:
        shape = self.shape(x)
        axes = [a % len(shape) for a in axes] or [i for i, d in enumerate(shape) if d == 1]
        out = tuple(d for i, d in enumerate(shape) if i not in axes)
        y = self._new(out, like=x, dtype=self.tensors[x].dtype, name=name or self._name("squeeze"))
        self.op("SQUEEZE", [x], [y], squeeze_dims=list(axes))
        return y

    def pad(self, x, paddings, name=None) -> int:
        pads = np.asarray(paddings, np.int32).reshape(len(self.shape(x)), 2)
        name = name or self._name("pad")
        p = self.const(pads, "int32", name=f"{name}/paddings")
        shape = tuple(int(d + lo + hi) for d, (lo, hi) in zip(self.shape(x), pads))
        y = self._new(shape, like=x, name=name)
        self.op("PAD", [x, p], [y])
        return y

    def mean(self, x, axes, keep_dims=False, out_scale=None, out_zp=None, name=None) -> int:
        return self._reduce("MEAN", x, axes, keep_dims, out_scale, out_zp, name)

    def sum(self, x, axes, keep_dims=False, out_scale=None, out_zp=None, name=None) -> int:
        return self._reduce("SUM", x, axes, keep_dims, out_scale, out_zp, name)

    def _reduce(self, opcode, x, axes, keep_dims, out_scale, out_zp, name) -> int:
        rank = len(self.shape(x))
        axes = sorted({int(a) % rank for a in axes})
        name = name or self._name(opcode.lower())
        a = self.const(np.array(axes, np.int32), "int32", name=f"{name}/axes")
        shape = tuple(1 if i in axes else d for i, d in enumerate(self.shape(x))
                      if keep_dims or i not in axes)
        y = self._new(shape, like=x, scale=out_scale, zp=out_zp, name=name,
                      dtype=self.tensors[x].dtype)
        self.op(opcode, [x, a], [y], keep_dims=bool(keep_dims))
        return y

    def concatenation(self, xs: Sequence[int], axis=-1, activation="NONE", out_scale=None,
                      out_zp=None, name=None) -> int:
        shapes = [self.shape(t) for t in xs]
        axis = axis % len(shapes[0])
        if any(len(s) != len(shapes[0]) or s[:axis] + s[axis + 1:] != shapes[0][:axis] +
               shapes[0][axis + 1:] for s in shapes):
            raise ModelError(f"concatenation along {axis}: incompatible shapes {shapes}")
        shape = list(shapes[0])
        shape[axis] = sum(s[axis] for s in shapes)
        y = self._new(shape, like=xs[0], scale=out_scale, zp=out_zp,
                      name=name or self._name("concatenation"))
        self.op("CONCATENATION", list(xs), [y], axis=axis, fused_activation_function=activation)
        return y

    # -- data movement (output shapes from reference/movement.py and resize.py) ------------
    def _moved(self, opcode, inputs, consts, name, **options) -> int:
        """One data-movement op: ``consts`` (suffix -> int32 values) appended as inputs, the
        output shaped as the reference family says, sharing the first input's quantization."""
        name = name or self._name(opcode.lower())
        ins = list(inputs) + [self.const(np.asarray(v, np.int32), "int32", name=f"{name}/{k}")
                              for k, v in consts.items()]
        op = Op(len(self.ops), opcode, ins, [], {**schema.default_options(opcode), **options})
        view = Graph(tensors=self.tensors, ops=[], inputs=[], outputs=[])
        shape_of = resize.output_shape if opcode.startswith("RESIZE") else movement.output_shape
        y = self._new(shape_of(op, view), like=inputs[0], dtype=self.tensors[inputs[0]].dtype,
                      name=name)
        self.op(opcode, ins, [y], **options)
        return y

    def transpose(self, x, perm, name=None) -> int:
        return self._moved("TRANSPOSE", [x], {"perm": perm}, name)

    def strided_slice(self, x, begin, end, strides, name=None, **masks) -> int:
        """``masks``: begin_mask, end_mask, shrink_axis_mask (bit k for axis k)."""
        return self._moved("STRIDED_SLICE", [x], {"begin": begin, "end": end,
                                                  "strides": strides}, name, **masks)

    def gather(self, x, indices, axis=0, name=None) -> int:
        return self._moved("GATHER", [x], {"indices": indices}, name, axis=int(axis))

    def pack(self, xs: Sequence[int], axis=0, name=None) -> int:
        return self._moved("PACK", list(xs), {}, name, axis=int(axis), values_count=len(xs))

    def resize_nearest_neighbor(self, x, size, align_corners=False, half_pixel_centers=False,
                                name=None) -> int:
        return self._moved("RESIZE_NEAREST_NEIGHBOR", [x], {"size": size}, name,
                           align_corners=align_corners, half_pixel_centers=half_pixel_centers)

    def resize_bilinear(self, x, size, align_corners=False, half_pixel_centers=False,
                        name=None) -> int:
        return self._moved("RESIZE_BILINEAR", [x], {"size": size}, name,
                           align_corners=align_corners, half_pixel_centers=half_pixel_centers)

    def split(self, x, num_splits: int, axis=0, name=None) -> list[int]:
        """SPLIT into ``num_splits`` equal parts (a multi-output op: expanded at import)."""
        name = name or self._name("split")
        shape = list(self.shape(x))
        if shape[axis] % num_splits:
            raise ModelError(f"split of size {shape[axis]} into {num_splits} equal parts")
        shape[axis] //= num_splits
        a = self.const(np.array(axis, np.int32), "int32", name=f"{name}/axis")
        outs = [self._new(shape, like=x, dtype=self.tensors[x].dtype, name=f"{name}_{k}")
                for k in range(num_splits)]
        self.op("SPLIT", [a, x], outs, num_splits=num_splits)
        return outs
