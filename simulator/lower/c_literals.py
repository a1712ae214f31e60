"""Arrays of numbers as C initialiser text: int8/int32 as decimals, float32 bit-exact
(:func:`~simulator.lower.emitters_float.f32_literal`), 24 to a line."""
from __future__ import annotations

import numpy as np

from .kernel_call import f32_literal

PER_LINE = 24


def c_numbers(values: np.ndarray) -> str:
    values = np.asarray(values)
    if values.dtype.kind == "f":
        flat = [f32_literal(v) for v in values.reshape(-1)]
    else:
        flat = [str(v) for v in values.reshape(-1).tolist()]
    if not flat:
        return "0"
    rows = (flat[i:i + PER_LINE] for i in range(0, len(flat), PER_LINE))
    return ",\n".join("    " + ", ".join(row) for row in rows)
