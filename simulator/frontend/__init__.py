"""Model import and export: ``.tflite`` <-> :class:`simulator.ir.Graph`, and a model builder."""
from .builder import ModelBuilder, quantize_weights
from .tflite_reader import load_tflite
from .tflite_writer import save_tflite

__all__ = ["ModelBuilder", "load_tflite", "quantize_weights", "save_tflite"]
