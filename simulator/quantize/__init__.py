"""float -> int8: post-training quantization, float models from NumPy, 1-bit binary layers.

    from simulator.quantize import FloatBuilder, quantize_graph
    int8_graph = quantize_graph(float_graph, calibration_images, per_channel=True,
                                calibration="minmax")        # or "percentile", "mse"
    save_tflite(int8_graph)                                   # runs in TFLite Micro

See docs/quantization.md.
"""
from simulator.quantize.calibration import METHODS, choose_range, qparams_for_range
from simulator.quantize.float_model import FloatBuilder
from simulator.quantize.ptq import quantize_graph
from simulator.quantize.runner import accuracy, run_batch, run_once
from simulator.reference.binary import pack_bits, unpack_bits

__all__ = ["FloatBuilder", "METHODS", "accuracy", "choose_range", "pack_bits",
           "qparams_for_range", "quantize_graph", "run_batch", "run_once", "unpack_bits"]
