"""Post-training quantization: a float32 :class:`ir.Graph` -> an int8 graph TFLite Micro runs.

What it produces follows the TFLite int8 quantization spec
(https://www.tensorflow.org/lite/performance/quantization_spec):
- weights (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED): int8 symmetric, zero point 0,
  values in [-127, 127], one scale per output channel (axis 0; axis 3 for depthwise) or one
  per tensor with ``per_channel=False``; ``scale = max|w| / 127``;
- biases: int32 with ``scale = input_scale * weight_scale`` (per channel), zero point 0;
- activations: int8 asymmetric, one (scale, zero point) per tensor, from the ranges the float
  reference (:mod:`simulator.reference.float_ops`) produced on the calibration data
  (:mod:`simulator.quantize.calibration`);
- fixed output parameters where TFLite fixes them (SOFTMAX and LOGISTIC 1/256, -128;
  TANH 1/128, 0): each op's ``fixed_output`` in its reference registration;
- ops that move bytes without requantizing share one (scale, zero point) between their
  inputs and output, as TFLM's int8 kernels require (RESHAPE, SQUEEZE, MAX_POOL_2D,
  AVERAGE_POOL_2D, PAD, CONCATENATION, MAXIMUM, MINIMUM: ``shared_quant``); the shared range
  is the union of theirs, and a float constant operand is quantized with it;
- the weight axis of each layer with weights is its registration's ``weight_axis``;
- float model I/O becomes QUANTIZE at each input and DEQUANTIZE at each output, unless
  ``int8_io=True`` (then the int8 tensors are the graph's I/O, as in the bundled models).
"""
from __future__ import annotations

import copy

import numpy as np

from simulator.budget import HostBudget, check_geometry, check_host
from simulator.errors import ModelError, QuantizationError
from simulator.ir import Graph, Op, QuantParams, Tensor
from simulator.quantize.calibration import METHODS, choose_range, qparams_for_range
from simulator.reference import float_ops, registry

# The ops' quantization facts, from their registrations (reference/spec.py).
WEIGHT_AXIS = registry.weight_axes()
SHARED_QUANT = registry.shared_quant_ops()
FIXED_OUTPUT = registry.fixed_outputs()
SUPPORTED = set(float_ops.OPS) - {"PADV2"}   # a float fill value has no int8 PAD form here


def check_supported(graph: Graph) -> None:
    for op in graph.ops:
        if op.opcode not in SUPPORTED:
            raise ModelError(f"cannot quantize: no float32 reference for this op (supported: "
                             f"{', '.join(sorted(SUPPORTED))})", path=graph.source,
                             op_index=op.index, opcode=op.opcode)
        if op.opcode in WEIGHT_AXIS:
            w = graph.tensor(op.inputs[1])
            if not w.is_const or w.dtype != "float32":
                raise ModelError("weights must be a float32 constant", path=graph.source,
                                 op_index=op.index, opcode=op.opcode, tensor_index=w.index)


def check_calibration(graph: Graph, data) -> list[np.ndarray]:
    """One float32 batch ``[N, *input_shape[1:]]`` per graph input."""
    arrays = list(data) if isinstance(data, (list, tuple)) else [data]
    if len(arrays) != len(graph.inputs):
        raise QuantizationError(f"calibration data: expected {len(graph.inputs)} array(s), one "
                                f"per model input, got {len(arrays)}")
    out = []
    for k, (idx, a) in enumerate(zip(graph.inputs, arrays)):
        a = np.asarray(a)
        t = graph.tensor(idx)
        want = tuple(t.shape[1:])
        expected = f"float32 [N, {', '.join(map(str, want))}]"
        if a.dtype.kind != "f":
            raise QuantizationError(f"calibration data for input {k} ({t.name}): expected "
                                    f"{expected}, got {a.dtype} {list(a.shape)}")
        if a.ndim != len(want) + 1 or tuple(a.shape[1:]) != want or a.shape[0] < 1:
            raise QuantizationError(f"calibration data for input {k} ({t.name}): expected "
                                    f"{expected}, got {a.dtype} {list(a.shape)}")
        with np.errstate(over="ignore"):
            a = a.astype(np.float32)
        if not np.all(np.isfinite(a)):
            raise QuantizationError(f"calibration data for input {k} ({t.name}) contains "
                                    "NaN or infinity (or values beyond float32's range)")
        out.append(a)
    return out


class _Groups:
    """Union-find over tensor indices that must share quantization parameters."""

    def __init__(self):
        self.parent: dict[int, int] = {}

    def find(self, t: int) -> int:
        self.parent.setdefault(t, t)
        while self.parent[t] != t:
            self.parent[t] = self.parent[self.parent[t]]
            t = self.parent[t]
        return t

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def activation_params(graph: Graph, values: dict, method: str) -> dict[int, tuple[float, int]]:
    """(scale, zero_point) of every float activation tensor."""
    groups = _Groups()
    fixed: dict[int, tuple[float, int]] = {}
    for op in graph.ops:
        if op.opcode in SHARED_QUANT:
            for i in op.inputs:
                if i >= 0 and not graph.tensor(i).is_const:
                    groups.union(i, op.outputs[0])
        if op.opcode in FIXED_OUTPUT:
            fixed[op.outputs[0]] = FIXED_OUTPUT[op.opcode]
    ranges: dict[int, list[float]] = {}
    for t, v in values.items():
        if graph.tensor(t).is_const or graph.tensor(t).dtype != "float32":
            continue
        if not np.all(np.isfinite(v)):
            t_ = graph.tensor(t)
            raise QuantizationError(f"tensor #{t} ({t_.name}): the float model computes NaN or infinity "
                                    "on the calibration data (values beyond float32's range?): "
                                    "no int8 range covers it")
        lo, hi = choose_range(v, method)
        r = ranges.setdefault(groups.find(t), [0.0, 0.0])
        r[0], r[1] = min(r[0], lo), max(r[1], hi)
    root_fixed = {groups.find(t): p for t, p in fixed.items()}
    params = {}
    for t in values:
        if graph.tensor(t).is_const or graph.tensor(t).dtype != "float32":
            continue
        root = groups.find(t)
        params[t] = root_fixed.get(root) or qparams_for_range(*ranges[root])
    return params


def quantize_weights(w: np.ndarray, axis: int, per_channel: bool) -> tuple[np.ndarray, np.ndarray]:
    """int8 symmetric weights and their float32-exact scales (one per channel, or one)."""
    w = np.asarray(w, dtype=np.float64)
    if per_channel:
        reduce = tuple(i for i in range(w.ndim) if i != axis)
        peak = np.max(np.abs(w), axis=reduce)
    else:
        peak = np.array([np.max(np.abs(w))])
    scales = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32).astype(np.float64)
    shape = [1] * w.ndim
    if per_channel:
        shape[axis] = -1
    q = np.clip(np.round(w / scales.reshape(shape)), -127, 127).astype(np.int8)
    return q, scales


def quantize_bias(b: np.ndarray, input_scale: float, w_scales: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scales = float(np.float32(input_scale)) * np.asarray(w_scales, np.float64)
    q = np.clip(np.round(np.asarray(b, np.float64) / scales), -(1 << 31), (1 << 31) - 1)
    return q.astype(np.int32), np.broadcast_to(scales, q.shape).copy()


def _shared_consts(g: Graph, act: dict) -> dict[int, tuple[float, int]]:
    """float constants read by a SHARED_QUANT op (MAXIMUM against a constant ...): they take
    the op's output quantization, as TFLite's converter writes them (the op moves raw bytes)."""
    out = {}
    for op in g.ops:
        if op.opcode in SHARED_QUANT and op.outputs[0] in act:
            for i in op.inputs:
                if i >= 0 and g.tensor(i).is_const and g.tensor(i).dtype == "float32":
                    out[i] = act[op.outputs[0]]
    return out


def _const_int8(data: np.ndarray, scale=None, zp=None) -> tuple[np.ndarray, float, int]:
    if scale is None:
        scale, zp = qparams_for_range(float(np.min(data)), float(np.max(data)))
    q = np.clip(np.round(np.asarray(data, np.float64) / scale) + zp, -128, 127)
    return q.astype(np.int8), scale, zp


def quantize_graph(float_graph: Graph, calibration_data, *, per_channel: bool = True,
                   calibration: str = "minmax", int8_io: bool = False,
                   host_budget: HostBudget | None = None) -> Graph:
    """Quantize ``float_graph`` with the calibration batch(es) ``calibration_data``
    (float ``[N, *input_shape[1:]]``, or a list of them, one per input). The geometry and
    the host memory/work of running every sample (simulator/budget.py) are checked before
    calibration runs: ModelError, HostBudgetExceeded."""
    if calibration not in METHODS:
        raise QuantizationError(f"unknown calibration method {calibration!r}; expected one of "
                                f"{', '.join(METHODS)}")
    g = float_graph
    check_supported(g)
    batches = check_calibration(g, calibration_data)
    # Calibration keeps every activation of every sample: bound it by the declared shapes first.
    check_geometry(g)
    check_host(g, host_budget, batch=int(batches[0].shape[0]))
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below, by tensor
        values = float_ops.run_graph(g, batches, keep_all=True)
    act = activation_params(g, values, calibration)

    tensors = [copy.copy(t) for t in g.tensors]
    for t, (scale, zp) in act.items():
        tensors[t].dtype, tensors[t].quant = "int8", QuantParams([scale], [zp])
    done: dict[int, tuple] = {}
    for op in g.ops:
        if op.opcode in WEIGHT_AXIS:
            _quantize_layer(op, g, tensors, act, done, per_channel)
    shared = _shared_consts(g, act)
    for t in tensors:
        if t.is_const and t.dtype == "float32":       # e.g. the constant operand of an ADD
            q, scale, zp = _const_int8(t.data, *shared.get(t.index, (None, None)))
            t.data, t.dtype, t.quant = q, "int8", QuantParams([scale], [zp])

    ops = [Op(op.index, op.opcode, list(op.inputs), list(op.outputs), dict(op.options))
           for op in g.ops]
    inputs, outputs = list(g.inputs), list(g.outputs)
    if not int8_io:
        inputs, outputs, ops = _float_io(g, tensors, ops)
    for k, op in enumerate(ops):
        op.index = k
    meta = {**g.metadata, "quantization": {"calibration": calibration, "per_channel": per_channel,
                                           "calibration_samples": int(batches[0].shape[0])}}
    return Graph(tensors=tensors, ops=ops, inputs=inputs, outputs=outputs, name=g.name,
                 source=g.source, metadata=meta)


def _quantize_layer(op, g, tensors, act, done, per_channel) -> None:
    w_idx, b_idx = op.inputs[1], (op.inputs[2] if len(op.inputs) > 2 else -1)
    x_idx = op.inputs[0]
    if x_idx not in act:
        raise ModelError("the input of a layer with weights must be a float32 activation",
                         op_index=op.index, opcode=op.opcode, tensor_index=x_idx)
    axis = WEIGHT_AXIS[op.opcode]
    q, scales = quantize_weights(g.tensor(w_idx).data, axis, per_channel)
    _assign(done, w_idx, ("w", axis, per_channel), op)
    tensors[w_idx].data, tensors[w_idx].dtype = q, "int8"
    tensors[w_idx].quant = QuantParams(scales, np.zeros(scales.shape, np.int64),
                                       axis if per_channel else 0)
    if b_idx >= 0:
        in_scale = act[x_idx][0]
        _assign(done, b_idx, ("b", in_scale, tuple(scales)), op)
        bq, bscales = quantize_bias(g.tensor(b_idx).data, in_scale, scales)
        if bscales.size != bq.size:
            bscales = np.broadcast_to(bscales, bq.shape).copy()
        tensors[b_idx].data, tensors[b_idx].dtype = bq, "int32"
        tensors[b_idx].quant = QuantParams(bscales, np.zeros(bscales.shape, np.int64), 0)


def _assign(done: dict, idx: int, key: tuple, op) -> None:
    if idx in done and done[idx] != key:
        raise QuantizationError(f"{op.describe()}: tensor #{idx} is shared with another layer "
                                "that needs it quantized differently")
    done[idx] = key


def _float_io(g, tensors, ops):
    """QUANTIZE each float input into its int8 tensor; DEQUANTIZE each output."""
    inputs, outputs, head, tail = [], [], [], []
    for idx in g.inputs:
        t = tensors[idx]
        if t.dtype != "int8":
            inputs.append(idx)
            continue
        f = Tensor(len(tensors), f"{t.name}_float", t.shape, "float32")
        tensors.append(f)
        head.append(Op(0, "QUANTIZE", [f.index], [idx]))
        inputs.append(f.index)
    for idx in g.outputs:
        t = tensors[idx]
        if t.dtype != "int8":
            outputs.append(idx)
            continue
        f = Tensor(len(tensors), f"{t.name}_float", t.shape, "float32")
        tensors.append(f)
        tail.append(Op(0, "DEQUANTIZE", [idx], [f.index]))
        outputs.append(f.index)
    return inputs, outputs, head + ops + tail
