"""The ONNX importer's state: the IR under construction and what each ONNX name stands for."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..ir import Op, Tensor
from . import schema
from .onnx_layout import NHWC


# Bounds on what an imported model may declare: every IR dimension is a positive int32 (the C
# kernels index with int32) and no tensor holds more than MAX_ELEMENTS elements (1 GiB of
# float32: far beyond any microcontroller, far below what would exhaust the host).
MAX_DIM = 2**31 - 1
MAX_ELEMENTS = 2**28


class _Fail(Exception):
    """A node cannot be imported: the message says what is missing."""


def check_shape(shape, what: str) -> tuple:
    """``shape`` as a tuple of ints if every dimension is in 1..MAX_DIM and the element count
    within MAX_ELEMENTS; else _Fail naming ``what``."""
    dims = []
    for d in shape:
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)) or not 1 <= d <= MAX_DIM:
            raise _Fail(f"{what}: dimension {d!r} of {list(shape)[:8]} is not in 1..{MAX_DIM}")
        dims.append(int(d))
    if math.prod(dims) > MAX_ELEMENTS:
        raise _Fail(f"{what}: shape {dims[:8]} has more than {MAX_ELEMENTS} elements")
    return tuple(dims)


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
        t = Tensor(len(self.tensors), name, check_shape(shape, f"tensor {name!r}"), dtype, data=data)
        self.tensors.append(t)
        return t.index

    def const(self, data, name, dtype="float32") -> int:
        raw = np.asarray(data)
        if raw.dtype.kind not in "biuf":
            raise _Fail(f"constant {name!r} holds {raw.dtype} values, not numbers")
        if np.dtype(dtype).kind in "iu" and raw.size:
            info = np.iinfo(dtype)
            if raw.dtype.kind == "f" and not np.all(np.isfinite(raw)):
                raise _Fail(f"constant {name!r}: non-finite values where {dtype} integers are needed")
            if raw.min() < info.min or raw.max() > info.max:
                raise _Fail(f"constant {name!r}: values {raw.min()}..{raw.max()} do not fit {dtype}")
        with np.errstate(over="ignore", invalid="ignore"):
            data = np.ascontiguousarray(raw.astype(dtype))
        return self.tensor(data.shape or (), name, dtype, data)

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
        value = self.consts[name]
        if value.dtype.kind not in "biuf":
            raise _Fail(f"{what} (input {k}, {name!r}) holds {value.dtype} values, not numbers")
        return value

    def ints(self, node, k, what, required=True):
        """A constant of integers (pads, shapes) as a list of Python ints, each within int32."""
        value = self.constant(node, k, what, required)
        if value is None:
            return None
        flat = np.asarray(value).reshape(-1)
        if flat.size > 64 or (flat.dtype.kind == "f" and not np.all(np.isfinite(flat))):
            raise _Fail(f"{what} (input {k}) is not a short list of integers")
        out = [int(v) for v in flat]
        if any(abs(v) > MAX_DIM for v in out):
            raise _Fail(f"{what} (input {k}): {out[:8]} has values beyond int32")
        return out

    def scalar(self, node, k, what, required=True):
        """A constant holding one finite number (Clip bounds, Pad value), as a float."""
        value = self.constant(node, k, what, required)
        if value is None:
            return None
        flat = np.asarray(value, np.float64).reshape(-1)
        if flat.size != 1:
            raise _Fail(f"{what} (input {k}) must hold one number, not {flat.size}")
        return float(flat[0])

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
