"""Activation ranges from calibration statistics, and the int8 (scale, zero point) they give.

Methods (per tensor, over every value the float reference produced for the calibration set):
- ``minmax``: the observed minimum and maximum (nothing saturates on the calibration data);
- ``percentile``: the 0.01th and 99.99th percentiles (a few outliers may saturate);
- ``mse``: a clipping search (as TensorRT's and PyTorch's MSE observers): the maximum, then
  the minimum, is shrunk by the factor in ``MSE_FACTORS`` (1.0 down to 0.02, geometric) whose
  quantize-dequantize round trip has the least mean squared error on the values; ties go to
  the wider range.
Every range is widened to include 0 so that zero is exactly representable (TFLite's rule),
and the scale is rounded to float32, the precision a .tflite stores.
"""
from __future__ import annotations

import numpy as np

from simulator.errors import QuantizationError

METHODS = ("minmax", "percentile", "mse")
MAX_SAMPLE = 1 << 18          # values looked at by percentile/mse (strided, deterministic)
MSE_FACTORS = np.geomspace(1.0, 0.02, 25)


def _sample(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    step = max(1, v.size // MAX_SAMPLE)
    return v[::step]


def qparams_for_range(lo: float, hi: float) -> tuple[float, int]:
    """Asymmetric int8 (scale, zero_point) covering ``[lo, hi]`` (widened to hold 0)."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise QuantizationError(f"range [{lo}, {hi}] is not finite: no int8 scale covers it")
    scale = float(np.float32(max(hi - lo, 1e-8) / 255.0))
    zp = int(np.clip(np.round(-128 - lo / scale), -128, 127))
    return scale, zp


def _fake_quant(v: np.ndarray, scale: float, zp: int) -> np.ndarray:
    q = np.clip(np.round(v / scale) + zp, -128, 127)
    return (q - zp) * scale


def choose_range(values: np.ndarray, method: str = "minmax") -> tuple[float, float]:
    if method not in METHODS:
        raise QuantizationError(f"unknown calibration method {method!r}; "
                                f"expected one of {', '.join(METHODS)}")
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if v.size == 0:
        return 0.0, 0.0
    lo, hi = min(float(v.min()), 0.0), max(float(v.max()), 0.0)
    if method == "minmax":
        return lo, hi
    s = _sample(v)
    if method == "percentile":
        p_lo, p_hi = np.percentile(s, [0.01, 99.99])
        return min(float(p_lo), 0.0), max(float(p_hi), 0.0)
    def err(a, b):
        scale, zp = qparams_for_range(a, b)
        return float(np.mean((_fake_quant(s, scale, zp) - s) ** 2))

    hi = min((hi * f for f in MSE_FACTORS), key=lambda h: err(lo, h))
    lo = min((lo * f for f in MSE_FACTORS), key=lambda m: err(m, hi))
    return lo, hi


def load_calibration(graph, path) -> list[np.ndarray]:
    """The .npy at ``path`` as the graph's calibration batches, in the IR's layout (an ONNX
    model's NCHW data transposed to NHWC)."""
    from simulator.frontend.onnx_reader import is_onnx_graph, onnx_inputs_to_ir
    from simulator.npy import load_npy

    data = load_npy(path, error=QuantizationError)      # header checked against a size bound first
    if is_onnx_graph(graph):
        return onnx_inputs_to_ir(graph, data, error=QuantizationError, what="calibration data")
    return [data]
