"""Model import and export: ``.tflite`` <-> :class:`simulator.ir.Graph`, ``.onnx`` (float32) ->
Graph, and a model builder."""
from pathlib import Path

from ..ir import Graph
from .builder import ModelBuilder, quantize_weights
from .onnx_reader import ir_outputs_to_onnx, load_onnx, onnx_inputs_to_ir
from .tflite_reader import load_tflite
from .tflite_writer import save_tflite

__all__ = ["ModelBuilder", "ir_outputs_to_onnx", "load_model", "load_onnx", "load_tflite",
           "onnx_inputs_to_ir", "quantize_weights", "save_tflite"]


def load_model(path) -> Graph:
    """A ``.onnx`` file through :func:`load_onnx`, anything else through :func:`load_tflite`."""
    if Path(path).suffix.lower() == ".onnx":
        return load_onnx(path)
    return load_tflite(path)
