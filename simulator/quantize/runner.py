"""Run a whole graph through the bit-exact NumPy reference: int8 builtins, mcusim's binary
CUSTOM ops, and float32 graphs (:mod:`simulator.reference.float_ops`).

The int8 reference ops define a single inference (batch 1, as the graph says), so a batch of
samples is run one sample at a time; the float path is vectorised over the batch.
"""
from __future__ import annotations

import numpy as np

from simulator.errors import ModelError
from simulator.ir import Graph
from simulator.reference import float_ops, quantize_ops
from simulator.reference.registry import all_specs

INT8_OPS: dict = all_specs()        # opcode -> OpSpec (callable as its reference)


def is_float_graph(graph: Graph) -> bool:
    return all(graph.tensor(i).dtype == "float32" for i in graph.inputs) and not any(
        t.dtype == "int8" for t in graph.tensors)


def run_once(graph: Graph, inputs, *, keep_all: bool = False):
    """One inference of an int8/binary graph; ``inputs`` one array per graph input."""
    values = {i: np.asarray(v).reshape(graph.tensor(i).shape) for i, v in zip(graph.inputs, inputs)}
    for op in graph.ops:
        fn = INT8_OPS.get(op.opcode)
        if fn is None:
            raise ModelError("op has no int8 reference", path=graph.source, op_index=op.index,
                             opcode=op.opcode)
        args = [values.get(i) if i >= 0 else None for i in op.inputs]
        values[op.outputs[0]] = np.asarray(fn(op, graph, args))
    return values if keep_all else [values[o] for o in graph.outputs]


def run_batch(graph: Graph, batch) -> list[np.ndarray]:
    """Outputs for a batch (leading axis) of inputs: ``[N, *output_shape]`` per graph output."""
    batches = list(batch) if isinstance(batch, (list, tuple)) else [batch]
    if is_float_graph(graph):
        return float_ops.run_graph(graph, batches)
    outs = [run_once(graph, [b[k] for b in batches]) for k in range(len(batches[0]))]
    return [np.stack([o[j].reshape(graph.tensor(graph.outputs[j]).shape) for o in outs])
            for j in range(len(graph.outputs))]


def quantize_input(graph: Graph, x: np.ndarray, k: int = 0) -> np.ndarray:
    """Float data -> the dtype graph input ``k`` takes (int8 via its quantization)."""
    t = graph.tensor(graph.inputs[k])
    if t.dtype == "float32":
        return np.asarray(x, np.float32)
    q = t.quant
    return quantize_ops.quantize_f32_s8(x, scale=float(np.float32(q.scalar_scale)),
                                        zero_point=q.scalar_zero_point)


def accuracy(graph: Graph, images: np.ndarray, labels: np.ndarray) -> float:
    """Top-1 accuracy of the reference on float ``images`` (quantized as the input wants)."""
    (y,) = run_batch(graph, quantize_input(graph, images))[:1]
    return float(np.mean(y.reshape(len(labels), -1).argmax(axis=1) == np.asarray(labels)))
