"""The one IR every stage speaks: a graph of tensors and ops, with TFLite's quantization.

Op names are TFLite builtin names ("CONV_2D", "FULLY_CONNECTED", ...). Op options keep the
TFLite schema's field names in snake_case (``stride_h``, ``padding`` = "SAME"/"VALID",
``fused_activation_function`` = "NONE"/"RELU"/"RELU6"/"RELU_N1_TO_1"/"TANH", ...), so the
schema itself documents them. Optional inputs that are absent are ``-1`` in ``Op.inputs``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from .errors import ModelError

DTYPE_BYTES = {"int8": 1, "uint8": 1, "bool": 1, "int16": 2, "float16": 2,
               "int32": 4, "float32": 4, "int64": 8, "float64": 8}


@dataclass
class QuantParams:
    """``real = scale * (q - zero_point)``; per-channel when ``scale`` has more than one entry."""

    scale: np.ndarray                 # float64, shape [1] or [channels]
    zero_point: np.ndarray            # int64, same shape as scale
    axis: int = 0                     # TFLite's quantized_dimension

    def __post_init__(self):
        self.scale = np.atleast_1d(np.asarray(self.scale, dtype=np.float64))
        self.zero_point = np.atleast_1d(np.asarray(self.zero_point, dtype=np.int64))

    @property
    def per_channel(self) -> bool:
        return self.scale.size > 1

    @property
    def scalar_scale(self) -> float:
        return float(self.scale[0])

    @property
    def scalar_zero_point(self) -> int:
        return int(self.zero_point[0])


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str                        # key of DTYPE_BYTES
    quant: QuantParams | None = None
    data: np.ndarray | None = None    # set for constants (weights, biases, shapes)

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def num_elements(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def nbytes(self) -> int:
        return self.num_elements * DTYPE_BYTES[self.dtype]


@dataclass
class Op:
    index: int
    opcode: str
    inputs: list[int]
    outputs: list[int]
    options: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        return f"op #{self.index} ({self.opcode})"


@dataclass
class Graph:
    tensors: list[Tensor]
    ops: list[Op]
    inputs: list[int]
    outputs: list[int]
    name: str = "model"
    source: str | None = None          # file it came from, for error messages
    metadata: dict[str, Any] = field(default_factory=dict)

    def tensor(self, index: int) -> Tensor:
        return self.tensors[index]

    def iter_op_inputs(self, op: Op) -> Iterator[Tensor | None]:
        for i in op.inputs:
            yield None if i < 0 else self.tensors[i]

    def producers(self) -> dict[int, Op]:
        return {t: op for op in self.ops for t in op.outputs}

    def check_dataflow(self) -> None:
        """Raise ModelError unless values flow: every op input is a model input, a constant or
        the output of an earlier op; no tensor is produced twice or overwrites an input or a
        constant; every model output is produced (or is an input). A file can be well formed
        and still break these (the importer checks structure, not data flow)."""
        available = set(self.inputs)
        for op in self.ops:
            for i in op.inputs:
                if i >= 0 and i not in available and not self.tensors[i].is_const:
                    raise ModelError("input tensor is neither a model input, a constant nor the "
                                     "output of an earlier op", path=self.source, op_index=op.index,
                                     opcode=op.opcode, tensor_index=i)
            for o in op.outputs:
                if o in available or self.tensors[o].is_const:
                    raise ModelError("output tensor is already a model input, a constant or "
                                     "another op's output", path=self.source, op_index=op.index,
                                     opcode=op.opcode, tensor_index=o)
                available.add(o)
        for o in self.outputs:
            if o not in available:
                raise ModelError("model output is not produced by any op", path=self.source,
                                 tensor_index=o)

    def consumers(self) -> dict[int, list[Op]]:
        out: dict[int, list[Op]] = {}
        for op in self.ops:
            for t in op.inputs:
                if t >= 0:
                    out.setdefault(t, []).append(op)
        return out
