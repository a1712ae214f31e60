"""The ONNX importer's state: the IR under construction and what each ONNX name stands for."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..ir import Op, Tensor
from . import schema
from .onnx_layout import NHWC


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
