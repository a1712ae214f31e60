"""SPLIT, SPLIT_V and UNPACK, the converter's multi-output ops, as one STRIDED_SLICE per output.

Every stage after import (reference, lowering, planner, reports) speaks one output per op.
TFLM computes output k of SPLIT / SPLIT_V as the input's slice [start_k, start_k + size_k)
along ``axis`` (kernels/split.cc, split_v.cc: a copy, no requantization), and output k of
UNPACK as the slice [k, k + 1) with the axis dropped (unpack.cc) — exactly a STRIDED_SLICE
with constant begin/end/strides (and shrink_axis_mask for UNPACK), which has a reference and
kernels (reference/movement.py). So the import rewrites each such op into those slices,
keeping every output tensor (index, name, quantization); only op indices after it shift.

    graph = expand_multi_output(graph)       # load_tflite and analyze() call it

Aliasing (left to the scheduler): a split along the outermost non-unit axis gives contiguous
views of the input, so its outputs could alias the input's bytes instead of being copied.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..errors import ModelError
from ..ir import Graph, Op, Tensor
from .schema import default_options


def _const_scalar(graph: Graph, op: Op, k: int, what: str) -> int:
    t = graph.tensor(op.inputs[k]) if k < len(op.inputs) and op.inputs[k] >= 0 else None
    if t is None or t.data is None or t.data.size != 1:
        raise ModelError(f"{op.opcode} needs a constant scalar {what}", op_index=op.index,
                         opcode=op.opcode)
    return int(np.asarray(t.data).reshape(-1)[0])


def _data_input(op: Op, k: int) -> int:
    if k >= len(op.inputs) or op.inputs[k] < 0:
        raise ModelError(f"{op.opcode} has no input {k}", op_index=op.index, opcode=op.opcode)
    return op.inputs[k]


def _axis(axis: int, rank: int, op: Op) -> int:
    if not -rank <= axis < rank:
        raise ModelError(f"axis {axis} out of range for rank {rank}", op_index=op.index,
                         opcode=op.opcode)
    return axis % rank


def _split(op: Op, graph: Graph):
    x = _data_input(op, 1)
    shape = graph.tensor(x).shape
    axis = _axis(_const_scalar(graph, op, 0, "axis"), len(shape), op)
    n = len(op.outputs)
    if n < 1 or shape[axis] % n:
        raise ModelError(f"SPLIT of size {shape[axis]} into {n} equal parts", op_index=op.index,
                         opcode=op.opcode)
    return x, axis, [shape[axis] // n] * n, False


def _split_v(op: Op, graph: Graph):
    x = _data_input(op, 0)
    shape = graph.tensor(x).shape
    axis = _axis(_const_scalar(graph, op, 2, "axis"), len(shape), op)
    t = graph.tensor(_data_input(op, 1))
    if t.data is None:
        raise ModelError("SPLIT_V needs constant size_splits", op_index=op.index,
                         opcode=op.opcode)
    sizes = [int(v) for v in np.asarray(t.data).reshape(-1)]
    if sizes.count(-1) == 1:                      # one size inferred from the rest
        sizes[sizes.index(-1)] = shape[axis] - (sum(sizes) + 1)
    if len(sizes) != len(op.outputs) or min(sizes) < 0 or sum(sizes) != shape[axis]:
        raise ModelError(f"SPLIT_V size_splits {sizes} do not split size {shape[axis]} into "
                         f"{len(op.outputs)} outputs", op_index=op.index, opcode=op.opcode)
    return x, axis, sizes, False


def _unpack(op: Op, graph: Graph):
    x = _data_input(op, 0)
    shape = graph.tensor(x).shape
    axis = _axis(int(op.options.get("axis", 0)), len(shape), op)
    if shape[axis] != len(op.outputs):
        raise ModelError(f"UNPACK of size {shape[axis]} into {len(op.outputs)} outputs",
                         op_index=op.index, opcode=op.opcode)
    return x, axis, [1] * len(op.outputs), True


EXPANDERS = {"SPLIT": _split, "SPLIT_V": _split_v, "UNPACK": _unpack}


def expand_multi_output(graph: Graph) -> Graph:
    """``graph`` with every SPLIT / SPLIT_V / UNPACK replaced by STRIDED_SLICEs (``graph``
    itself when it has none)."""
    if not any(op.opcode in EXPANDERS for op in graph.ops):
        return graph
    tensors, ops = list(graph.tensors), []

    def const(values, name) -> int:
        tensors.append(Tensor(len(tensors), name, (len(values),), "int32", None,
                              np.asarray(values, np.int32)))
        return len(tensors) - 1

    for op in graph.ops:
        if op.opcode not in EXPANDERS:
            ops.append(replace(op, index=len(ops)))
            continue
        try:
            x, axis, sizes, shrink = EXPANDERS[op.opcode](op, graph)
        except ModelError as err:
            raise ModelError(err.message, path=graph.source, op_index=op.index,
                             opcode=op.opcode) from None
        shape = list(graph.tensor(x).shape)
        start = 0
        for out, size in zip(op.outputs, sizes):
            name = graph.tensor(out).name
            begin, end = [0] * len(shape), list(shape)
            begin[axis], end[axis] = start, start + size
            inputs = [x, const(begin, f"{name}/begin"), const(end, f"{name}/end"),
                      const([1] * len(shape), f"{name}/strides")]
            options = {**default_options("STRIDED_SLICE"),
                       "shrink_axis_mask": (1 << axis) if shrink else 0}
            ops.append(Op(len(ops), "STRIDED_SLICE", inputs, [out], options))
            start += size
    return Graph(tensors, ops, list(graph.inputs), list(graph.outputs), graph.name,
                 graph.source, dict(graph.metadata))
