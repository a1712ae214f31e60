"""RESHAPE, SQUEEZE, PAD/PADV2 and CONCATENATION, int8: data movement only.

Semantics (facts, no code copied):
- RESHAPE / SQUEEZE: tflite-micro kernels/reshape.cc, squeeze.cc: the bytes are copied
  unchanged; only the shape changes (quantization is shared).
- PAD / PADV2: tflite-micro kernels/pad.cc and reference/pad.h: ``paddings`` is an int32
  ``[rank, 2]`` constant of (before, after); the fill value is the constant_values input for
  PADV2, else the output zero point.
- CONCATENATION: tflite-micro kernels/concatenation.cc: int8 inputs are copied without
  requantization (reference_ops::Concatenation), activation must be NONE, negative axes
  count from the end, at most 10 inputs.
"""
from __future__ import annotations

import numpy as np

from simulator.errors import ModelError
from simulator.reference.spec import OpSpec


def reshape(x, shape) -> np.ndarray:
    return np.asarray(x).reshape(tuple(int(d) for d in shape))


def pad_s8(x, paddings, pad_value: int) -> np.ndarray:
    p = np.asarray(paddings, dtype=np.int64).reshape(-1, 2)
    x = np.asarray(x)
    if p.shape[0] != x.ndim or np.any(p < 0):
        raise ModelError(f"paddings {p.tolist()} do not fit an input of rank {x.ndim}")
    return np.pad(x, [tuple(r) for r in p], mode="constant",
                  constant_values=np.int8(pad_value))


def concat_s8(xs, axis: int) -> np.ndarray:
    return np.concatenate([np.asarray(x) for x in xs], axis=axis)


def concat_geometry(shapes, axis: int) -> tuple[int, int, list[int]]:
    """(outer_size, inner_size, axis_sizes) of ``ck_concat_s8`` for inputs ``shapes``."""
    rank = len(shapes[0])
    axis %= rank
    outer = int(np.prod(shapes[0][:axis], dtype=np.int64))
    inner = int(np.prod(shapes[0][axis + 1:], dtype=np.int64))
    return outer, inner, [int(s[axis]) for s in shapes]


def pad4(in_shape, paddings) -> tuple[list[int], list[int], list[int]]:
    """(in_dims, pad_before, pad_after) of ``ck_pad_s8``, right-aligned to 4-D."""
    p = np.asarray(paddings, dtype=np.int64).reshape(-1, 2)
    if len(in_shape) > 4 or p.shape[0] != len(in_shape):
        raise ModelError(f"PAD of rank {len(in_shape)} is not supported by the C kernel")
    lead = 4 - len(in_shape)
    return ([1] * lead + [int(d) for d in in_shape], [0] * lead + p[:, 0].tolist(),
            [0] * lead + p[:, 1].tolist())


# ---- IR adapters --------------------------------------------------------------------------

def _value(graph, op, inputs, k):
    if inputs is not None and k < len(inputs) and inputs[k] is not None:
        return np.asarray(inputs[k])
    t = graph.tensor(op.inputs[k])
    if t.data is None:
        raise ModelError("input has no value", op_index=op.index, opcode=op.opcode,
                         tensor_index=t.index)
    return t.data


def run_reshape(op, graph, inputs) -> np.ndarray:
    return reshape(_value(graph, op, inputs, 0), graph.tensor(op.outputs[0]).shape)


def run_pad(op, graph, inputs) -> np.ndarray:
    out_t = graph.tensor(op.outputs[0])
    x = _value(graph, op, inputs, 0)
    paddings = _value(graph, op, inputs, 1)
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        pad_value = int(np.asarray(_value(graph, op, inputs, 2)).reshape(-1)[0])
    else:
        pad_value = out_t.quant.scalar_zero_point if out_t.quant is not None else 0
    return pad_s8(x, paddings, pad_value)


def run_concat(op, graph, inputs) -> np.ndarray:
    if op.options.get("fused_activation_function", "NONE") != "NONE":
        raise ModelError("CONCATENATION with a fused activation is not supported by TFLM",
                         op_index=op.index, opcode=op.opcode)
    xs = [_value(graph, op, inputs, k) for k in range(len(op.inputs))]
    axis = int(op.options.get("axis", 0))
    rank = xs[0].ndim
    if not -rank <= axis < rank:
        raise ModelError(f"axis {axis} out of range for rank {rank}", op_index=op.index,
                         opcode=op.opcode)
    return concat_s8(xs, axis % rank)


# shared_quant: TFLM's int8 kernels need one (scale, zero point) on inputs and output. PADV2
# (its fill value is the model's) and EXPAND_DIMS are not made by PTQ, so not marked.
OPS = {"RESHAPE": OpSpec(run_reshape, shared_quant=True),
       "SQUEEZE": OpSpec(run_reshape, shared_quant=True),
       "EXPAND_DIMS": OpSpec(run_reshape), "PAD": OpSpec(run_pad, shared_quant=True),
       "PADV2": OpSpec(run_pad), "CONCATENATION": OpSpec(run_concat, shared_quant=True)}
