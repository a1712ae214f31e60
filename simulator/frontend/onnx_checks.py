"""What an ONNX node and tensor must look like before a converter sees them: tables of arities
and attribute types (from the ONNX operator specs, onnx.ai Operators.md, for the ops in
SUPPORTED), checked so that a converter can index inputs, outputs and attributes freely.

A model file is untrusted: an attribute of the wrong type, a node without outputs, an
initializer whose dims and data disagree or that declares 2^40 elements are :class:`_Fail`s
(or ModelErrors at the reader) naming what is wrong, never an IndexError in a converter.
"""
from __future__ import annotations

import math

import numpy as np

from .onnx_importer import MAX_DIM, MAX_ELEMENTS, _Fail

# op_type -> (fewest inputs, most inputs, fewest outputs); Operators.md "Inputs (min - max)".
ARITY = {
    "Conv": (2, 3, 1), "BatchNormalization": (5, 5, 1), "MaxPool": (1, 1, 1), "AveragePool": (1, 1, 1),
    "GlobalAveragePool": (1, 1, 1), "Gemm": (2, 3, 1), "MatMul": (2, 2, 1), "Add": (2, 2, 1),
    "Mul": (2, 2, 1), "Relu": (1, 1, 1), "Sigmoid": (1, 1, 1), "Tanh": (1, 1, 1), "Clip": (1, 3, 1),
    "Identity": (1, 1, 1), "Dropout": (1, 3, 1), "Flatten": (1, 1, 1), "Reshape": (2, 2, 1),
    "Softmax": (1, 1, 1), "Pad": (1, 4, 1), "Concat": (1, 64, 1), "Constant": (0, 0, 1),
    "Sub": (2, 2, 1), "LeakyRelu": (1, 1, 1), "HardSwish": (1, 1, 1), "PRelu": (2, 2, 1),
    "Max": (1, 64, 1), "Min": (1, 64, 1),
}

# attribute -> (kind, lowest value); kinds follow onnx.helper.get_attribute_value's types.
ATTRS = {
    "kernel_shape": ("ints", 1), "strides": ("ints", 1), "dilations": ("ints", 1), "pads": ("ints", 0),
    "group": ("int", 1), "axis": ("int", -64), "transA": ("int", 0), "transB": ("int", 0),
    "allowzero": ("int", 0), "training_mode": ("int", 0), "storage_order": ("int", 0),
    "ceil_mode": ("int", 0), "count_include_pad": ("int", 0), "alpha": ("float", None),
    "beta": ("float", None), "epsilon": ("float", None), "min": ("float", None),
    "max": ("float", None), "value": ("float", None), "momentum": ("float", None),
    "auto_pad": ("string", None), "mode": ("string", None),
}
MAX_INTS = 16
MAX_INT_ATTR = 2**31 - 1


def check_node(node) -> None:
    lo, hi, outs = ARITY.get(node.op_type, (0, 64, 1))
    if not lo <= len(node.input) <= hi:
        raise _Fail(f"has {len(node.input)} inputs; {node.op_type} takes {lo} to {hi}")
    if len(node.output) < outs or not node.output[0]:
        raise _Fail("has no output")


def node_attrs(node) -> dict:
    """The node's attributes as Python values, each known one checked against :data:`ATTRS`."""
    from onnx import helper
    out = {}
    for a in node.attribute:
        try:
            v = helper.get_attribute_value(a)
        except Exception as err:            # an attribute type onnx itself cannot read
            raise _Fail(f"attribute {a.name!r} cannot be read ({type(err).__name__})") from None
        out[a.name] = _checked(a.name, v)
    return out


def _checked(name: str, v):
    kind, lowest = ATTRS.get(name, (None, None))
    if kind is None:
        return v.decode("utf-8", "replace") if isinstance(v, bytes) else v
    if kind == "string":
        if not isinstance(v, bytes):
            raise _Fail(f"attribute {name!r} must be a string")
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            raise _Fail(f"attribute {name!r} is not UTF-8 text") from None
    if kind == "float":
        if isinstance(v, int) and not isinstance(v, bool):
            v = float(v)
        if not isinstance(v, float) or not math.isfinite(v):
            raise _Fail(f"attribute {name!r} must be a finite number, got {_short(v)}")
        return v
    values = v if kind == "ints" else [v]
    if kind == "ints" and (not isinstance(v, list) or len(v) > MAX_INTS):
        raise _Fail(f"attribute {name!r} must be a list of at most {MAX_INTS} integers, got {_short(v)}")
    for x in values:
        if not isinstance(x, int) or isinstance(x, bool) or not lowest <= x <= MAX_INT_ATTR:
            raise _Fail(f"attribute {name!r}: {_short(v)} is not an integer in {lowest}..{MAX_INT_ATTR}")
    return v


def _short(v) -> str:
    return repr(v)[:60]


# TensorProto data types the importer reads (onnx.proto: FLOAT 1, UINT8 2, INT8 3, INT32 6,
# INT64 7, DOUBLE 11); anything else is refused before numpy_helper sees it.
READABLE_TYPES = {1: 4, 2: 1, 3: 1, 6: 4, 7: 8, 11: 8}


def tensor_array(proto, what: str) -> np.ndarray:
    """An initializer or Constant value as an array, or _Fail: its type must be readable, its
    dims non-negative and within MAX_ELEMENTS, its data exactly as long as the dims say."""
    from onnx import numpy_helper
    dims = list(proto.dims)
    if proto.data_type not in READABLE_TYPES:
        raise _Fail(f"{what}: data type {proto.data_type} is not one the importer reads")
    if any(d < 0 or d > MAX_DIM for d in dims) or math.prod(dims) > MAX_ELEMENTS:
        raise _Fail(f"{what}: dims {dims[:8]} are negative or hold more than {MAX_ELEMENTS} elements")
    if proto.HasField("data_location") and proto.data_location == 1:     # EXTERNAL
        raise _Fail(f"{what}: external data is not supported")
    count = math.prod(dims)
    if proto.raw_data:
        have = len(proto.raw_data) // READABLE_TYPES[proto.data_type]
        if len(proto.raw_data) != count * READABLE_TYPES[proto.data_type]:
            raise _Fail(f"{what}: {len(proto.raw_data)} bytes of data for dims {dims} ({have} values)")
    else:
        field = {1: proto.float_data, 11: proto.double_data, 7: proto.int64_data}.get(proto.data_type,
                                                                                      proto.int32_data)
        if len(field) != count:
            raise _Fail(f"{what}: {len(field)} values for dims {dims}")
    try:
        return numpy_helper.to_array(proto)
    except (ValueError, TypeError, KeyError) as err:
        raise _Fail(f"{what}: unreadable ({type(err).__name__}: {str(err)[:80]})") from None
