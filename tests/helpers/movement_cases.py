"""Shared pieces of the data-movement op tests (TRANSPOSE, STRIDED_SLICE, GATHER, PACK,
RESIZE_*): one-op models, the tflite-micro check, host and emulated kernel calls.

The emulated kernels are all built into one firmware per board (cached for the session), so
each core compiles them once however many test files and cases use them.
"""
from __future__ import annotations

import ctypes
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from tests.helpers import hostlib
from tests.helpers import ops_oracle as oo
from simulator.frontend.builder import ModelBuilder
from simulator.reference.graph import run_graph  # noqa: F401  (tests use mc.run_graph)

BOARDS = ["rp2040", "nrf52840", "stm32h743"]          # Cortex-M0+, M4, M7
DTYPES = ["int8", "float32"]
SOURCES = [f"shape/ck_{k}.c" for k in (
    "strided_copy_x8", "strided_copy_x32", "gather_x8", "gather_x32", "resize_nearest_x8",
    "resize_nearest_x32", "resize_bilinear_s8", "resize_bilinear_f32", "concat_s8",
    "concat_f32")]
CANARY = 16                                             # bytes after each emulated output


def one_op(opcode, in_shapes, consts, out_shape, dtype="int8", seed=0, **options):
    """A model of one op: inputs of ``in_shapes`` (shared scale/zero point for int8), then
    int32 constants ``consts``, one output of ``out_shape``."""
    scale, zp = oo.scale_zp(np.random.default_rng(seed))
    q = dict(scale=scale, zero_point=zp) if dtype == "int8" else {}
    b = ModelBuilder(opcode.lower())
    ins = [b.input(s, dtype=dtype, **q) for s in in_shapes]
    ins += [b.const(np.asarray(c, np.int32), "int32") for c in consts]
    y = b.tensor(out_shape, dtype, **q)
    b.op(opcode, ins, [y], **options)
    b.output(y)
    return b.build()


def values(shape, dtype, rng) -> np.ndarray:
    if dtype == "int8":
        return oo.s8(rng, shape)
    return rng.standard_normal(shape).astype(np.float32)


def reference(graph, xs) -> np.ndarray:
    return np.asarray(run_graph(graph, xs)[graph.outputs[0]])


def check_against_tflm(graph, xs) -> None:
    oo.assert_bits_equal(reference(graph, xs).reshape(-1), oo.tflm(graph, xs).reshape(-1))


def host_call(source, name, *args) -> int:
    """Call a host-compiled kernel; ndarray arguments by pointer, Structures by reference."""
    fn = oo.kernel([source], name)
    conv = [oo.ref(a) if isinstance(a, ctypes.Structure) else hostlib.ptr(a)
            if isinstance(a, np.ndarray) or a is None else a for a in args]
    return fn(*conv)


@lru_cache(maxsize=None)
def firmware(board: str):
    from simulator.machine import Machine
    tmp = Path(tempfile.mkdtemp(prefix="mcusim-movement-"))
    stub = tmp / "main.c"
    stub.write_text("int main(void) { return 0; }\n")
    return Machine(board, ram="256K", stack="4K").build([stub, *(hostlib.SRC / s
                                                                  for s in SOURCES)])


def emulated(board, name, params, inputs, out_like) -> tuple[int, np.ndarray, bool]:
    """(status, output, canaries intact) of ``name(&params, *inputs, out)`` on ``board``;
    ``params`` a ctypes Structure, passed as its bytes (all fields 4-byte: same layout)."""
    out_like = np.asarray(out_like)
    out = np.full(out_like.nbytes + CANARY, 0x5A, np.uint8)
    raw = np.frombuffer(bytes(params), np.uint8).copy()
    r = firmware(board).call(name, raw, *inputs, out)
    got = r.arrays[-1].view(np.uint8)
    body = got[:out_like.nbytes].view(out_like.dtype).reshape(out_like.shape)
    return r.value, body, bool(np.all(got[out_like.nbytes:] == 0x5A))
