"""Shape arithmetic folded into constants at import.

Keras' default dynamic batch makes TF's converter compute a RESHAPE's target shape at run
time: ``SHAPE(x) -> STRIDED_SLICE (the batch) -> PACK([batch, -1]) -> RESHAPE(x, that)``
(Flatten, Reshape; UpSampling2D adds CONCATENATION of such pieces). In a .tflite the batch is
stored as 1 (``shape``; only ``shape_signature`` says -1), so every one of these values is known
when the file is read: SHAPE needs only its input's static shape, the rest only constants.
TFLite Micro evaluates them at every inference; we fold them once, so lowering sees a RESHAPE
with a constant shape, as for a model made with ``Input(..., batch_size=1)``.

Folded: an op in ``EVALUATORS`` whose output is an unquantized integer tensor (shape values,
not activations) that is not a model output, and whose inputs are all constants (SHAPE: any
input). The evaluators are written for int32/int64 index arithmetic only; an op they cannot
evaluate exactly (an option they do not model) is left in the graph, where lowering names it.
Ops are renumbered after folding (``graph.metadata["folded_ops"]`` lists the file's indices and
names of those removed), so later errors name the op's index in the folded graph.
"""
from __future__ import annotations

import numpy as np

from ..errors import ModelError
from ..ir import Graph, Op

INDEX_DTYPES = ("int32", "int64")


class _NotFoldable(Exception):
    """This op uses a feature the evaluator does not model: leave it to lowering."""


def _shape(op, graph, xs):
    return np.array(graph.tensor(op.inputs[0]).shape, dtype=np.int64)


def _bit(mask: int, i: int) -> bool:
    return bool((int(mask) >> i) & 1)


def _strided_slice(op, graph, xs):
    x, begin, end, strides = xs[0], xs[1].ravel(), xs[2].ravel(), xs[3].ravel()
    o = op.options
    if o.get("ellipsis_mask", 0) or o.get("new_axis_mask", 0) or o.get("offset", False):
        raise _NotFoldable
    if not len(begin) == len(end) == len(strides) <= x.ndim or (strides == 0).any():
        raise _NotFoldable
    index = []
    for i in range(len(begin)):
        b = None if _bit(o.get("begin_mask", 0), i) else int(begin[i])
        e = None if _bit(o.get("end_mask", 0), i) else int(end[i])
        if _bit(o.get("shrink_axis_mask", 0), i):
            index.append(int(begin[i]))      # one element; the axis disappears
        else:
            index.append(slice(b, e, int(strides[i])))
    return x[tuple(index)]


def _pack(op, graph, xs):
    return np.stack(xs, axis=int(op.options.get("axis", 0)))


def _concatenation(op, graph, xs):
    if op.options.get("fused_activation_function", "NONE") != "NONE":
        raise _NotFoldable
    return np.concatenate([np.atleast_1d(x) for x in xs], axis=int(op.options.get("axis", 0)))


def _gather(op, graph, xs):
    if op.options.get("batch_dims", 0) or (xs[1] < 0).any():
        raise _NotFoldable                    # TFLM rejects negative indices; NumPy wraps them
    return np.take(xs[0], xs[1], axis=int(op.options.get("axis", 0)))


def _reshape(op, graph, xs):
    return xs[0].reshape(graph.tensor(op.outputs[0]).shape)


def _cast(op, graph, xs):
    return xs[0]


def _arith(fn):
    def run(op, graph, xs):
        if op.options.get("fused_activation_function", "NONE") != "NONE":
            raise _NotFoldable
        return fn(xs[0].astype(np.int64), xs[1].astype(np.int64))
    return run


def _floor_div(a, b):
    if (b == 0).any():
        raise _NotFoldable
    return np.floor_divide(a, b)


# op -> evaluator(op, graph, input values) -> output value (any integer dtype; cast after).
EVALUATORS = {
    "SHAPE": _shape, "STRIDED_SLICE": _strided_slice, "PACK": _pack,
    "CONCATENATION": _concatenation, "GATHER": _gather, "RESHAPE": _reshape,
    "SQUEEZE": _reshape, "EXPAND_DIMS": _reshape, "CAST": _cast,
    "ADD": _arith(np.add), "SUB": _arith(np.subtract), "MUL": _arith(np.multiply),
    "FLOOR_DIV": _arith(_floor_div),
}
NEEDS_ONLY_SHAPES = {"SHAPE": (0,)}


def _foldable(op: Op, graph: Graph, outputs: set[int]) -> bool:
    if op.opcode not in EVALUATORS or len(op.outputs) != 1 or op.outputs[0] in outputs:
        return False
    y = graph.tensor(op.outputs[0])
    if y.dtype not in INDEX_DTYPES or y.quant is not None or y.is_const:
        return False
    shape_only = NEEDS_ONLY_SHAPES.get(op.opcode, ())
    for k, t in enumerate(op.inputs):
        if t < 0 or k in shape_only:
            continue
        x = graph.tensor(t)
        if not x.is_const or x.dtype not in INDEX_DTYPES or x.quant is not None:
            return False
    return True


def _evaluate(op: Op, graph: Graph) -> np.ndarray | None:
    xs = [np.asarray(graph.tensor(t).data) for t in op.inputs if t >= 0]
    try:
        value = np.asarray(EVALUATORS[op.opcode](op, graph, xs))
    except (_NotFoldable, IndexError, ValueError):
        return None
    y = graph.tensor(op.outputs[0])
    if value.size != y.num_elements:
        raise ModelError(f"folding this op at import gives {value.size} values, but its output "
                         f"tensor has shape {list(y.shape)}", op_index=op.index,
                         opcode=op.opcode, tensor_index=y.index)
    info = np.iinfo(y.dtype)
    if value.size and (value.min() < info.min or value.max() > info.max):
        return None                          # wraps in the output type: not ours to guess
    return value.astype(y.dtype).reshape(y.shape)


def fold_shape_ops(graph: Graph) -> Graph:
    """Fold (in place) every op the module docstring describes; returns ``graph``."""
    outputs = set(graph.outputs)
    kept, folded = [], []
    for op in graph.ops:                       # file order is a topological order
        value = _evaluate(op, graph) if _foldable(op, graph, outputs) else None
        if value is None:
            kept.append(op)
            continue
        graph.tensor(op.outputs[0]).data = value
        folded.append({"index": op.index, "opcode": op.opcode})
    if folded:
        for i, op in enumerate(kept):
            op.index = i
        graph.ops = kept
        graph.metadata["folded_ops"] = folded
        for op in kept:
            _check_reshape(graph, op)
    return graph


def _check_reshape(graph: Graph, op: Op) -> None:
    """A RESHAPE whose shape folded must agree with its declared output shape. Where the
    converter could not infer a dimension (a dynamic batch that reached H or W, e.g. through
    UpSampling2D's TILE), the file stores 1 in its place; the folded shape then says the
    truth, and every shape after it in the file is wrong too: refuse by name rather than
    lower a model whose declared shapes are not the ones it computes."""
    if op.opcode != "RESHAPE" or len(op.inputs) < 2 or op.inputs[1] < 0:
        return
    shape_t = graph.tensor(op.inputs[1])
    if not shape_t.is_const:
        return
    want = [int(d) for d in np.asarray(shape_t.data).ravel()]
    n = graph.tensor(op.inputs[0]).num_elements
    known = int(np.prod([d for d in want if d != -1], dtype=np.int64))
    if want.count(-1) == 1 and known > 0 and n % known == 0:
        want[want.index(-1)] = n // known
    y = graph.tensor(op.outputs[0])
    if list(y.shape) != want:
        raise ModelError(f"the new shape computed at import is {want}, but the file declares "
                         f"{list(y.shape)} for the output: the converter left dimensions "
                         "unknown (dynamic) and the shapes the file declares after this op "
                         "are not the ones the model computes; re-export with a fixed input "
                         "shape (keras.Input(..., batch_size=1)) and check that the converter "
                         "infers every shape", op_index=op.index, opcode=op.opcode,
                         tensor_index=y.index)
