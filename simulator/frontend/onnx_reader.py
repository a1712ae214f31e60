"""ONNX (float32) -> :class:`ir.Graph`: the ops of small CNNs and MLPs, mapped onto TFLite builtins.

Operator semantics are ONNX's (onnx.ai, Operators.md); the IR speaks TFLite (ir.py), so:

    Conv (group 1)            -> CONV_2D            weights [O, I, KH, KW] -> [O, KH, KW, I]
    Conv (group == C_in)      -> DEPTHWISE_CONV_2D  weights [O, 1, KH, KW] -> [1, KH, KW, O]
    BatchNormalization        folded into the Conv before it (sole consumer), else MUL + ADD
    Gemm, MatMul (+ Add bias) -> FULLY_CONNECTED    weights [O, K] (alpha, beta folded in)
    Relu, Clip(0, 6)/(0, inf) -> RELU6 / RELU;  Sigmoid -> LOGISTIC;  Tanh -> TANH
    MaxPool, AveragePool      -> MAX/AVERAGE_POOL_2D (pads must be TFLite SAME or VALID)
    GlobalAveragePool         -> MEAN over H, W (keep_dims)
    Add, Mul                  -> ADD, MUL (constants moved to NHWC: [C, 1, 1] -> [1, 1, 1, C])
    Flatten, Reshape          -> RESHAPE;  Softmax -> SOFTMAX (over the channel / last axis)
    Pad (constant mode)       -> PAD (PADV2 for a non-zero value);  Concat -> CONCATENATION
    Identity, Dropout         removed

**Layout.** ONNX feature maps are NCHW, the IR's NHWC. Every 4-D value is held transposed:
the imported graph takes ``[N, H, W, C]`` where the ONNX model takes ``[N, C, H, W]`` (a
symbolic batch becomes 1) and gives 4-D outputs as NHWC. :func:`onnx_inputs_to_ir` and
:func:`ir_outputs_to_onnx` convert arrays at the boundary. A Flatten of an NCHW map keeps the
IR's (h, w, c) element order; the Gemm / MatMul that consumes it gets its weight columns
permuted to match, so no transpose runs on the device.

**Padding.** Explicit ``pads`` (or ``auto_pad``) equal to TFLite's SAME (extra pixel at the end,
= SAME_UPPER) or VALID map onto those; any other Conv padding becomes a PAD op then a VALID
conv. Pools need SAME or VALID (a max pool cannot be padded with zeros).

Anything else (an op, an attribute value, a non-constant weight) is a ``ModelError`` naming
the file, the node index and op_type, the node's name and what is missing.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ConfigError, ModelError
from ..ir import Graph, Op, Tensor
from . import schema

NHWC, PLAIN, FLAT = "nhwc", "plain", "flat_nchw"
NCHW_TO_NHWC = (0, 2, 3, 1)
NHWC_TO_NCHW = (0, 3, 1, 2)
NHWC_AXIS = {0: 0, 1: 3, 2: 1, 3: 2}       # ONNX NCHW axis -> IR NHWC axis
SUPPORTED = ("Add", "AveragePool", "BatchNormalization", "Clip", "Concat", "Constant", "Conv",
             "Dropout", "Flatten", "Gemm", "GlobalAveragePool", "Identity", "MatMul", "MaxPool",
             "Mul", "Pad", "Relu", "Reshape", "Sigmoid", "Softmax", "Tanh")


def _onnx():
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise ConfigError("reading .onnx models needs the onnx package: "
                          "pip install 'mcusim[onnx]'") from None
    return onnx, numpy_helper


class _Fail(Exception):
    """A node cannot be imported: the message says what is missing."""


@dataclass
class _Value:
    tensor: int                 # IR tensor index
    layout: str                 # NHWC: ONNX [N,C,H,W] held as [N,H,W,C]; PLAIN: as ONNX;
    chw: tuple = ()             # FLAT: ONNX [N, C*H*W] held as [N, H*W*C]; chw = (C, H, W)


@dataclass
class _Importer:
    source: str
    opset: int
    tensors: list = field(default_factory=list)
    ops: list = field(default_factory=list)
    values: dict = field(default_factory=dict)      # ONNX name -> _Value
    consts: dict = field(default_factory=dict)      # ONNX name -> np.ndarray
    producer: dict = field(default_factory=dict)    # ONNX name -> (op_type, ir Op)
    uses: dict = field(default_factory=dict)        # ONNX name -> number of consuming nodes
    outputs: set = field(default_factory=set)       # ONNX graph output names

    # ---- IR construction ----------------------------------------------------------------------

    def tensor(self, shape, name, dtype="float32", data=None) -> int:
        t = Tensor(len(self.tensors), name, tuple(int(d) for d in shape), dtype, data=data)
        self.tensors.append(t)
        return t.index

    def const(self, data, name, dtype="float32") -> int:
        data = np.ascontiguousarray(np.asarray(data, dtype=dtype))
        return self.tensor(data.shape, name, dtype, data)

    def op(self, opcode, inputs, shape, name, **options) -> int:
        out = self.tensor(shape, name)
        self.ops.append(Op(len(self.ops), opcode, list(inputs), [out],
                           {**schema.default_options(opcode), **options}))
        return out

    def shape(self, idx) -> tuple:
        return self.tensors[idx].shape

    # ---- ONNX values ----------------------------------------------------------------------------

    def act(self, name) -> _Value:
        if name in self.consts:
            raise _Fail(f"input {name!r} is a constant where an activation is expected")
        if name not in self.values:
            raise _Fail(f"input {name!r} is not produced by any earlier node")
        return self.values[name]

    def constant(self, node, k, what, required=True):
        name = node.input[k] if k < len(node.input) else ""
        if not name:
            if required:
                raise _Fail(f"{what} (input {k}) is missing")
            return None
        if name not in self.consts:
            raise _Fail(f"{what} (input {k}, {name!r}) must be a constant initializer")
        return self.consts[name]

    def set(self, node, idx, layout, chw=()):
        self.values[node.output[0]] = _Value(idx, layout, chw)
        return idx

    def onnx_shape(self, v: _Value) -> tuple:
        s = self.shape(v.tensor)
        if v.layout == NHWC:
            return (s[0], s[3], s[1], s[2])
        return s

    def sole_consumer(self, name) -> bool:
        return self.uses.get(name, 0) == 1 and name not in self.outputs


def load_onnx(path, name: str | None = None) -> Graph:
    """Read a float32 ``.onnx`` file into an NHWC :class:`ir.Graph` (see the module docstring)."""
    onnx, numpy_helper = _onnx()
    source = os.fspath(path)
    try:
        model = onnx.load(source)
    except OSError as err:
        raise ModelError(f"cannot read model file: {err.strerror or err}", path=source) from None
    except Exception as err:            # protobuf's DecodeError and friends
        raise ModelError(f"not an ONNX model ({type(err).__name__}: {err})", path=source) from None
    opset = max([o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] or [1])
    imp = _Importer(source, opset)
    g = model.graph
    for init in g.initializer:
        imp.consts[init.name] = numpy_helper.to_array(init)
    for node in g.node:
        for i in node.input:
            imp.uses[i] = imp.uses.get(i, 0) + 1
    imp.outputs = {o.name for o in g.output}
    inputs = [_read_input(imp, vi) for vi in g.input if vi.name not in imp.consts]
    for index, node in enumerate(g.node):
        try:
            _convert(imp, node, numpy_helper)
        except _Fail as err:
            raise ModelError(f"node {node.name or '(unnamed)'!r}: {err}", path=source,
                             op_index=index, opcode=node.op_type) from None
    outputs, out_meta = [], []
    for o in g.output:
        if o.name not in imp.values:
            raise ModelError(f"graph output {o.name!r} is a constant or never produced",
                             path=source)
        v = imp.values[o.name]
        outputs.append(v.tensor)
        out_meta.append({"name": o.name, "layout": v.layout, "chw": list(v.chw),
                         "onnx_shape": list(imp.onnx_shape(v) if v.layout != FLAT
                                            else (imp.shape(v.tensor)[0], math.prod(v.chw)))})
    graph = Graph(tensors=imp.tensors, ops=imp.ops, inputs=[i for i, _ in inputs],
                  outputs=outputs, name=name or Path(source).stem, source=source,
                  metadata={"onnx": {"opset": opset, "producer": model.producer_name,
                                     "inputs": [m for _, m in inputs], "outputs": out_meta}})
    graph.check_dataflow()
    return graph


def _read_input(imp: _Importer, vi):
    t = vi.type.tensor_type
    if t.elem_type != 1:                 # TensorProto.FLOAT
        raise ModelError(f"graph input {vi.name!r} has element type {t.elem_type}; only float32 "
                         "models are imported (quantize them with mcusim quantize)",
                         path=imp.source)
    dims = []
    for k, d in enumerate(t.shape.dim):
        if d.HasField("dim_value") and d.dim_value > 0:
            dims.append(int(d.dim_value))
        elif k == 0:
            dims.append(1)              # symbolic batch: one inference
        else:
            raise ModelError(f"graph input {vi.name!r} dimension {k} is not fixed "
                             f"({d.dim_param or '?'})", path=imp.source)
    if len(dims) == 4:
        idx = imp.tensor([dims[i] for i in NCHW_TO_NHWC], vi.name)
        layout = NHWC
    else:
        idx = imp.tensor(dims, vi.name)
        layout = PLAIN
    imp.values[vi.name] = _Value(idx, layout)
    return idx, {"name": vi.name, "onnx_shape": dims, "layout": layout}


# ---- the node converters ----------------------------------------------------------------------

def _attrs(node) -> dict:
    from onnx import helper
    out = {}
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        out[a.name] = v.decode() if isinstance(v, bytes) else v
    return out


def _convert(imp: _Importer, node, numpy_helper) -> None:
    if node.op_type not in CONVERTERS or node.domain not in ("", "ai.onnx"):
        raise _Fail(f"op_type {node.op_type} is not supported (supported: {', '.join(SUPPORTED)})")
    if node.op_type == "Constant":
        a = next((x for x in node.attribute if x.name == "value"), None)
        if a is None:
            raise _Fail("only Constant with a 'value' tensor is supported")
        imp.consts[node.output[0]] = numpy_helper.to_array(a.t)
        return
    CONVERTERS[node.op_type](imp, node, _attrs(node))


def _need_nhwc(imp, v: _Value, what: str) -> None:
    if v.layout != NHWC:
        raise _Fail(f"{what} needs a 4-D [N, C, H, W] input, got {list(imp.onnx_shape(v))}")


def _same_pads(size, k, s, d) -> tuple[int, int]:
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def _spatial(node, a, hw, kernel, strides, dilations):
    """'SAME', 'VALID' or explicit ((top, bottom), (left, right)) for this node's padding."""
    auto = a.get("auto_pad", "NOTSET")
    same = [_same_pads(hw[i], kernel[i], strides[i], dilations[i]) for i in range(2)]
    if auto == "VALID":
        return "VALID"
    if auto == "SAME_UPPER":
        return "SAME"
    if auto == "SAME_LOWER":
        pads = [(p[1], p[0]) for p in same]
    elif auto == "NOTSET":
        p = list(a.get("pads", [0, 0, 0, 0]))
        if len(p) != 4:
            raise _Fail(f"pads {p} is not 2-D [top, left, bottom, right]")
        pads = [(p[0], p[2]), (p[1], p[3])]
    else:
        raise _Fail(f"auto_pad {auto!r} is not supported")
    if all(x == 0 for pr in pads for x in pr):
        return "VALID"
    if pads == same:
        return "SAME"
    return tuple(pads)


def _geometry(a, kernel):
    strides = list(a.get("strides", [1, 1]))
    dil = list(a.get("dilations", [1, 1]))
    if len(kernel) != 2 or len(strides) != 2 or len(dil) != 2:
        raise _Fail(f"only 2-D kernels are supported (kernel_shape {list(kernel)})")
    return strides, dil


def _out_hw(hw, kernel, strides, dil, padding):
    from ..reference.padding import compute_padding
    return [compute_padding(hw[i], kernel[i], strides[i], dil[i], padding)[1] for i in range(2)]


def _conv(imp, node, a):
    x = imp.act(node.input[0])
    _need_nhwc(imp, x, "Conv")
    w = np.asarray(imp.constant(node, 1, "weights W"), np.float32)
    b = imp.constant(node, 2, "bias B", required=False)
    n, h, wd, c = imp.shape(x.tensor)
    if w.ndim != 4:
        raise _Fail(f"weights {list(w.shape)}: only 2-D convolution is supported")
    o, ig, kh, kw = w.shape
    if list(a.get("kernel_shape", [kh, kw])) != [kh, kw]:
        raise _Fail(f"kernel_shape {a['kernel_shape']} does not match weights {list(w.shape)}")
    group = int(a.get("group", 1))
    strides, dil = _geometry(a, (kh, kw))
    if group == 1 and ig == c:
        opcode, wdata, extra = "CONV_2D", w.transpose(0, 2, 3, 1), {}
    elif group == c and ig == 1 and o % c == 0:
        opcode, wdata = "DEPTHWISE_CONV_2D", w[:, 0].transpose(1, 2, 0)[None]
        extra = {"depth_multiplier": o // c}
    else:
        raise _Fail(f"group={group} with weights {list(w.shape)} on {c} input channels: only "
                    f"group 1 (CONV_2D) or group == C_in (depthwise) is supported")
    padding = _spatial(node, a, (h, wd), (kh, kw), strides, dil)
    xi = x.tensor
    if not isinstance(padding, str):
        (t, bt), (l, r) = padding
        pads = imp.const([[0, 0], [t, bt], [l, r], [0, 0]], f"{node.output[0]}/pads", "int32")
        xi = imp.op("PAD", [xi, pads], (n, h + t + bt, wd + l + r, c), f"{node.output[0]}/pad")
        h, wd, padding = h + t + bt, wd + l + r, "VALID"
    oh, ow = _out_hw((h, wd), (kh, kw), strides, dil, padding)
    wt = imp.const(wdata, f"{node.output[0]}/weights")
    bt = -1 if b is None else imp.const(np.reshape(b, (o,)), f"{node.output[0]}/bias")
    out = imp.op(opcode, [xi, wt, bt], (n, oh, ow, o), node.output[0], padding=padding,
                 stride_h=strides[0], stride_w=strides[1], dilation_h_factor=dil[0],
                 dilation_w_factor=dil[1], fused_activation_function="NONE", **extra)
    imp.producer[node.output[0]] = ("Conv", imp.ops[-1])
    imp.set(node, out, NHWC)


def _batchnorm(imp, node, a):
    if int(a.get("training_mode", 0)):
        raise _Fail("training_mode=1 is not supported")
    if any(o for o in node.output[1:]):
        raise _Fail("running mean/var outputs are not supported")
    x = imp.act(node.input[0])
    gamma, beta, mean, var = (np.asarray(imp.constant(node, k, n), np.float64)
                              for k, n in ((1, "scale"), (2, "B"), (3, "input_mean"),
                                           (4, "input_var")))
    scale = gamma / np.sqrt(var + float(a.get("epsilon", 1e-5)))
    shift = beta - mean * scale
    prod = imp.producer.get(node.input[0])
    if prod is not None and prod[0] == "Conv" and imp.sole_consumer(node.input[0]):
        op = prod[1]
        w_t = imp.tensors[op.inputs[1]]
        axis = 0 if op.opcode == "CONV_2D" else 3
        shape = [1] * 4
        shape[axis] = -1
        w_t.data = (w_t.data.astype(np.float64) * scale.reshape(shape)).astype(np.float32)
        if op.inputs[2] < 0:
            conv_name = imp.tensors[op.outputs[0]].name
            op.inputs[2] = imp.const(np.zeros(scale.size), f"{conv_name}/bias")
        b_t = imp.tensors[op.inputs[2]]
        b_t.data = (b_t.data.astype(np.float64) * scale + shift).astype(np.float32)
        imp.values[node.output[0]] = x
        return
    shape = (1, 1, 1, -1) if x.layout == NHWC else (1, -1)
    if x.layout == FLAT:
        raise _Fail("BatchNormalization of a flattened feature map is not supported")
    s = imp.const(scale.reshape(shape), f"{node.output[0]}/scale")
    t = imp.const(shift.reshape(shape), f"{node.output[0]}/shift")
    full = imp.shape(x.tensor)
    y = imp.op("MUL", [x.tensor, s], full, f"{node.output[0]}/mul")
    imp.set(node, imp.op("ADD", [y, t], full, node.output[0]), x.layout)


def _pool(kind):
    def convert(imp, node, a):
        x = imp.act(node.input[0])
        _need_nhwc(imp, x, node.op_type)
        if any(o for o in node.output[1:]):
            raise _Fail("the Indices output is not supported")
        kernel = list(a.get("kernel_shape", []))
        strides, dil = _geometry(a, kernel)
        if dil != [1, 1]:
            raise _Fail(f"dilations {dil} are not supported")
        if int(a.get("storage_order", 0)):
            raise _Fail("storage_order=1 is not supported")
        n, h, w, c = imp.shape(x.tensor)
        padding = _spatial(node, a, (h, w), kernel, strides, dil)
        if not isinstance(padding, str):
            raise _Fail(f"pads {list(a.get('pads', []))} are neither TFLite SAME nor VALID (a "
                        "pool cannot be given a PAD op)")
        if kind == "avg" and padding == "SAME" and int(a.get("count_include_pad", 0)):
            raise _Fail("count_include_pad=1 with padding is not supported (TFLite averages "
                        "over the pixels inside the image)")
        oh, ow = _out_hw((h, w), kernel, strides, dil, padding)
        if int(a.get("ceil_mode", 0)) and padding == "VALID":
            ceil = [-(-(d - k) // s) + 1 for d, k, s in zip((h, w), kernel, strides)]
            if ceil != [oh, ow]:
                raise _Fail("ceil_mode=1 changes the output size here; not supported")
        opcode = "MAX_POOL_2D" if kind == "max" else "AVERAGE_POOL_2D"
        imp.set(node, imp.op(opcode, [x.tensor], (n, oh, ow, c), node.output[0],
                             padding=padding, stride_h=strides[0], stride_w=strides[1],
                             filter_height=kernel[0], filter_width=kernel[1],
                             fused_activation_function="NONE"), NHWC)
    return convert


def _global_avg(imp, node, a):
    x = imp.act(node.input[0])
    _need_nhwc(imp, x, "GlobalAveragePool")
    n, _, _, c = imp.shape(x.tensor)
    axes = imp.const([1, 2], f"{node.output[0]}/axes", "int32")
    imp.set(node, imp.op("MEAN", [x.tensor, axes], (n, 1, 1, c), node.output[0],
                         keep_dims=True), NHWC)


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


def _binary(opcode):
    def convert(imp, node, a):
        names = list(node.input)
        is_c = [n in imp.consts for n in names]
        if all(is_c):
            raise _Fail("both operands are constants (constant folding is not supported)")
        if opcode == "ADD" and any(is_c):
            act_name = names[is_c.index(False)]
            prod = imp.producer.get(act_name)
            c = np.asarray(imp.consts[names[is_c.index(True)]], np.float32)
            if prod is not None and prod[0] == "MatMul" and imp.sole_consumer(act_name):
                op = prod[1]
                n_out = imp.shape(op.outputs[0])[1]
                if c.ndim >= 1 and c.size == n_out and c.shape[-1] == n_out:
                    op.inputs[2] = imp.const(c.reshape(-1), f"{node.output[0]}/bias")
                    imp.values[node.output[0]] = imp.values[act_name]
                    return
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
        imp.set(node, imp.op(opcode, idx, shape, node.output[0],
                             fused_activation_function="NONE"), ref.layout, ref.chw)
    return convert


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
        lo = imp.constant(node, 1, "min", required=False)
        hi = imp.constant(node, 2, "max", required=False)
        lo = -np.inf if lo is None else float(np.asarray(lo).reshape(-1)[0])
        hi = np.inf if hi is None else float(np.asarray(hi).reshape(-1)[0])
    if lo == 0 and hi == 6:
        return _unary("RELU6")(imp, node, a)
    if lo == 0 and hi == np.inf:
        return _unary("RELU")(imp, node, a)
    raise _Fail(f"Clip({lo}, {hi}) is not supported: only Clip(0, 6) -> RELU6 and Clip(0) -> RELU")


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
    shape = [int(d) for d in np.asarray(imp.constant(node, 1, "shape")).reshape(-1)]
    src = imp.onnx_shape(x) if x.layout != FLAT else (imp.shape(x.tensor)[0], math.prod(x.chw))
    allow_zero = int(a.get("allowzero", 0))
    shape = [src[i] if d == 0 and not allow_zero else d for i, d in enumerate(shape)]
    if shape.count(-1) == 1:
        known = math.prod(d for d in shape if d != -1)
        shape[shape.index(-1)] = math.prod(src) // known if known else 0
    _reshape_to(imp, node, x, shape)


def _softmax(imp, node, a):
    x = imp.act(node.input[0])
    rank = len(imp.onnx_shape(x)) if x.layout != FLAT else 2
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


def _pad(imp, node, a):
    if a.get("mode", "constant") != "constant":
        raise _Fail(f"mode={a['mode']!r} is not supported (constant only)")
    x = imp.act(node.input[0])
    if imp.opset < 11:
        pads, value = list(a.get("pads", [])), float(a.get("value", 0.0))
    else:
        pads = [int(p) for p in np.asarray(imp.constant(node, 1, "pads")).reshape(-1)]
        v = imp.constant(node, 2, "constant_value", required=False)
        value = 0.0 if v is None else float(np.asarray(v).reshape(-1)[0])
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


CONVERTERS = {
    "Conv": _conv, "BatchNormalization": _batchnorm, "MaxPool": _pool("max"),
    "AveragePool": _pool("avg"), "GlobalAveragePool": _global_avg, "Gemm": _gemm,
    "MatMul": _matmul, "Add": _binary("ADD"), "Mul": _binary("MUL"), "Relu": _unary("RELU"),
    "Sigmoid": _unary("LOGISTIC"), "Tanh": _unary("TANH"), "Clip": _clip, "Identity": _alias,
    "Dropout": _alias, "Flatten": _flatten, "Reshape": _reshape, "Softmax": _softmax,
    "Pad": _pad, "Concat": _concat, "Constant": None,
}


# ---- arrays at the boundary -------------------------------------------------------------------

def is_onnx_graph(graph: Graph) -> bool:
    return "onnx" in graph.metadata


def onnx_inputs_to_ir(graph: Graph, arrays, *, error=ConfigError, what="input") -> list:
    """ONNX-layout arrays (NCHW for 4-D inputs, any leading batch N) -> the IR's (NHWC).
    Raises ``error`` naming the expected and the given shape and dtype."""
    arrays = list(arrays) if isinstance(arrays, (list, tuple)) else [arrays]
    meta = graph.metadata["onnx"]["inputs"]
    if len(arrays) != len(meta):
        raise error(f"{what}: expected {len(meta)} array(s), one per model input, got "
                    f"{len(arrays)}")
    out = []
    for k, (a, m) in enumerate(zip(arrays, meta)):
        a = np.asarray(a)
        want = list(m["onnx_shape"][1:])
        layout = " (NCHW, the ONNX model's layout)" if m["layout"] == NHWC else ""
        if a.dtype.kind != "f" or a.ndim != len(want) + 1 or list(a.shape[1:]) != want:
            raise error(f"{what} for input {k} ({m['name']}): expected float32 "
                        f"[N, {', '.join(map(str, want))}]{layout}, got {a.dtype} {list(a.shape)}")
        a = a.astype(np.float32)
        out.append(np.ascontiguousarray(a.transpose(NCHW_TO_NHWC)) if m["layout"] == NHWC else a)
    return out


def ir_outputs_to_onnx(graph: Graph, arrays) -> list:
    """The IR's outputs (batched) -> the ONNX model's layout (NCHW maps, NCHW flatten order)."""
    out = []
    for a, m in zip(arrays, graph.metadata["onnx"]["outputs"]):
        a = np.asarray(a)
        if m["layout"] == NHWC:
            a = a.transpose(NHWC_TO_NCHW)
        elif m["layout"] == FLAT:
            c, h, w = m["chw"]
            a = a.reshape(-1, h, w, c).transpose(NHWC_TO_NCHW).reshape(a.shape[0], -1)
        out.append(np.ascontiguousarray(a))
    return out
