"""A model over a data set on one build: ``mcusim validate`` (in the spirit of ``stm32ai validate``).

    v = validate("models/ds_cnn.tflite", "stm32h743", data="x.npy", labels="y.npy", workers=2)
    v.bit_exact, v.accuracy, v.cycles, v.metrics, v.to_dict()    # "mcusim.validation/1"

The model is lowered and built once (the schedule ``analyze`` would pick, default placement),
with a zero placeholder in the firmware's input buffer (simulator/lower/firmware_io.py). Each
sample is written into that buffer and run from the machine's reset snapshot
(simulator/machine/snapshot.py) up to the end of the cold inference, where the output buffer is
read; the NumPy reference runs the same input, and the two must be equal bit for bit. The
cycles per sample are the **cold** inference's (caches and predictor as startup leaves them),
exactly ``analyze``'s ``cycles`` for that input; the warm second pass analyze also runs is not
run here. Samples are split over ``workers`` processes (fork: each builds its own engine from
the one firmware).

Metrics against a float model (``float_model``, run by the NumPy float reference on the same
data), as ST defines them for ``validate`` ("Evaluation report and metrics", ST Edge AI Core
documentation, stedgeai-dc.st.com/assets/embedded-docs/evaluation_metrics.html), over every
output value of every sample, the int8 output dequantized with its scale and zero point:
RMSE = sqrt(mean((f - q)^2)), MAE = mean(|f - q|), L2r = ||f - q||_2 / ||f||_2,
COS = (f . q) / (||f||_2 ||q||_2).
"""
from __future__ import annotations

import gc
import multiprocessing
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .analyze import as_words, check_flash, check_ram, library_backend, prepare_input, ram_need
from .boards import get_board
from .budget import check_geometry, check_host
from .errors import ConfigError, McusimError, ModelError
from .frontend import load_model
from .ir import Graph
from .lower import firmware_io as io
from .lower import write_sources
from .machine import Machine
from .machine.firmware import DEFAULT_STACK
from .npy import exact_float32, load_npy
from .reference.graph import adapter_for
from .schedule import pick_schedule

SCHEMA = "mcusim.validation/1"
MAX_MISMATCHES_LISTED = 10
CHUNK = 8                      # samples per task: progress updates without much IPC


@dataclass
class Validation:
    model: str
    board: str
    core: str
    toolchain: str
    toolchain_version: str
    clock_hz: int
    memory: str
    samples: int
    cycles: list[int]                          # per sample, cold inference
    instructions: list[int]
    mismatches: list[int]                      # sample indices whose output differs from the reference
    outputs: np.ndarray | None = None          # [N, *output_shape], the simulated outputs
    accuracy: float | None = None              # top-1 vs labels (argmax of the simulated outputs)
    float_accuracy: float | None = None        # the float model's, on the same data
    metrics: dict | None = None                # RMSE, MAE, L2r, COS vs the float model
    workers: int = 1
    wall_seconds: float = 0.0

    @property
    def bit_exact(self) -> bool:
        return not self.mismatches

    @property
    def exit_code(self) -> int:
        return 0 if self.bit_exact else 1

    def cycle_summary(self) -> dict:
        c = np.asarray(self.cycles, np.int64)
        if not c.size:
            return {"min": None, "median": None, "max": None}
        return {"min": int(c.min()), "median": float(np.median(c)), "max": int(c.max())}

    def to_dict(self) -> dict:
        cyc = self.cycle_summary()
        ms = {k: (None if v is None else v * 1e3 / self.clock_hz) for k, v in cyc.items()}
        return {"schema": SCHEMA, "model": self.model, "board": self.board, "core": self.core,
                "toolchain": self.toolchain, "toolchain_version": self.toolchain_version,
                "clock_hz": self.clock_hz, "memory": self.memory,
                "samples": self.samples, "bit_exact": self.bit_exact,
                "bit_exact_samples": self.samples - len(self.mismatches),
                "mismatches": self.mismatches[:MAX_MISMATCHES_LISTED],
                "accuracy": self.accuracy, "float_accuracy": self.float_accuracy,
                "metrics": self.metrics, "cycles": cyc, "latency_ms": ms, "cycles_kind": "cold",
                "instructions": {"min": min(self.instructions, default=None),
                                 "max": max(self.instructions, default=None)},
                "per_sample": {"cycles": list(self.cycles)},
                "workers": self.workers, "wall_seconds": self.wall_seconds}


# ---- data ---------------------------------------------------------------------------------------

def load_samples(graph: Graph, data, what: str = "--data") -> list[np.ndarray]:
    """``data`` (array or .npy path) as one model input per sample, each in the input's dtype:
    a batch ``[N, *input_shape[1:]]`` or one sample of the input's shape; float64 cast to float32
    when lossless (a note), refused when not (InexactInput)."""
    where = str(data) if isinstance(data, (str, Path)) else what
    x = load_npy(data) if isinstance(data, (str, Path)) else np.asarray(data)
    x = exact_float32(x, where)
    shape = graph.tensor(graph.inputs[0]).shape
    if x.ndim == len(shape) - 1:                 # one sample without its batch axis
        x = x[None]
    if x.ndim != len(shape) or x.shape[0] == 0:
        raise ConfigError(f"{where}: shape {list(x.shape)} is neither a batch [N, ...] nor one sample "
                          f"of the model input {list(shape)}")
    out = []
    for i in range(x.shape[0]):
        try:
            out.append(prepare_input(graph, x[i:i + 1]))
        except ConfigError as err:
            raise type(err)(f"{where}: sample {i}: {err}") from None
    return out


def load_labels(labels, n: int) -> np.ndarray:
    """Class indices [N] from ``labels`` ([N] integers or [N, C] one-hot/scores)."""
    where = str(labels) if isinstance(labels, (str, Path)) else "--labels"
    y = load_npy(labels) if isinstance(labels, (str, Path)) else np.asarray(labels)
    if y.ndim == 2:
        y = y.argmax(axis=1)
    if y.ndim != 1 or y.shape[0] != n:
        raise ConfigError(f"{where}: shape {list(np.shape(y))}: expected [{n}] class indices or "
                          f"[{n}, classes] for {n} samples")
    if y.dtype.kind == "f":
        if not np.all(y == np.round(y)):
            raise ConfigError(f"{where}: labels are not whole numbers")
        y = y.astype(np.int64)
    return y


# ---- metrics ------------------------------------------------------------------------------------

def dequantize(graph: Graph, outputs: np.ndarray) -> np.ndarray:
    """The model's outputs as real numbers (int8 with the output tensor's scale and zero point)."""
    t = graph.tensor(graph.outputs[0])
    if t.dtype == "float32":
        return outputs.astype(np.float64)
    q = t.quant
    return (outputs.astype(np.float64) - q.scalar_zero_point) * float(np.float32(q.scalar_scale))


def error_metrics(reference: np.ndarray, values: np.ndarray) -> dict:
    """RMSE, MAE, L2r and COS of ``values`` against ``reference`` over every element (module
    docstring: ST's definitions)."""
    f = np.asarray(reference, np.float64).reshape(-1)
    q = np.asarray(values, np.float64).reshape(-1)
    if f.shape != q.shape:
        raise ConfigError(f"the float model's outputs ({f.size} values) and the quantized model's "
                          f"({q.size}) differ in size")
    d = f - q
    nf, nq = np.linalg.norm(f), np.linalg.norm(q)
    return {"rmse": float(np.sqrt(np.mean(d * d))), "mae": float(np.mean(np.abs(d))),
            "l2r": float(np.linalg.norm(d) / nf) if nf else None,
            "cos": float(f @ q / (nf * nq)) if nf and nq else None}


def top1(outputs: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(outputs.reshape(len(labels), -1).argmax(axis=1) == labels))


def float_outputs(float_model, data, n: int) -> np.ndarray:
    """The float model's outputs ``[N, ...]`` on ``data`` (float; int8 data is refused)."""
    from .quantize.runner import run_batch

    graph = load_model(float_model) if not isinstance(float_model, Graph) else float_model
    x = load_npy(data) if isinstance(data, (str, Path)) else np.asarray(data)
    x = exact_float32(x, str(data) if isinstance(data, (str, Path)) else "--data")
    if x.dtype != np.float32:
        raise ConfigError(f"--float-model needs float32 data to run the float model on, got {x.dtype}")
    shape = graph.tensor(graph.inputs[0]).shape
    if x.ndim == len(shape) - 1:
        x = x[None]
    if "onnx" in graph.metadata:
        from .frontend.onnx_reader import onnx_inputs_to_ir
        x = onnx_inputs_to_ir(graph, [x], error=ConfigError, what="--data")[0]
    if tuple(x.shape[1:]) != tuple(shape[1:]):
        raise ConfigError(f"--data shape {list(x.shape)} does not fit the float model input {list(shape)}")
    (y,) = run_batch(graph, x)[:1]
    return y.reshape(n, -1)


# ---- the build ---------------------------------------------------------------------------------

def build_once(graph: Graph, board, *, ram=None, stack=DEFAULT_STACK, toolchain="zig", memory=None,
               max_instructions=None, max_seconds=None, max_output=None, kernels=None):
    """(firmware, lowered model) for ``graph``: the schedule and placement ``analyze`` uses by
    default, a zero placeholder as the input. RamOverflow/FlashOverflow when it does not fit."""
    kwargs = {k: v for k, v in dict(max_instructions=max_instructions, max_seconds=max_seconds,
                                    max_output=max_output).items() if v is not None}
    machine = Machine(get_board(board), ram=ram, stack=stack, toolchain=toolchain, memory=memory, **kwargs)
    placement = machine.placement({"weights": None, "arena": None})
    need = lambda lm: ram_need(lm, machine.stack_size, placement)  # noqa: E731
    backend = library_backend(kernels, machine)          # --kernels: analyze's choice
    lm = pick_schedule(graph, machine.board, machine.ram_limit, need, "plain" if backend else "auto",
                       backend=backend).lowered
    check_ram(lm, machine.ram_limit, machine.stack_size, machine.board.name, placement)
    check_flash(lm, machine.board)
    t = graph.tensor(lm.input)
    placeholder = np.zeros(t.shape, io.NP_DTYPES[t.dtype])
    files = write_sources(lm, None, placeholder)
    extra = [backend.archive()] if backend else []
    fw = machine.build(files + lm.sources + extra, keep_all=False, placement={"weights": None, "arena": None},
                       include_dirs=[files[0].parent] + (list(lm.library.include_dirs) if backend else []))
    return fw, lm


# ---- running ------------------------------------------------------------------------------------

_JOB: dict = {}                 # what a worker runs: set before the fork, read in the child


def _run_chunk(indices: list[int]) -> list[tuple]:
    """(index, cycles, instructions, output bytes, bit-exact) per sample, in this process."""
    from .machine.snapshot import Replay
    from .reference.graph import run_graph

    job = _JOB
    if "replay" not in job:
        fw = job["fw"]
        job["in_addr"] = fw.symbol_address(io.INPUT_SYMBOL)
        job["replay"] = Replay(fw, io.COLD_REGION, [(fw.symbol_address(io.OUTPUT_SYMBOL), job["out_bytes"]),
                                                    (fw.symbol_address(io.FAILED_SYMBOL), 4)],
                               writable=[(job["in_addr"], job["in_bytes"])])
    graph, lm, replay = job["graph"], job["lm"], job["replay"]
    out_t = graph.tensor(lm.output)
    rows = []
    for i in indices:
        x = job["samples"][i]
        p = replay.run([(job["in_addr"], io.input_bytes(x, graph.tensor(lm.input).dtype))])
        failed = int.from_bytes(p.captured[1], "little", signed=True)
        if failed != -1:
            layer = next((l for l in lm.layers if l.index == failed), None)
            raise ModelError(f"sample {i}: model_invoke failed at layer {failed} "
                             f"({layer.kernel if layer else '?'}): a kernel returned an error status",
                             op_index=failed)
        got = io.decode_output(p.captured[0], out_t.shape, out_t.dtype)
        want = run_graph(graph, [x])[lm.output]
        same = np.array_equal(as_words(got, out_t.dtype), as_words(want, out_t.dtype))
        rows.append((i, p.cycles, p.instructions, p.captured[0], same))
    return rows


def _task(indices: list[int]) -> tuple:
    """_run_chunk's rows, or the error it raised as (class name, message): an error crosses
    from a worker process as text (McusimError subclasses take keyword facts pickle drops)."""
    try:
        return "ok", _run_chunk(indices)
    except McusimError as err:
        return "error", type(err).__name__, str(err)


def _rows(result: tuple) -> list[tuple]:
    if result[0] == "ok":
        return result[1]
    from . import errors
    cls = getattr(errors, result[1], McusimError)
    raise (cls if isinstance(cls, type) and issubclass(cls, McusimError) else McusimError)(result[2])


def _chunks(n: int, size: int = CHUNK) -> list[list[int]]:
    return [list(range(i, min(i + size, n))) for i in range(0, n, size)]


def _run_all(n: int, workers: int, progress) -> list[tuple]:
    rows: list[tuple] = []
    chunks = _chunks(n)
    if workers <= 1 or n <= CHUNK:
        for c in chunks:
            rows += _rows(_task(c))
            progress(len(rows), n)
        return rows
    # fork: the children inherit the built firmware and the samples; each makes its own engine.
    # No engine of an earlier call may live on in them (unicorn is not written to be forked).
    gc.collect()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for part in pool.imap_unordered(_task, chunks):
            rows += _rows(part)
            progress(len(rows), n)
    return rows


def validate(model, board: str = "stm32h743", *, data, labels=None, float_model=None,
             workers: int = 1, ram=None, stack=DEFAULT_STACK, toolchain: str = "zig",
             memory: str | None = None, max_instructions=None, max_seconds=None, max_output=None,
             progress=None, kernels: str | None = None) -> Validation:
    """Run every sample of ``data`` on one build of ``model`` for ``board`` (module docstring).
    ``progress(done, total)`` is told after every few samples."""
    t0 = time.perf_counter()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"--workers {workers!r}: give a whole number of processes, 1 or more")
    try:
        return _validate(model, board, data=data, labels=labels, float_model=float_model,
                         workers=workers, ram=ram, stack=stack, toolchain=toolchain, memory=memory,
                         max_instructions=max_instructions, max_seconds=max_seconds,
                         max_output=max_output, progress=progress, t0=t0, kernels=kernels)
    except ModelError as err:
        # lowering and the reference raise far from the file: name it, as analyze does
        raise err.with_path(model.source if isinstance(model, Graph) else model) from None


def _validate(model, board, *, data, labels, float_model, workers, ram, stack, toolchain, memory,
              max_instructions, max_seconds, max_output, progress, t0, kernels=None) -> Validation:
    graph = _load(model)
    check_geometry(graph)               # analyze's order: shapes, then "no NumPy reference"
    for op in graph.ops:
        adapter_for(op, graph)
    check_host(graph, None)
    samples = load_samples(graph, data)
    y = load_labels(labels, len(samples)) if labels is not None else None
    fw, lm = build_once(graph, board, ram=ram, stack=stack, toolchain=toolchain, memory=memory,
                        max_instructions=max_instructions, max_seconds=max_seconds, max_output=max_output,
                        kernels=kernels)
    out_t = graph.tensor(lm.output)
    _JOB.clear()
    _JOB.update(fw=fw, lm=lm, graph=graph, samples=samples, out_bytes=out_t.nbytes,
                in_bytes=graph.tensor(lm.input).nbytes)
    workers = min(workers, max(1, len(samples) // CHUNK))
    try:
        rows = sorted(_run_all(len(samples), workers, progress or (lambda done, total: None)))
    finally:
        _JOB.clear()
    outputs = np.stack([io.decode_output(r[3], out_t.shape, out_t.dtype) for r in rows])
    v = Validation(model=graph.name, board=fw.board.name, core=fw.board.core.name,
                   toolchain=fw.machine.toolchain.name, toolchain_version=fw.toolchain, clock_hz=fw.board.clock_hz, memory=fw.machine.memory,
                   samples=len(rows), cycles=[r[1] for r in rows], instructions=[r[2] for r in rows],
                   mismatches=[r[0] for r in rows if not r[4]], outputs=outputs, workers=workers)
    if y is not None:
        v.accuracy = top1(outputs, y)
    if float_model is not None:
        f = float_outputs(float_model, data, len(rows))
        v.metrics = error_metrics(f, dequantize(graph, outputs).reshape(len(rows), -1))
        if y is not None:
            v.float_accuracy = top1(f, y)
    v.wall_seconds = time.perf_counter() - t0
    return v


def _load(model) -> Graph:
    if isinstance(model, Graph):
        return model
    graph = load_model(model)
    graph.name = Path(model).stem if graph.name in ("", "model") else graph.name
    return graph


__all__ = ["Validation", "error_metrics", "load_samples", "validate"]
