"""Quantization schemes mcusim does not run, refused at import with a named error.

A scheme the kernels do not implement must never reach lowering, where a float kernel would
read int8 weight bytes as floats and give a wrong answer. Each check names the first op (index
and TFLite name) that uses the scheme, says what the scheme is and how to convert instead:

- dynamic-range ("hybrid") quantization: ``Optimize.DEFAULT`` without a representative data
  set. The converter writes int8 weights read directly by a float op (FULLY_CONNECTED,
  CONV_2D ... with float32 activations), or a DEQUANTIZE of a constant int8 weight tensor
  feeding a float op. TFLM's hybrid kernels quantize the activations at run time; mcusim
  models only full-integer and float32 graphs.
- float16 weights (``target_spec.supported_types = [tf.float16]``): DEQUANTIZE of a float16
  constant.
- uint8 activations (TF1's asymmetric uint8 scheme): no mcusim kernel takes uint8.
- per-channel quantization of an activation, or of a weight along another axis than the op's
  output channels (``OpSpec.weight_axis``: CONV_2D 0, DEPTHWISE_CONV_2D 3, FULLY_CONNECTED 0).

int16 activations (the 16x8 scheme) are not refused here: an op that has an int16 kernel runs,
and one that has none is named by lowering (docs/supported-ops.md lists the signatures).
"""
from __future__ import annotations

from ..errors import ModelError
from ..ir import Graph, Op

SUPPORTED_OPS_DOC = "docs/supported-ops.md"
FULL_INT8 = ("convert with full-integer quantization instead: converter.optimizations = "
             "[tf.lite.Optimize.DEFAULT], converter.representative_dataset = <a few hundred "
             "real inputs>, converter.target_spec.supported_ops = "
             "[tf.lite.OpsSet.TFLITE_BUILTINS_INT8] (and inference_input_type / "
             "inference_output_type = tf.int8 for int8 input and output), or keep the model "
             f"float32; see {SUPPORTED_OPS_DOC}")
INTEGER_WEIGHTS = ("int8", "uint8", "int16", "int4")


def _refuse(op: Op, message: str, tensor_index: int | None = None) -> ModelError:
    return ModelError(message, op_index=op.index, opcode=op.opcode, tensor_index=tensor_index)


def _hybrid(graph: Graph, op: Op) -> ModelError | None:
    if op.opcode in ("QUANTIZE", "DEQUANTIZE"):
        return _dequantized_constant(graph, op)
    tensors = [t for t in graph.iter_op_inputs(op) if t is not None]
    float_activation = any(not t.is_const and t.dtype == "float32" for t in tensors)
    weight = next((t for t in tensors if t.is_const and t.dtype in INTEGER_WEIGHTS
                   and t.quant is not None), None)
    if float_activation and weight is not None:
        return _refuse(op, f"dynamic-range (hybrid) quantization: {weight.dtype} weights "
                           f"(tensor #{weight.index} {weight.name!r}) with float32 activations; "
                           f"mcusim runs full-integer or float32 models, not TFLM's hybrid "
                           f"kernels; {FULL_INT8}")
    return None


def _dequantized_constant(graph: Graph, op: Op) -> ModelError | None:
    if op.opcode != "DEQUANTIZE" or not op.inputs or op.inputs[0] < 0:
        return None
    x = graph.tensor(op.inputs[0])
    if not x.is_const:
        return None
    if x.dtype == "float16":
        return _refuse(op, f"float16 weights (tensor #{x.index} {x.name!r} dequantized at run "
                           f"time): float16 quantization is not supported; {FULL_INT8}")
    return _refuse(op, f"dynamic-range (hybrid) quantization: constant {x.dtype} weights "
                       f"(tensor #{x.index} {x.name!r}) dequantized to float at run time; "
                       f"{FULL_INT8}")


def _uint8(graph: Graph, op: Op) -> ModelError | None:
    for t in list(graph.iter_op_inputs(op)) + [graph.tensor(o) for o in op.outputs]:
        if t is not None and not t.is_const and t.dtype == "uint8":
            return _refuse(op, f"uint8 activations (tensor #{t.index} {t.name!r}): the "
                               f"asymmetric uint8 scheme (TF1 quantization) is not supported; "
                               f"{FULL_INT8}")
    return None


def _per_axis(graph: Graph, op: Op, weight_axes: dict) -> ModelError | None:
    for k, t in enumerate(graph.iter_op_inputs(op)):
        if t is None or t.quant is None or not t.quant.per_channel:
            continue
        if not t.is_const:
            return _refuse(op, f"per-channel quantization of an activation (tensor #{t.index} "
                               f"{t.name!r}, {t.quant.scale.size} scales on axis "
                               f"{t.quant.axis}): activations take one scale", t.index)
        want = weight_axes.get(op.opcode)
        if k == 1 and want is not None and t.quant.axis != want:
            return _refuse(op, f"weights (tensor #{t.index} {t.name!r}) quantized per channel "
                               f"along axis {t.quant.axis}; {op.opcode} takes per-channel "
                               f"scales only along its output channels, axis {want}", t.index)
    return None


def check_quant_schemes(graph: Graph) -> None:
    """Raise ModelError at the first op using a scheme the module docstring lists."""
    from ..reference.registry import weight_axes      # reference imports frontend: call time

    axes = weight_axes()
    for op in graph.ops:
        for check in (_hybrid, _uint8):
            err = check(graph, op)
            if err is not None:
                raise err
        err = _per_axis(graph, op, axes)
        if err is not None:
            raise err
