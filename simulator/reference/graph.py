"""Run a whole :class:`~simulator.ir.Graph` on the NumPy reference: every tensor's value.

    values = run_graph(graph, {graph.inputs[0]: x})      # or run_graph(graph, [x])
    y = values[graph.outputs[0]]

The interpreter only sequences ops: each family file's ``OPS`` dict (``opcode ->
OpSpec(run_x, ...)``, merged by ``registry.py``) is the definition of the op. Ops run in the
order of ``graph.ops`` (TFLite stores them topologically sorted); constants come from
``Tensor.data``. An op whose output is float32 takes the float family's adapter (``float_ops.OPS``) when there is one, else the
quantized families' (QUANTIZE/DEQUANTIZE live there). mcusim's binary CUSTOM ops
(``CUSTOM:MCUSIM_BPACK/BCONV2D/BFC``, :mod:`reference.binary`) are ordinary entries of the
merged table, so float, int8, binary and mixed graphs all run through :func:`run_graph`.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np

from simulator.errors import McusimError, ModelError
from simulator.ir import Graph, Op
from simulator.reference.registry import optional_family, all_specs

FLOAT_FAMILY = "float_ops"

NP_DTYPES = {"int8": np.int8, "uint8": np.uint8, "int16": np.int16, "int32": np.int32,
             "int64": np.int64, "float32": np.float32, "float16": np.float16,
             "float64": np.float64, "bool": np.bool_}


def all_ops() -> dict[str, Callable]:
    """opcode -> reference adapter (an OpSpec, callable), merged over every op family."""
    return dict(all_specs())


OPS = all_ops()
_float = optional_family(FLOAT_FAMILY)
FLOAT_OPS: dict[str, Callable] = dict(getattr(_float, "OPS", {}))


def adapter_for(op: Op, graph: Graph | None = None) -> Callable:
    """The reference adapter of ``op``, or a ModelError saying that none exists."""
    fn = None
    if graph is not None and graph.tensor(op.outputs[0]).dtype == "float32":
        fn = FLOAT_OPS.get(op.opcode)
    fn = fn or OPS.get(op.opcode)
    if fn is None:
        raise ModelError(f"no NumPy reference for {op.opcode} (reference ops: "
                         f"{', '.join(sorted(OPS))}; lowered ops: docs/supported-ops.md)", op_index=op.index,
                         opcode=op.opcode)
    return fn


def _bind_inputs(graph: Graph, inputs) -> dict[int, np.ndarray]:
    if isinstance(inputs, np.ndarray):
        inputs = [inputs]
    if not isinstance(inputs, Mapping):
        inputs = list(inputs)
        if len(inputs) != len(graph.inputs):
            raise ModelError(f"model has {len(graph.inputs)} inputs, got {len(inputs)} arrays",
                             path=graph.source)
        inputs = dict(zip(graph.inputs, inputs))
    values: dict[int, np.ndarray] = {}
    for idx in graph.inputs:
        if idx not in inputs:
            raise ModelError("no value given for the model input", path=graph.source,
                             tensor_index=idx)
        t = graph.tensor(idx)
        x = np.asarray(inputs[idx])
        if x.size != t.num_elements:
            raise ModelError(f"input has {x.size} elements, tensor {t.name!r} needs "
                             f"{t.shape}", path=graph.source, tensor_index=idx)
        values[idx] = x.astype(NP_DTYPES.get(t.dtype, x.dtype), copy=False).reshape(t.shape)
    return values


def run_op(op: Op, graph: Graph, values: Mapping[int, np.ndarray]) -> np.ndarray:
    """Run one op given the values computed so far; returns its (first) output."""
    fn = adapter_for(op, graph)
    args = []
    for i in op.inputs:
        if i < 0:
            args.append(None)
        elif i in values:
            args.append(values[i])
        elif graph.tensor(i).is_const:
            args.append(graph.tensor(i).data)
        else:
            raise ModelError("input tensor has no value yet (graph not topologically sorted?)",
                             op_index=op.index, opcode=op.opcode, tensor_index=i)
    try:
        out = np.asarray(fn(op, graph, args))
    except McusimError as err:
        if isinstance(err, ModelError) and err.op_index is None:
            raise ModelError(err.message, path=graph.source, op_index=op.index,
                             opcode=op.opcode) from None
        raise
    except (IndexError, KeyError, TypeError, ValueError, AttributeError) as err:
        # a malformed op (missing input, wrong rank ...) the adapter did not anticipate
        raise ModelError(f"reference cannot run this op ({type(err).__name__}: {err})",
                         path=graph.source, op_index=op.index, opcode=op.opcode) from None
    t = graph.tensor(op.outputs[0])
    if out.size != t.num_elements:
        raise ModelError(f"reference produced shape {out.shape}, output tensor declares "
                         f"{t.shape}", op_index=op.index, opcode=op.opcode, tensor_index=t.index)
    return out.reshape(t.shape)


def run_graph(graph: Graph, inputs: Sequence | Mapping | np.ndarray) -> dict[int, np.ndarray]:
    """Every non-constant tensor's value (inputs included), keyed by tensor index."""
    graph.check_dataflow()
    values = _bind_inputs(graph, inputs)
    for op in graph.ops:
        if len(op.outputs) != 1:
            raise ModelError(f"ops with {len(op.outputs)} outputs are not supported",
                             op_index=op.index, opcode=op.opcode)
        values[op.outputs[0]] = run_op(op, graph, values)
    return values
