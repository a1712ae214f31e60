"""ONNX node converters that move data: Identity / Dropout, Flatten, Reshape, Pad, Concat."""
from __future__ import annotations

import math

import numpy as np

from .onnx_importer import _Fail, _Value
from .onnx_layout import FLAT, NCHW_TO_NHWC, NHWC, NHWC_AXIS, PLAIN


def _alias(imp, node, a):
    if node.op_type == "Dropout" and len(node.output) > 1 and node.output[1] \
            and imp.uses.get(node.output[1]):
        raise _Fail("the mask output of Dropout is used; it is not supported")
    src = node.input[0]
    if src in imp.consts:
        imp.consts[node.output[0]] = imp.consts[src]
    else:
        imp.values[node.output[0]] = imp.act(src)


def _reshape_to(imp, node, x: _Value, target):
    n_elem = math.prod(imp.onnx_shape(x)) if x.layout != FLAT else \
        imp.shape(x.tensor)[0] * math.prod(x.chw)
    target = [int(d) for d in target]
    if math.prod(target) != n_elem:
        raise _Fail(f"reshape to {target}: {n_elem} elements do not fit")
    if x.layout == FLAT and target == [imp.shape(x.tensor)[0], math.prod(x.chw)]:
        imp.values[node.output[0]] = x
        return
    reordered = (x.layout == NHWC and imp.shape(x.tensor)[3] > 1
                 and imp.shape(x.tensor)[1] * imp.shape(x.tensor)[2] > 1) or x.layout == FLAT
    if reordered:
        n, h, w, c = imp.shape(x.tensor)
        if len(target) == 2 and target[0] == n:
            out = imp.op("RESHAPE", [x.tensor, _shape_const(imp, node, [n, h * w * c])],
                         (n, h * w * c), node.output[0], new_shape=[n, h * w * c])
            imp.set(node, out, FLAT, (c, h, w))
            return
        raise _Fail(f"reshape of an NCHW feature map {list(imp.onnx_shape(x))} to {target} "
                    "would need a transpose on the device (only flattening to [N, C*H*W] is "
                    "supported)")
    layout, ir_shape = PLAIN, target
    if len(target) == 4:
        n, c, h, w = target
        if c > 1 and h * w > 1:
            raise _Fail(f"reshape to the NCHW map {target} would need a transpose on the device")
        layout, ir_shape = NHWC, [n, h, w, c]
    out = imp.op("RESHAPE", [x.tensor, _shape_const(imp, node, ir_shape)], ir_shape,
                 node.output[0], new_shape=list(ir_shape))
    imp.set(node, out, layout)


def _shape_const(imp, node, shape):
    return imp.const(np.array(shape, np.int32), f"{node.output[0]}/shape", "int32")


def _flatten(imp, node, a):
    x = imp.act(node.input[0])
    s = imp.onnx_shape(x) if x.layout != FLAT else (imp.shape(x.tensor)[0], math.prod(x.chw))
    axis = int(a.get("axis", 1)) % (len(s) + 1) if len(s) else 0
    _reshape_to(imp, node, x, [math.prod(s[:axis]), math.prod(s[axis:])])


def _reshape(imp, node, a):
    x = imp.act(node.input[0])
    shape = imp.ints(node, 1, "shape")
    src = imp.onnx_shape(x) if x.layout != FLAT else (imp.shape(x.tensor)[0], math.prod(x.chw))
    allow_zero = int(a.get("allowzero", 0))
    if not allow_zero and 0 in shape[len(src):]:
        raise _Fail(f"shape {shape}: a 0 (copy the input's dimension) past the input's rank {len(src)}")
    shape = [src[i] if d == 0 and not allow_zero else d for i, d in enumerate(shape)]
    if shape.count(-1) == 1:
        known = math.prod(d for d in shape if d != -1)
        shape[shape.index(-1)] = math.prod(src) // known if known else 0
    _reshape_to(imp, node, x, shape)


def _pad(imp, node, a):
    if a.get("mode", "constant") != "constant":
        raise _Fail(f"mode={a['mode']!r} is not supported (constant only)")
    x = imp.act(node.input[0])
    if imp.opset < 11:
        pads, value = list(a.get("pads", [])), float(a.get("value", 0.0))
    else:
        pads = imp.ints(node, 1, "pads")
        v = imp.scalar(node, 2, "constant_value", required=False)
        value = 0.0 if v is None else v
        if len(node.input) > 3 and node.input[3]:
            raise _Fail("the axes input is not supported")
    s = imp.onnx_shape(x)
    if x.layout == FLAT or len(pads) != 2 * len(s) or min(pads) < 0:
        raise _Fail(f"pads {pads} for input {list(s)}: need 2 * rank non-negative values")
    pairs = [(pads[i], pads[i + len(s)]) for i in range(len(s))]
    if x.layout == NHWC:
        pairs = [pairs[i] for i in NCHW_TO_NHWC]
    shape = [d + b + e for d, (b, e) in zip(imp.shape(x.tensor), pairs)]
    ins = [x.tensor, imp.const(pairs, f"{node.output[0]}/pads", "int32")]
    opcode = "PAD"
    if value != 0.0:
        opcode = "PADV2"
        ins.append(imp.const([value], f"{node.output[0]}/value"))
    imp.set(node, imp.op(opcode, ins, shape, node.output[0]), x.layout)


def _concat(imp, node, a):
    vals = [imp.act(n) for n in node.input]
    layouts = {(v.layout, v.chw) for v in vals}
    if len(layouts) != 1 or vals[0].layout == FLAT:
        raise _Fail("inputs must all be NCHW maps or all plain tensors")
    rank = len(imp.shape(vals[0].tensor))
    if "axis" not in a or rank == 0:
        raise _Fail("needs an axis attribute and inputs of rank 1 or more")
    axis = int(a["axis"]) % rank
    if vals[0].layout == NHWC:
        axis = NHWC_AXIS[axis]
    shape = list(imp.shape(vals[0].tensor))
    for v in vals[1:]:
        s = imp.shape(v.tensor)
        if len(s) != rank or any(s[i] != shape[i] for i in range(rank) if i != axis):
            raise _Fail(f"input shapes {[list(imp.onnx_shape(v)) for v in vals]} do not "
                        "concatenate")
        shape[axis] += s[axis]
    imp.set(node, imp.op("CONCATENATION", [v.tensor for v in vals], shape, node.output[0],
                         axis=axis, fused_activation_function="NONE"), vals[0].layout)
