"""Graph mutations: read the model, change one fact of the Graph (written back by the caller)."""
from __future__ import annotations

import copy
import math

import numpy as np

from ..frontend import schema
from ..ir import Graph


def _tensor_choice(rng, g: Graph, const: bool | None = None):
    pool = [t for t in g.tensors if const is None or t.is_const == const] or g.tensors
    return rng.choice(pool)


def g_dims(rng, g: Graph) -> None:
    t = _tensor_choice(rng, g)
    shape = list(t.shape) or [1]
    i = rng.randrange(len(shape))
    shape[i] = rng.choice([0, -1, -(1 << 31), (1 << 31) - 1, 1 << 20, 65536, shape[i] + 1])
    if rng.random() < 0.2:
        shape = shape + [1] * rng.choice([5, 8, 20])
    t.shape = tuple(shape)


def g_buffer_size(rng, g: Graph) -> None:
    t = _tensor_choice(rng, g, const=True)
    if t.data is None:
        return
    flat = t.data.reshape(-1)
    t.data = flat[:rng.randrange(max(flat.size, 1))] if rng.random() < 0.5 else np.concatenate([flat, flat[:3]])


def g_dtype(rng, g: Graph) -> None:
    t = _tensor_choice(rng, g)
    t.dtype = rng.choice(["int8", "int16", "int32", "float32", "int64", "uint8", "bool", "float16"])
    if t.data is not None and rng.random() < 0.5:
        with np.errstate(all="ignore"):          # wrapping casts are the point of the mutation
            t.data = t.data.astype(t.dtype)


def g_dangling_ref(rng, g: Graph) -> None:
    n = len(g.tensors)
    bad = rng.choice([n, n + 1, -2, -1, 1 << 30, -(1 << 31)])
    target = rng.choice(["op_in", "op_out", "graph_in", "graph_out"])
    if target.startswith("op") and g.ops:
        op = rng.choice(g.ops)
        refs = op.inputs if target == "op_in" else op.outputs
        if refs:
            refs[rng.randrange(len(refs))] = bad
            return
    refs = g.inputs if target == "graph_in" else g.outputs
    if refs and rng.random() < 0.7:
        refs[0] = bad
    else:
        refs.append(bad)


def g_circular_ref(rng, g: Graph) -> None:
    """An op consuming its own output, or the first op consuming the last one's output."""
    if not g.ops:
        return
    if rng.random() < 0.5:
        op = rng.choice(g.ops)
        if op.inputs and op.outputs:
            op.inputs[0] = op.outputs[0]
    else:
        first, last = g.ops[0], g.ops[-1]
        if first.inputs and last.outputs:
            first.inputs[0] = last.outputs[0]
        g.inputs = list(g.outputs)


def g_quant_length(rng, g: Graph) -> None:
    t = _tensor_choice(rng, g)
    if t.quant is None:
        return
    q = copy.copy(t.quant)
    n = rng.choice([0, 2, 3, q.scale.size + 1, max(q.scale.size - 1, 0)])
    what = rng.random()
    if what < 0.4:
        q.scale = np.resize(q.scale, n) if n else np.zeros(0)
    elif what < 0.8:
        q.zero_point = np.resize(q.zero_point, n) if n else np.zeros(0, np.int64)
    else:
        q.axis = rng.choice([-1, len(t.shape), 99, -(1 << 31)])
    t.quant = q


def g_quant_values(rng, g: Graph) -> None:
    t = _tensor_choice(rng, g)
    if t.quant is None:
        return
    q = copy.copy(t.quant)
    if rng.random() < 0.5:
        q.scale = q.scale.copy()
        q.scale[rng.randrange(q.scale.size)] = rng.choice([0.0, -1.0, math.nan, math.inf, 1e-300, 1e300])
    else:
        q.zero_point = q.zero_point.copy()
        q.zero_point[rng.randrange(q.zero_point.size)] = rng.choice([128, -129, 255, 256, 1 << 40, -(1 << 62)])
    t.quant = q


def g_options(rng, g: Graph) -> None:
    ops = [op for op in g.ops if op.options]
    if not ops:
        return
    op = rng.choice(ops)
    name = rng.choice(sorted(op.options))
    value = op.options[name]
    if isinstance(value, bool):
        op.options[name] = not value
    elif isinstance(value, int):
        op.options[name] = rng.choice([0, -1, -(1 << 31), (1 << 31) - 1, 1 << 16])
    elif isinstance(value, float):
        op.options[name] = rng.choice([0.0, -1.0, math.nan, math.inf])
    elif isinstance(value, list):
        op.options[name] = [rng.choice([-1, 0, 1 << 30, -(1 << 31)]) for _ in range(rng.choice([0, 1, 9]))]


def g_opcode(rng, g: Graph) -> None:
    if g.ops:
        rng.choice(g.ops).opcode = rng.choice(sorted(schema.BUILTIN_CODES))


def g_drop(rng, g: Graph) -> None:
    """Remove a tensor or an op without renumbering: every later ref is now off by one."""
    if rng.random() < 0.5 and len(g.tensors) > 1:
        del g.tensors[rng.randrange(len(g.tensors))]
    elif g.ops:
        del g.ops[rng.randrange(len(g.ops))]
        if rng.random() < 0.5:
            g.ops = []


GRAPH_MUTATIONS = {"dims": g_dims, "buffer_size": g_buffer_size, "dtype": g_dtype,
                   "dangling_ref": g_dangling_ref, "circular_ref": g_circular_ref,
                   "quant_length": g_quant_length, "quant_values": g_quant_values,
                   "options": g_options, "opcode": g_opcode, "drop": g_drop}
