"""TRANSPOSE, STRIDED_SLICE, GATHER and PACK: bytes moved by index, any dtype (int8, float32).

No value changes, so one definition serves every dtype and the quantization is shared.
Semantics (facts, no code copied):
- TRANSPOSE: tflite-micro kernels/transpose.cc, reference_ops::Transpose: output axis k is
  input axis perm[k]; perm is an int32 permutation of the input's axes (rank <= 5 in TFLM).
- STRIDED_SLICE: tflite-micro kernels/strided_slice.cc and strided_slice_logic.h (1-D to 4-D)
  (StartForAxis / StopForAxis): per axis, begin_mask gives the start of the range (0 for a
  positive stride, size - 1 for a negative one), end_mask its end; a negative index counts
  from the end (+ size); start and stop are clamped to [0, size] for a positive stride and
  [-1, size - 1] for a negative one; shrink_axis_mask takes one element (stop = start + 1) and
  drops the axis (with a negative stride TFLM writes nothing: refused). TFLM rejects
  ellipsis_mask and new_axis_mask; ``offset`` (end relative to begin) is refused here (no
  converter we know emits it).
- GATHER: tflite-micro kernels/gather.cc: out = params[..., indices, ...] along ``axis``
  (negative counts from the end); an index outside [0, size) is an error; batch_dims 0 only
  here.
- PACK: tflite-micro kernels/pack.cc: N same-shape inputs stacked along a new ``axis``.
C kernels: ck_strided_copy_x8/_x32 (TRANSPOSE, STRIDED_SLICE), ck_gather_x8/_x32, and PACK as a
CONCATENATION of its inputs (cross_kernels/include/ck_shape.h). Layout helpers here give the
kernels their geometry.
"""
from __future__ import annotations

import numpy as np

from simulator.errors import ModelError
from simulator.reference.spec import OpSpec

MAX_DIMS = 6               # ck_strided_copy_params: dimensions right-aligned to 6-D
TFLM_MAX_RANK = {"TRANSPOSE": 5,        # transpose_common.cc: "1D-5D input arrays"
                 "STRIDED_SLICE": 4}    # strided_slice_common.cc: "input dim should not exceed 4"


def _strides(shape) -> list[int]:
    """Row-major element strides of ``shape``."""
    out, step = [], 1
    for d in reversed(shape):
        out.append(step)
        step *= int(d)
    return out[::-1]


def check_perm(perm, rank: int) -> list[int]:
    p = [int(v) for v in np.asarray(perm).reshape(-1)]
    if sorted(p) != list(range(rank)):
        raise ModelError(f"perm {p} is not a permutation of the {rank} input axes")
    return p


def check_rank(rank: int, opcode: str) -> None:
    if not 1 <= rank <= TFLM_MAX_RANK[opcode]:
        raise ModelError(f"{opcode} of a rank-{rank} input (TFLM takes 1-D to "
                         f"{TFLM_MAX_RANK[opcode]}-D)")


def transpose(x, perm) -> np.ndarray:
    x = np.asarray(x)
    check_rank(x.ndim, "TRANSPOSE")
    return np.ascontiguousarray(np.transpose(x, check_perm(perm, x.ndim)))


def slice_ranges(shape, begin, end, strides, options) -> list[tuple[int, int, int, bool]]:
    """(start, count, stride, shrink) per axis, as TFLM's StartForAxis / StopForAxis."""
    for bad in ("ellipsis_mask", "new_axis_mask"):
        if int(options.get(bad, 0)):
            raise ModelError(f"STRIDED_SLICE {bad} is not supported (TFLM rejects it)")
    if options.get("offset", False):
        raise ModelError("STRIDED_SLICE with offset=true is not supported")
    begin, end, strides = (np.asarray(v, np.int64).reshape(-1).tolist()
                           for v in (begin, end, strides))
    rank = len(shape)
    if not len(begin) == len(end) == len(strides) == rank:
        raise ModelError(f"begin/end/strides of lengths {len(begin)}/{len(end)}/"
                         f"{len(strides)} for an input of rank {rank}")
    bm, em, sm = (int(options.get(k, 0)) for k in ("begin_mask", "end_mask", "shrink_axis_mask"))
    out = []
    for k, size in enumerate(int(d) for d in shape):
        shrink, s = bool(sm >> k & 1), int(strides[k])
        if s == 0:
            raise ModelError(f"STRIDED_SLICE stride 0 on axis {k}")
        if shrink and s < 0:
            # TFLM's stop is start + 1, so a negative step selects nothing and the output is
            # left unwritten (measured): no defined result to reproduce
            raise ModelError(f"STRIDED_SLICE shrinks axis {k} with a negative stride "
                             f"(TFLM writes no output)")
        lo, hi = (0, size) if s > 0 else (-1, size - 1)
        start = begin[k]
        if bm >> k & 1:
            start = lo if s > 0 else hi
        start = min(max(start + size if start < 0 else start, lo), hi)
        if shrink:
            out.append((start, int(start < size), 1, True))     # TFLM: empty past the end
            continue
        stop = end[k]
        if em >> k & 1:
            stop = hi if s > 0 else lo
        else:
            stop = min(max(stop + size if stop < 0 else stop, lo), hi)
        count = max(0, -(-(stop - start) // s)) if s > 0 else max(0, -(-(start - stop) // -s))
        out.append((start, count, s, False))
    return out


def strided_slice(x, begin, end, strides, options) -> np.ndarray:
    x = np.asarray(x)
    check_rank(x.ndim, "STRIDED_SLICE")
    ranges = slice_ranges(x.shape, begin, end, strides, options)
    idx = [start + step * np.arange(count) for start, count, step, _ in ranges]
    y = x[np.ix_(*idx)] if idx else x
    return y.reshape([c for _, c, _, shrink in ranges if not shrink])


def strided_view(in_shape, ranges) -> dict:
    """``ck_strided_copy_params`` for (start, count, step) ``ranges`` over ``in_shape``."""
    if len(in_shape) > MAX_DIMS:
        raise ModelError(f"rank {len(in_shape)} exceeds the kernel's {MAX_DIMS} dimensions")
    st = _strides(in_shape)
    lead = MAX_DIMS - len(in_shape)
    return dict(in_size=int(np.prod(in_shape, dtype=np.int64)),
                offset=sum(r[0] * s for r, s in zip(ranges, st)),
                out_dims=[1] * lead + [r[1] for r in ranges],
                in_strides=[0] * lead + [r[2] * s for r, s in zip(ranges, st)])


def transpose_view(in_shape, perm) -> dict:
    """``ck_strided_copy_params`` of TRANSPOSE: output axis k walks input axis perm[k]."""
    p = check_perm(perm, len(in_shape))
    st = _strides(in_shape)
    return strided_view(in_shape, [(0, int(in_shape[a]), 1) for a in p]) | dict(
        offset=0, in_strides=[0] * (MAX_DIMS - len(p)) + [st[a] for a in p])


def gather(params, indices, axis: int, batch_dims: int = 0) -> np.ndarray:
    params = np.asarray(params)
    if batch_dims:
        raise ModelError(f"GATHER batch_dims {batch_dims} is not supported (0 only)")
    if not -params.ndim <= axis < params.ndim:
        raise ModelError(f"GATHER axis {axis} out of range for rank {params.ndim}")
    axis %= params.ndim
    idx = np.asarray(indices).astype(np.int64)
    bad = idx[(idx < 0) | (idx >= params.shape[axis])]
    if bad.size:
        raise ModelError(f"GATHER index {int(bad[0])} outside [0, {params.shape[axis]})")
    return np.take(params, idx, axis=axis)


def gather_geometry(params_shape, axis: int) -> tuple[int, int, int]:
    """(outer, axis_size, inner) of ``ck_gather_params``."""
    axis %= len(params_shape)
    return (int(np.prod(params_shape[:axis], dtype=np.int64)), int(params_shape[axis]),
            int(np.prod(params_shape[axis + 1:], dtype=np.int64)))


def pack(xs, axis: int) -> np.ndarray:
    xs = [np.asarray(x) for x in xs]
    rank = xs[0].ndim + 1
    if not -rank <= axis < rank:
        raise ModelError(f"PACK axis {axis} out of range for rank {rank}")
    return np.stack(xs, axis=axis % rank)


def pack_geometry(shape, axis: int, n: int) -> tuple[int, int, list[int]]:
    """(outer, inner, axis sizes) of PACK as a ``ck_concat`` of ``n`` inputs of ``shape``."""
    axis %= len(shape) + 1
    return (int(np.prod(shape[:axis], dtype=np.int64)),
            int(np.prod(shape[axis:], dtype=np.int64)), [1] * n)


# ---- output shapes from the declarations (simulator/budget.py checks them before running) ----

def _const_of(graph, op, k):
    if k >= len(op.inputs) or op.inputs[k] < 0:
        return None
    return graph.tensor(op.inputs[k]).data


def output_shape(op, graph):
    """The output shape ``op`` gives from its input shapes and constant operands, or None
    when an operand it needs is not constant."""
    shapes = [graph.tensor(i).shape for i in op.inputs if i >= 0]
    consts = [_const_of(graph, op, k) for k in range(len(op.inputs))]
    if op.opcode == "TRANSPOSE" and len(consts) > 1 and consts[1] is not None:
        return tuple(shapes[0][a] for a in check_perm(consts[1], len(shapes[0])))
    if op.opcode == "STRIDED_SLICE" and len(consts) == 4 and all(c is not None
                                                                  for c in consts[1:]):
        ranges = slice_ranges(shapes[0], *consts[1:], op.options)
        return tuple(c for _, c, _, shrink in ranges if not shrink)
    if op.opcode == "GATHER" and len(shapes) == 2:
        axis = int(op.options.get("axis", 0))
        if not -len(shapes[0]) <= axis < len(shapes[0]):
            raise ModelError(f"GATHER axis {axis} out of range for rank {len(shapes[0])}")
        axis %= len(shapes[0])
        return tuple(shapes[0][:axis]) + tuple(shapes[1]) + tuple(shapes[0][axis + 1:])
    if op.opcode == "PACK" and shapes:
        axis = int(op.options.get("axis", 0)) % (len(shapes[0]) + 1)
        return tuple(shapes[0][:axis]) + (len(shapes),) + tuple(shapes[0][axis:])
    return None


# ---- IR adapters --------------------------------------------------------------------------

def _value(graph, op, inputs, k):
    if inputs is not None and k < len(inputs) and inputs[k] is not None:
        return np.asarray(inputs[k])
    t = graph.tensor(op.inputs[k])
    if t.data is None:
        raise ModelError("input has no value", op_index=op.index, opcode=op.opcode,
                         tensor_index=t.index)
    return t.data


def run_transpose(op, graph, inputs) -> np.ndarray:
    return transpose(_value(graph, op, inputs, 0), _value(graph, op, inputs, 1))


def run_strided_slice(op, graph, inputs) -> np.ndarray:
    v = [_value(graph, op, inputs, k) for k in range(4)]
    return strided_slice(*v, op.options)


def run_gather(op, graph, inputs) -> np.ndarray:
    return gather(_value(graph, op, inputs, 0), _value(graph, op, inputs, 1),
                  int(op.options.get("axis", 0)), int(op.options.get("batch_dims", 0)))


def run_pack(op, graph, inputs) -> np.ndarray:
    xs = [_value(graph, op, inputs, k) for k in range(len(op.inputs))]
    return pack(xs, int(op.options.get("axis", 0)))


OPS = {"TRANSPOSE": OpSpec(run_transpose, shared_quant=True),
       "STRIDED_SLICE": OpSpec(run_strided_slice, shared_quant=True),
       "GATHER": OpSpec(run_gather, shared_quant=True),
       "PACK": OpSpec(run_pack, shared_quant=True)}
