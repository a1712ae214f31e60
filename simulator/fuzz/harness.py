"""The harness: one case under a time limit and a memory bound, judged against the contract."""
from __future__ import annotations

import signal
import threading
import time
import tracemalloc
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..frontend import load_tflite
from ..ir import Graph

DEFAULT_TIME_LIMIT_S = 2.0
DEFAULT_MEMORY_LIMIT = 200 * 1024 * 1024

OK_OUTCOMES = ("graph", "model_error")
FINDING_OUTCOMES = ("crash", "hang", "memory", "bad_message", "bad_graph")


class CaseTimeout(BaseException):
    """Raised in the main thread by the watchdog; a BaseException so no handler swallows it."""


@dataclass
class CaseResult:
    outcome: str                   # one of OK_OUTCOMES or FINDING_OUTCOMES
    seconds: float
    peak_bytes: int
    detail: str = ""               # error message, or the traceback of a crash
    fallback: bool = False         # a ModelError from the reader's defence-in-depth branch


def check_graph(g: Graph) -> str:
    """Why an imported Graph is inconsistent, or "" when it is fine."""
    n = len(g.tensors)
    for i, t in enumerate(g.tensors):
        if t.index != i:
            return f"tensor {i} has index {t.index}"
        if any(d < 0 for d in t.shape):
            return f"tensor {i} has shape {t.shape}"
        if t.data is not None and t.data.size != t.num_elements:
            return f"tensor {i}: data of {t.data.size} elements for shape {t.shape}"
        q = t.quant
        if q is not None:
            if q.scale.size != q.zero_point.size or q.scale.size == 0:
                return f"tensor {i}: {q.scale.size} scales, {q.zero_point.size} zero points"
            if q.scale.size > 1 and not (0 <= q.axis < len(t.shape) and t.shape[q.axis] == q.scale.size):
                return f"tensor {i}: per-channel quantization does not match the shape"
            if not np.all(np.isfinite(q.scale) & (q.scale > 0)):
                return f"tensor {i}: scale {q.scale}"
    for ref in g.inputs + g.outputs:
        if not 0 <= ref < n:
            return f"graph refers to tensor {ref} of {n}"
    for op in g.ops:
        if any(not -1 <= r < n for r in op.inputs) or any(not 0 <= r < n for r in op.outputs):
            return f"{op.describe()} refers to a tensor out of range"
    return ""


def _arm_watchdog(seconds: float):
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        return None

    def fire(_signum, _frame):
        raise CaseTimeout()
    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    return previous


def _disarm_watchdog(previous) -> None:
    if previous is not None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _load_tflite(path):
    # Looked up on this module at call time, so that patching ``simulator.fuzz.harness.load_tflite``
    # (as the harness's own tests do) reaches run_case.
    return load_tflite(path)


def run_case(path: Path, *, time_limit: float = DEFAULT_TIME_LIMIT_S,
             memory_limit: int = DEFAULT_MEMORY_LIMIT, trace_memory: bool = True) -> CaseResult:
    """Load ``path`` with load_tflite and judge the outcome against the contract."""
    path_text = str(path)
    traced_here = trace_memory and not tracemalloc.is_tracing()
    if traced_here:                     # traced only while loading: the mutators run untraced
        tracemalloc.start()
    if trace_memory:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
    previous = _arm_watchdog(time_limit)
    t0 = time.perf_counter()
    graph = err = None
    try:
        try:
            graph = _load_tflite(path)
        finally:
            _disarm_watchdog(previous)
    except CaseTimeout:
        return CaseResult("hang", time.perf_counter() - t0, 0, f"no result after {time_limit} s")
    except ModelError as exc:
        err = exc
    except BaseException as exc:                  # anything else breaks the contract
        if isinstance(exc, KeyboardInterrupt):
            raise
        return CaseResult("crash", time.perf_counter() - t0, 0,
                          "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    finally:
        if traced_here:
            peak = tracemalloc.get_traced_memory()[1] - base
            tracemalloc.stop()
        elif trace_memory:
            peak = tracemalloc.get_traced_memory()[1] - base
        else:
            peak = 0
    seconds = time.perf_counter() - t0
    if seconds > time_limit:
        return CaseResult("hang", seconds, peak, f"took {seconds:.2f} s (limit {time_limit} s)")
    if peak > memory_limit:
        return CaseResult("memory", seconds, peak, f"allocated {peak:,} B (limit {memory_limit:,} B)")
    if err is not None:
        text = str(err)
        if not text.strip() or path_text not in text or err.path != path_text:
            return CaseResult("bad_message", seconds, peak, f"message does not name the file: {text!r}")
        fallback = text.startswith(f"{path_text}: malformed model (")
        return CaseResult("model_error", seconds, peak, text, fallback=fallback)
    problem = check_graph(graph)
    if problem:
        return CaseResult("bad_graph", seconds, peak, problem)
    return CaseResult("graph", seconds, peak)


def replay(path: Path, **kw) -> CaseResult:
    """Judge one saved input (a reproducer) against the contract."""
    return run_case(Path(path), **kw)
