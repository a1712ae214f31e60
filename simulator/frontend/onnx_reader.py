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

**Modules.** This one reads the model and dispatches each node through :data:`CONVERTERS`;
the converters live in ``onnx_ops_conv``, ``onnx_ops_math`` and ``onnx_ops_shape``, the
importer's state in ``onnx_importer``, the layouts and boundary conversions in ``onnx_layout``.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

from ..errors import ConfigError, ModelError
from ..ir import Graph
from .onnx_checks import check_node, node_attrs, tensor_array
from .onnx_importer import _Fail, _Importer, _Value, check_shape
from .onnx_layout import (FLAT, NCHW_TO_NHWC, NHWC, NHWC_AXIS, NHWC_TO_NCHW,  # noqa: F401
                          PLAIN, ir_outputs_to_onnx, is_onnx_graph, onnx_inputs_to_ir)
from .onnx_ops_conv import _batchnorm, _conv, _global_avg, _pool
from .onnx_ops_math import (_binary, _clip, _gemm, _leaky_relu, _matmul, _max_min, _prelu,
                            _softmax, _unary)
from .onnx_ops_shape import _alias, _concat, _flatten, _pad, _reshape
from ..reference.registry import onnx_elementwise


def _onnx():
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise ConfigError("reading .onnx models needs the onnx package: "
                          "pip install 'mcusim[onnx]'") from None
    return onnx, numpy_helper


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
        try:
            imp.consts[init.name] = tensor_array(init, f"initializer {init.name!r}")
        except _Fail as err:
            raise ModelError(str(err), path=source) from None
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
        except ModelError as err:         # from shared code (padding arithmetic) that knows no file
            raise ModelError(f"node {node.name or '(unnamed)'!r}: {err.detail}", path=source,
                             op_index=index, opcode=node.op_type) from None
        except (IndexError, ValueError, TypeError, KeyError, ZeroDivisionError, OverflowError) as err:
            # Defence in depth: a converter met a case no check above rules out. Still a
            # ModelError naming the node; the fuzzer counts these ("fallback") as findings.
            raise ModelError(f"node {node.name or '(unnamed)'!r}: malformed node ({type(err).__name__}: "
                             f"{str(err)[:80]})", path=source, op_index=index, opcode=node.op_type) from None
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
    try:
        check_shape(dims, f"graph input {vi.name!r}")
        if len(dims) == 4:
            idx = imp.tensor([dims[i] for i in NCHW_TO_NHWC], vi.name)
            layout = NHWC
        else:
            idx = imp.tensor(dims, vi.name)
            layout = PLAIN
    except _Fail as err:
        raise ModelError(str(err), path=imp.source) from None
    imp.values[vi.name] = _Value(idx, layout)
    return idx, {"name": vi.name, "onnx_shape": dims, "layout": layout}


# ---- the node converters ----------------------------------------------------------------------

def _convert(imp: _Importer, node, numpy_helper) -> None:
    if node.op_type not in CONVERTERS or node.domain not in ("", "ai.onnx"):
        raise _Fail(f"op_type {node.op_type} is not supported (supported: {', '.join(SUPPORTED)})")
    check_node(node)
    if node.op_type == "Constant":
        a = next((x for x in node.attribute if x.name == "value"), None)
        if a is None or a.type != a.TENSOR:
            raise _Fail("only Constant with a 'value' tensor is supported")
        imp.consts[node.output[0]] = tensor_array(a.t, "value")
        return
    CONVERTERS[node.op_type](imp, node, node_attrs(node))


def _elementwise(opcode: str):
    """The converter of an ONNX op registered one-to-one as ``opcode`` (OpSpec.onnx): two
    inputs broadcast (constants moved to the activation's layout), one is a plain rename."""
    two, one = _binary(opcode), _unary(opcode)

    def convert(imp, node, a):
        return (two if len(node.input) == 2 else one)(imp, node, a)
    return convert


# op_type -> converter: the ops whose import is more than a rename, then the one-to-one
# elementwise ones declared in the ops' registrations (reference/spec.py OpSpec.onnx).
CONVERTERS = {
    "Conv": _conv, "BatchNormalization": _batchnorm, "MaxPool": _pool("max"),
    "AveragePool": _pool("avg"), "GlobalAveragePool": _global_avg, "Gemm": _gemm,
    "MatMul": _matmul, "Clip": _clip, "Identity": _alias, "Dropout": _alias,
    "Flatten": _flatten, "Reshape": _reshape, "Softmax": _softmax, "Pad": _pad,
    "Concat": _concat, "Constant": None, "LeakyRelu": _leaky_relu, "PRelu": _prelu,
    "Max": _max_min("MAXIMUM"), "Min": _max_min("MINIMUM"),
    **{name: _elementwise(opcode) for name, opcode in onnx_elementwise().items()},
}
SUPPORTED = tuple(sorted(CONVERTERS))
