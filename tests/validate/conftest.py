"""Data for validate's tests: scikit-learn's 8x8 digits (bundled, offline) and an int8 model
quantized from the bundled float digits model on them (float input and output)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
FLOAT_DIGITS = ROOT / "models" / "digits_float.tflite"


@pytest.fixture(scope="session")
def digits(tmp_path_factory):
    from sklearn.datasets import load_digits

    from simulator.frontend import load_model, save_tflite
    from simulator.quantize import quantize_graph

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[..., None]          # [N, 8, 8, 1] in [0, 1]
    y = d.target.astype(np.int64)
    out = tmp_path_factory.mktemp("digits")
    q = quantize_graph(load_model(FLOAT_DIGITS), [x[:64]])
    (out / "q.tflite").write_bytes(save_tflite(q))
    np.save(out / "x.npy", x[:24])
    np.save(out / "y.npy", y[:24])
    return {"dir": out, "x": x[:24], "y": y[:24], "int8": out / "q.tflite", "float": FLOAT_DIGITS}
