"""ONNX node converters for arithmetic: Gemm, MatMul, Add, Sub, Mul, Max, Min, the activations
(LeakyRelu, PRelu among them) and Softmax."""
from __future__ import annotations

import math

import numpy as np

from .onnx_importer import _Fail, _Value
from .onnx_layout import FLAT, NCHW_TO_NHWC, NHWC, PLAIN


def _fc(imp, node, x: _Value, w, bias, from_matmul=False):
    """w float [out, K] in ONNX column order; permuted when x is a flattened NCHW map."""
    s = imp.onnx_shape(x) if x.layout != FLAT else (imp.shape(x.tensor)[0], math.prod(x.chw))
    if len(s) != 2 or x.layout == NHWC:
        raise _Fail(f"{node.op_type} needs a 2-D input [M, K], got {list(s)}")
    if w.shape[1] != s[1]:
        raise _Fail(f"weights {list(w.shape)} do not match the input {list(s)}")
    if x.layout == FLAT:
        c, h, wd = x.chw
        w = w.reshape(w.shape[0], c, h, wd).transpose(0, 2, 3, 1).reshape(w.shape[0], -1)
    wt = imp.const(w, f"{node.output[0]}/weights")
    bt = -1 if bias is None else imp.const(bias, f"{node.output[0]}/bias")
    out = imp.op("FULLY_CONNECTED", [x.tensor, wt, bt], (s[0], w.shape[0]), node.output[0],
                 fused_activation_function="NONE")
    if from_matmul and bias is None:
        imp.producer[node.output[0]] = ("MatMul", imp.ops[-1])
    imp.set(node, out, PLAIN)


def _gemm(imp, node, a):
    if int(a.get("transA", 0)):
        raise _Fail("transA=1 is not supported")
    x = imp.act(node.input[0])
    b = np.asarray(imp.constant(node, 1, "B"), np.float64)
    if b.ndim != 2:
        raise _Fail(f"B {list(b.shape)} must be a 2-D constant")
    c = imp.constant(node, 2, "C", required=False)
    w = (b if int(a.get("transB", 0)) else b.T) * float(a.get("alpha", 1.0))
    bias = None
    if c is not None:
        c = np.asarray(c, np.float64)
        if c.size not in (1, w.shape[0]):
            raise _Fail(f"bias C {list(c.shape)} is not per output ({w.shape[0]})")
        bias = np.broadcast_to(c.reshape(-1), (w.shape[0],)) * float(a.get("beta", 1.0))
    _fc(imp, node, x, w.astype(np.float32), None if bias is None else bias.astype(np.float32))


def _matmul(imp, node, a):
    x = imp.act(node.input[0])
    b = imp.constant(node, 1, "B")
    if np.ndim(b) != 2:
        raise _Fail(f"B {list(np.shape(b))} must be a 2-D constant")
    _fc(imp, node, x, np.asarray(b, np.float32).T.copy(), None, from_matmul=True)


def _const_to_layout(c, v: _Value) -> np.ndarray:
    """A constant operand in the IR layout of the activation ``v`` it meets."""
    c = np.asarray(c, np.float32)
    if v.layout == NHWC:
        if c.ndim > 4:
            raise _Fail(f"constant {list(c.shape)} has more than 4 dimensions")
        return c.reshape((1,) * (4 - c.ndim) + c.shape).transpose(NCHW_TO_NHWC)
    if v.layout == FLAT:
        if c.size == 1:
            return c.reshape(1)
        if c.shape[-1] == math.prod(v.chw) and c.size == c.shape[-1]:
            ch, h, w = v.chw
            return c.reshape(ch, h, w).transpose(1, 2, 0).reshape(1, -1)
        raise _Fail(f"constant {list(c.shape)} against a flattened NCHW map is not supported")
    return c


def _operands(imp, node):
    """(tensor indices, the activation operand's value, broadcast shape) of a two-input
    elementwise node; constants are moved to the activation's layout."""
    names = list(node.input)
    is_c = [n in imp.consts for n in names]
    if all(is_c):
        raise _Fail("both operands are constants (constant folding is not supported)")
    ref = imp.act(names[is_c.index(False)])
    idx = []
    for n in names:
        if n in imp.consts:
            idx.append(imp.const(_const_to_layout(imp.consts[n], ref), f"{n}"))
        else:
            v = imp.act(n)
            if v.layout != ref.layout or v.chw != ref.chw:
                raise _Fail(f"operands in different layouts ({v.layout}, {ref.layout})")
            idx.append(v.tensor)
    try:
        shape = np.broadcast_shapes(*(imp.shape(i) for i in idx))
    except ValueError:
        raise _Fail(f"shapes {[list(imp.shape(i)) for i in idx]} do not broadcast") from None
    return idx, ref, shape


def _fold_bias(imp, node) -> bool:
    """Add(MatMul(x, B), c) with a per-output constant c: c becomes the FC's bias."""
    names = list(node.input)
    is_c = [n in imp.consts for n in names]
    if not any(is_c) or all(is_c):
        return False
    act_name = names[is_c.index(False)]
    prod = imp.producer.get(act_name)
    c = np.asarray(imp.consts[names[is_c.index(True)]], np.float32)
    if prod is None or prod[0] != "MatMul" or not imp.sole_consumer(act_name):
        return False
    op = prod[1]
    n_out = imp.shape(op.outputs[0])[1]
    if not (c.ndim >= 1 and c.size == n_out and c.shape[-1] == n_out):
        return False
    op.inputs[2] = imp.const(c.reshape(-1), f"{node.output[0]}/bias")
    imp.values[node.output[0]] = imp.values[act_name]
    return True


def _binary(opcode, fused: bool = True):
    """A two-input elementwise op; ``fused``: the TFLite op has a fused activation option."""
    options = {"fused_activation_function": "NONE"} if fused else {}

    def convert(imp, node, a):
        if opcode == "ADD" and _fold_bias(imp, node):
            return
        idx, ref, shape = _operands(imp, node)
        imp.set(node, imp.op(opcode, idx, shape, node.output[0], **options), ref.layout,
                ref.chw)
    return convert


def _max_min(opcode):
    """Max / Min: variadic in ONNX, MAXIMUM / MINIMUM take exactly two operands."""
    two = _binary(opcode, fused=False)

    def convert(imp, node, a):
        if len(node.input) != 2:
            raise _Fail(f"{node.op_type} of {len(node.input)} inputs is not supported "
                        f"(exactly 2: {opcode})")
        two(imp, node, a)
    return convert


def _prelu(imp, node, a):
    """PRelu(X, slope): slope a constant broadcast to X (ONNX unidirectional broadcasting)."""
    if node.input[0] in imp.consts or node.input[1] not in imp.consts:
        raise _Fail("PRelu needs an activation X and a constant slope")
    _binary("PRELU", fused=False)(imp, node, a)


def _leaky_relu(imp, node, a):
    x = imp.act(node.input[0])
    alpha = float(np.float32(a.get("alpha", 0.01)))          # ONNX's default
    imp.set(node, imp.op("LEAKY_RELU", [x.tensor], imp.shape(x.tensor), node.output[0],
                         alpha=alpha), x.layout, x.chw)


def _unary(opcode):
    def convert(imp, node, a):
        x = imp.act(node.input[0])
        imp.set(node, imp.op(opcode, [x.tensor], imp.shape(x.tensor), node.output[0]),
                x.layout, x.chw)
    return convert


def _clip(imp, node, a):
    if imp.opset < 11:
        lo, hi = a.get("min", -np.inf), a.get("max", np.inf)
    else:
        lo = imp.scalar(node, 1, "min", required=False)
        hi = imp.scalar(node, 2, "max", required=False)
        lo = -np.inf if lo is None else lo
        hi = np.inf if hi is None else hi
    if lo == 0 and hi == 6:
        return _unary("RELU6")(imp, node, a)
    if lo == 0 and hi == np.inf:
        return _unary("RELU")(imp, node, a)
    raise _Fail(f"Clip({lo}, {hi}) is not supported: only Clip(0, 6) -> RELU6 and Clip(0) -> RELU")


def _softmax(imp, node, a):
    x = imp.act(node.input[0])
    rank = len(imp.onnx_shape(x)) if x.layout != FLAT else 2
    if rank == 0:
        raise _Fail("Softmax of a scalar")
    axis = int(a.get("axis", -1 if imp.opset >= 13 else 1)) % rank
    if x.layout == NHWC:
        n, h, w, c = imp.shape(x.tensor)
        over_c = axis == 1 and (imp.opset >= 13 or h * w == 1)
        if not over_c:
            raise _Fail(f"Softmax over axis {axis} of an NCHW map (opset {imp.opset}) is not "
                        "supported: only over the channels")
    elif axis != rank - 1:
        raise _Fail(f"Softmax over axis {axis} of rank {rank} is not supported (last axis only)")
    imp.set(node, imp.op("SOFTMAX", [x.tensor], imp.shape(x.tensor), node.output[0], beta=1.0),
            x.layout, x.chw)
