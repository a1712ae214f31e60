"""FULLY_CONNECTED, int8.

Semantics follow TFLite's reference kernel (tensorflow/lite/kernels/internal/reference/
integer_ops/fully_connected.h, and TFLM's per-channel variant): for each row of x,
``acc[o] = sum_i w[o, i] * (x[i] - input_zp)``, ``+ bias[o]``, requantize with (multiplier,
shift) of length 1 or ``out``, add the output zero point, clamp. Weights ``[out, in]`` int8
with zero point 0; x ``[batches, in]``.
"""
from __future__ import annotations

import numpy as np

from simulator.errors import ModelError
from simulator.reference.conv import layer_quant, op_operands, requantize_s8
from simulator.reference.spec import OpSpec


def fully_connected_s8(x2d, w, bias, *, input_zp, output_zp, multiplier, shift,
                       act_min=-128, act_max=127) -> np.ndarray:
    x2d, w = np.asarray(x2d), np.asarray(w)
    if x2d.ndim != 2 or w.ndim != 2 or x2d.shape[1] != w.shape[1]:
        raise ModelError(f"fully connected input {x2d.shape} does not match weights {w.shape}")
    acc = (x2d.astype(np.int64) - int(input_zp)) @ w.astype(np.int64).T
    return requantize_s8(acc, bias, multiplier, shift, output_zp, act_min, act_max)


def run_fully_connected(op, graph, inputs) -> np.ndarray:
    (x_t, x), (w_t, w), (_, bias) = (op_operands(op, graph, inputs) + [(None, None)])[:3]
    out_t = graph.tensor(op.outputs[0])
    if w.ndim != 2 or x.size % w.shape[1]:
        raise ModelError(f"input {x.shape} cannot be flattened onto weights {w.shape}",
                         op_index=op.index, opcode=op.opcode)
    y = fully_connected_s8(x.reshape(-1, w.shape[1]), w, bias,
                           **layer_quant(op, graph, x_t, w_t, out_t))
    if op.options.get("keep_num_dims", False):
        return y.reshape(tuple(x.shape[:-1]) + (w.shape[0],))
    return y


OPS = {"FULLY_CONNECTED": OpSpec(run_fully_connected, weight_axis=0)}
