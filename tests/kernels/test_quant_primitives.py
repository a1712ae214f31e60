"""ck_quant.h against reference/quant.py: the fixed-point primitives every int8 kernel uses.

Random values plus the edges where rounding and saturation live (INT32_MIN/MAX, exact halves,
every shift), on the host build; the emulated kernels are checked through their own tests."""
import ctypes
from pathlib import Path

import numpy as np
import pytest

from simulator.reference import quant

from tests.helpers import hostlib

SHIM = Path(__file__).resolve().parent / "fixtures" / "quant_shim.c"
EDGES = np.array([0, 1, -1, 2, -2, 3, -3, (1 << 30), -(1 << 30), (1 << 30) + 1, -(1 << 30) - 1,
                  (1 << 31) - 1, -(1 << 31), -(1 << 31) + 1, 12345, -12345, 1 << 15, -(1 << 15)],
                 dtype=np.int64)


@pytest.fixture(scope="module")
def lib():
    return hostlib.build([SHIM])


def _call(lib, name, *arrays):
    arrays = [np.ascontiguousarray(a, dtype=np.int32) for a in arrays]
    out = np.zeros_like(arrays[0])
    getattr(lib, name)(*[hostlib.ptr(a) for a in arrays], hostlib.ptr(out), ctypes.c_int32(out.size))
    return out


def _pairs(rng, n):
    a = np.concatenate([np.repeat(EDGES, EDGES.size), rng.integers(-(1 << 31), 1 << 31, n)])
    b = np.concatenate([np.tile(EDGES, EDGES.size), rng.integers(-(1 << 31), 1 << 31, n)])
    return a, b


def test_srdhm_matches_reference(lib):
    a, b = _pairs(np.random.default_rng(0), 200_000)
    assert np.array_equal(_call(lib, "t_srdhm", a, b), quant.saturating_rounding_doubling_high_mul(a, b))


def test_rounding_divide_by_pot_matches_reference(lib):
    rng = np.random.default_rng(1)
    x = np.concatenate([np.repeat(EDGES, 32), rng.integers(-(1 << 31), 1 << 31, 200_000)])
    e = np.concatenate([np.tile(np.arange(32), EDGES.size), rng.integers(0, 32, 200_000)])
    # exact halves for every exponent: x = k * 2^e + 2^(e-1), both signs
    ks = np.arange(1, 32)
    halves = np.concatenate([(np.int64(3) << ks) + (np.int64(1) << (ks - 1)), -((np.int64(3) << ks) + (np.int64(1) << (ks - 1)))])
    halves = halves[(halves >= -(1 << 31)) & (halves < (1 << 31))]
    x = np.concatenate([x, halves])
    e = np.concatenate([e, np.concatenate([ks, ks])[: halves.size]])
    assert np.array_equal(_call(lib, "t_rdbp", x, e), quant.rounding_divide_by_pot(x, e))


def test_requantize_matches_reference(lib):
    rng = np.random.default_rng(2)
    n = 300_000
    x = rng.integers(-(1 << 20), 1 << 20, n)
    m = rng.integers(1 << 30, (1 << 31) - 1, n)
    s = rng.integers(-31, 8, n)
    assert np.array_equal(_call(lib, "t_requantize", x, m, s), quant.multiply_by_quantized_multiplier(x, m, s))
