"""Shared helpers for the non-conv int8 op tests: reference graph runner, TFLM oracle, C calls.

Each test file builds single-op models with ModelBuilder, checks our NumPy reference against
the tflite-micro interpreter bit for bit, and checks the host-compiled C kernel against the
reference.
"""
from __future__ import annotations

import ctypes

import numpy as np

from simulator.frontend.tflite_writer import save_tflite
from simulator.reference.registry import all_specs

from tests.helpers import hostlib

OPS = all_specs()          # opcode -> OpSpec, callable as the op's reference

CORES = sorted(hostlib.CORES)


def reference(graph, inputs) -> np.ndarray:
    """Run ``graph`` (one output) through the NumPy reference ops."""
    values = dict(zip(graph.inputs, inputs))
    for op in graph.ops:
        args = [values.get(i) if i >= 0 else None for i in op.inputs]
        values[op.outputs[0]] = OPS[op.opcode](op, graph, args)
    return np.asarray(values[graph.outputs[0]])


def tflm(graph, inputs) -> np.ndarray:
    from simulator.frontend.tflm_oracle import run_tflm
    return run_tflm(save_tflite(graph), list(inputs))[0]


def assert_bits_equal(got, want) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.size == want.size, (got.dtype, want.dtype,
                                                               got.shape, want.shape)
    g = got.reshape(-1).view(np.uint8)
    w = want.reshape(-1).view(np.uint8)
    if not np.array_equal(g, w):
        bad = np.flatnonzero(got.reshape(-1) != want.reshape(-1))
        i = int(bad[0])
        raise AssertionError(f"{bad.size} of {got.size} differ; first at {i}: "
                             f"got {got.reshape(-1)[i]} want {want.reshape(-1)[i]}")


def check_against_tflm(builder, inputs) -> None:
    graph = builder.build()
    assert_bits_equal(reference(graph, inputs).reshape(-1), tflm(graph, inputs).reshape(-1))


def kernel(sources, name: str):
    """The C function ``name`` from ``sources`` compiled for the host, returning an int."""
    fn = getattr(hostlib.build(sources), name)
    fn.restype = ctypes.c_int
    return fn


def struct(fields: dict, cls):
    """Fill a ctypes Structure from a dict (sequences for array fields)."""
    s = cls()
    for k, v in fields.items():
        if isinstance(v, (list, tuple)):
            getattr(s, k)[:] = [int(x) for x in v]
        else:
            setattr(s, k, v)
    return s


def ref(s):
    """Pointer argument to a ctypes Structure; the byref object keeps ``s`` alive."""
    return ctypes.byref(s)


def s8(rng, shape) -> np.ndarray:
    return rng.integers(-128, 128, size=shape).astype(np.int8)


def scale_zp(rng, lo=0.005, hi=0.2) -> tuple[float, int]:
    return float(np.float32(rng.uniform(lo, hi))), int(rng.integers(-128, 128))
