"""TFLite Micro's own interpreter as an oracle: outputs and arena size for a ``.tflite``.

Uses the ``tflite-micro`` wheel (``tflite_micro.python.tflite_micro.runtime``). TFLM crashes
the process (rather than raising) when the arena is too small, so we never probe sizes:
the arena we give is generous (computed from our own reading of the model) and the size
TFLM actually needed is read from its RecordingMicroAllocator report
(``Interpreter.print_allocations``, written to the C stderr; captured at the fd level).

Only feed it models that :func:`load_tflite` accepted: TFLM trusts its input.
"""
from __future__ import annotations

import os
import re
import sys
import tempfile

import numpy as np

from .tflite_reader import load_tflite



def _runtime():
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("the TFLM oracle needs the 'tflite-micro' package "
                          "(pip install mcusim[test])") from err
    return runtime


def _generous_arena(model_bytes: bytes) -> int:
    graph = load_tflite(model_bytes)
    activations = sum(t.nbytes for t in graph.tensors if not t.is_const)
    # Every tensor live at once, plus per-tensor/per-op bookkeeping and scratch buffers.
    return 2 * activations + 2048 * (len(graph.tensors) + len(graph.ops)) + (256 << 10)


def interpreter(model_bytes: bytes, arena_size: int | None = None):
    """A TFLM interpreter for ``model_bytes`` (allocated, ready to ``set_input``)."""
    model_bytes = bytes(model_bytes)
    return _runtime().Interpreter.from_bytes(
        model_bytes, arena_size=arena_size or _generous_arena(model_bytes))


def run_tflm(model_bytes: bytes, inputs) -> list[np.ndarray]:
    """Run one inference; ``inputs`` is an array or a list of arrays (model input order)."""
    if isinstance(inputs, np.ndarray):
        inputs = [inputs]
    interp = interpreter(model_bytes)
    for i, x in enumerate(inputs):
        details = interp.get_input_details(i)
        interp.set_input(np.asarray(x, dtype=details["dtype"]).reshape(details["shape"]), i)
    interp.invoke()
    graph_outputs = len(load_tflite(model_bytes).outputs)
    return [np.array(interp.get_output(i)) for i in range(graph_outputs)]


def tflm_arena_bytes(model_bytes: bytes) -> int:
    """Bytes of tensor arena TFLM used for this model (RecordingMicroAllocator's total)."""
    return tflm_allocations(model_bytes)["total"]


def tflm_allocations(model_bytes: bytes) -> dict[str, int]:
    """The RecordingMicroAllocator's arena "total", "head" (planned tensors) and "tail"
    (persistent allocations), in bytes. RuntimeError if TFLM cannot allocate the model.
    The interpreter allocates (and its kernels request their buffers) when it is made, so no
    inference runs: the report is the same after invoke() (checked on DS-CNN and VWW)."""
    interp = interpreter(model_bytes)
    report = _capture_c_stderr(interp.print_allocations)
    found: dict[str, int] = {}
    for part in ("total", "head", "tail"):
        match = re.search(rf"Arena allocation {part} (\d+) bytes", report)
        if match is None:
            raise RuntimeError(f"no arena {part} in TFLM's allocation report:\n{report}")
        found[part] = int(match.group(1))
    return found


def _capture_c_stderr(fn) -> str:
    sys.stderr.flush()
    fd = 2  # the C library's stderr, whatever Python's sys.stderr is (pytest replaces it)
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), fd)
        try:
            fn()
        finally:
            os.dup2(saved, fd)
            os.close(saved)
        sink.seek(0)
        return sink.read().decode("utf-8", errors="replace")
