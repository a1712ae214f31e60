"""Inputs the arithmetic-op kernel tests share (PRELU, MAXIMUM/MINIMUM, SUB, SUM, the float32
activations): float32 values with NaN, signed zeros and infinities among them, and a wide
float32 activation range."""
from __future__ import annotations

import numpy as np


from tests.helpers import ops_oracle as oo


def values(rng, shape, dtype):
    """int8: uniform; float32: normal * 3 with NaN, +-0.0 and +-inf among the values."""
    if dtype == "int8":
        return oo.s8(rng, shape)
    v = (rng.normal(size=shape) * 3).astype(np.float32)
    flat = v.reshape(-1)
    specials = np.array([np.nan, 0.0, -0.0, np.inf, -np.inf], np.float32)
    k = min(flat.size // 3, specials.size)
    flat[rng.choice(flat.size, k, replace=False)] = specials[:k]
    return v


def activations(seed=0, n=2001):
    """Wide range, both saturation ends, signed zeros, denormals, exp's cut-off points."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(0, 3, n), rng.uniform(-100, 100, 200),
                        [0.0, -0.0, 1e-40, -1e-40, 1e-7, -1e-7, 43.5, 44.0, -44.0, 87.0, -87.0,
                         88.0, -88.0, 90.0, -90.0, 1e30, -1e30]])
    return x.astype(np.float32)


