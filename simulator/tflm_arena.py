"""The tensor arena TensorFlow Lite Micro would need for a model: "does it fit" for a TFLM user.

    tflm_arena(graph, model_bytes)     # TflmArena(bytes, head, tail, source)

From the ``tflite-micro`` package where it is installed (its RecordingMicroAllocator's total,
:mod:`simulator.frontend.tflm_oracle`); otherwise from :func:`replica`, which rebuilds the two
parts of TFLM's arena (tensorflow/lite/micro/micro_allocator.h draws them: the *head*, the
non-persistent tensors planned by the GreedyMemoryPlanner, and the *tail*, persistent
allocations growing down from the end):

- head: every non-constant tensor, its size rounded up to 16 (MicroArenaBufferAlignment),
  live from the op that writes it (graph inputs: op 0) to the last op that reads it (graph
  outputs: the last op), no aliasing (TFLM's RESHAPE copies into its own tensor), placed
  largest first at the lowest offset free over its lifetime (lower/planner.py's
  GreedyPlanner, TFLM's order); equal sizes: the later tensor first (matches the package
  on all seven bundled models; first-use order would give VWW 64,512 B instead of 73,728 B).
- tail: what the allocator records per category: one TfLiteEvalTensor per tensor, one
  NodeAndRegistration per op, a persistent TfLiteTensor and its quantization (the
  TfLiteAffineQuantization struct and the zero-point array) per graph input and output, and
  the per-channel output multipliers and shifts (2 x int32 per output channel) of every
  CONV_2D, DEPTHWISE_CONV_2D and per-channel FULLY_CONNECTED. Not modelled: the kernels' own
  OpData structs, the parsed builtin options, and the allocator's bookkeeping (subgraph
  tables, scratch handles): the replica's head equals the package's, its tail is below it by
  1,136-3,760 B on the bundled models (about 120-220 B per op), REPLICA_SHORTFALL at most
  (tests/test_tflm_arena.py).

Struct sizes are the package's, a 64-bit host build (pointers 8 bytes): the package is the
oracle the replica is tested against. On a 32-bit Cortex-M the pointer-holding structs are
smaller (TfLiteEvalTensor 12 B instead of 24), so both figures are an upper bound there.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import resource
import subprocess
import sys
from dataclasses import dataclass

from .ir import Graph
from .lower.planner import GreedyPlanner, align_up, tensor_lifetimes

# Host (64-bit) struct sizes, as the package's RecordingMicroAllocator reports them
# (e.g. DS-CNN: "TfLiteEvalTensor data used 840 bytes ... for 35 allocations" = 24 B each).
EVAL_TENSOR = 24           # TfLiteEvalTensor: data pointer, dims pointer, type
NODE_AND_REGISTRATION = 64  # TfLiteNode (static-memory build) + registration pointer
PERSISTENT_TENSOR = 64     # TfLiteTensor (static-memory build), per graph input/output
AFFINE_QUANTIZATION = 32   # TfLiteAffineQuantization (24) + a 1-element zero-point array (8)
PER_CHANNEL_BYTES = 8      # int32 multiplier + int32 shift per output channel
PER_CHANNEL_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")
REPLICA_SHORTFALL = 4096   # bytes the replica's tail may be below the package's (docstring)


@dataclass(frozen=True)
class TflmArena:
    bytes: int
    head: int                # non-persistent: the planned tensors
    tail: int                # persistent allocations
    source: str              # "tflite-micro <version>" or "replica"

    def to_dict(self) -> dict:
        return {"bytes": self.bytes, "head": self.head, "tail": self.tail, "source": self.source}


def head_bytes(graph: Graph) -> int:
    """TFLM's planned non-persistent arena (module docstring)."""
    planner = GreedyPlanner(16)
    for t, (lo, hi) in sorted(tensor_lifetimes(graph, {}).items()):
        planner.add_buffer(graph.tensor(t).nbytes, lo, hi, graph.tensor(t).name)
    order = sorted(planner.buffers, key=lambda b: (-align_up(b.size, 16), -b.id))
    return planner.place(order)[1]


def _per_channel(graph: Graph, op) -> int:
    if op.opcode not in PER_CHANNEL_OPS or graph.tensor(op.outputs[0]).dtype != "int8":
        return 0
    weights = graph.tensor(op.inputs[1])
    scales = getattr(weights.quant, "scale", None)
    channels = graph.tensor(op.outputs[0]).shape[-1]
    if op.opcode == "FULLY_CONNECTED" and (scales is None or len(scales) <= 1):
        return 0                            # per-tensor FC keeps one multiplier in its OpData
    return PER_CHANNEL_BYTES * int(channels)


def tail_bytes(graph: Graph) -> int:
    """The persistent allocations the replica models (module docstring)."""
    io = list(graph.inputs) + list(graph.outputs)
    quantized = sum(1 for t in io if graph.tensor(t).dtype == "int8")
    return (EVAL_TENSOR * len(graph.tensors) + NODE_AND_REGISTRATION * len(graph.ops)
            + PERSISTENT_TENSOR * len(io) + AFFINE_QUANTIZATION * quantized
            + sum(_per_channel(graph, op) for op in graph.ops))


def replica(graph: Graph) -> TflmArena:
    head, tail = head_bytes(graph), tail_bytes(graph)
    return TflmArena(head + tail, head, tail, "replica")


PACKAGE_TIMEOUT = 120          # seconds for TFLM to allocate one model in its own process
PACKAGE_MEMORY = 4 << 30        # bytes of address space it may take
_measured: dict[str, TflmArena | None] = {}      # sha256 of the .tflite -> its figure, per process


def from_package(model_bytes: bytes) -> TflmArena | None:
    """The package's measurement; None when TFLM cannot allocate the model (an op it does not
    have, e.g. mcusim's binary layers) or its process fails. ImportError when the package is
    absent.

    TFLM runs in a child process (:func:`_child`), never in mcusim's: the model is untrusted
    (docs/security.md) and TFLM's C++ parser is not hardened against hostile files, so a crash,
    a hang (killed after PACKAGE_TIMEOUT) or a runaway allocation (PACKAGE_MEMORY) there costs
    the figure, not the analysis; TFLM's allocation report is read from the child's C stderr,
    which mcusim's own process never has to redirect."""
    if importlib.util.find_spec("tflite_micro") is None:
        raise ImportError("the tflite-micro package is not installed")
    key = hashlib.sha256(model_bytes).hexdigest()
    if key not in _measured:
        _measured[key] = _measure_in_child(model_bytes)
    return _measured[key]


def _measure_in_child(model_bytes: bytes) -> TflmArena | None:
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = min(x for x in (PACKAGE_MEMORY, soft, hard) if x != resource.RLIM_INFINITY)

    def limit():              # runs in the child before exec; never above what mcusim itself has
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        proc = subprocess.run([sys.executable, "-m", "simulator.tflm_arena"], input=model_bytes,
                              capture_output=True, timeout=PACKAGE_TIMEOUT, preexec_fn=limit)
    except (OSError, subprocess.SubprocessError):        # incl. TimeoutExpired: the child is killed
        return None
    if proc.returncode != 0:
        return None
    try:
        found = json.loads(proc.stdout.decode("ascii").strip().splitlines()[-1])
    except (UnicodeDecodeError, ValueError, IndexError):
        return None
    if not isinstance(found, dict) or not all(isinstance(found.get(k), int) for k in ("total", "head", "tail")):
        return None
    return TflmArena(found["total"], found["head"], found["tail"], f"tflite-micro {found.get('version', '?')}")


def _child() -> int:
    """``python -m simulator.tflm_arena`` < model.tflite: TFLM's allocation report as one JSON
    line on stdout (exit 0), or exit 3 when TFLM cannot allocate the model."""
    from importlib.metadata import version

    from .frontend.tflm_oracle import tflm_allocations
    data = sys.stdin.buffer.read()
    try:
        report = tflm_allocations(data)
    except Exception:             # noqa: BLE001 - TFLM's Python wrapper raises RuntimeError for a
        return 3                  # missing kernel; anything it raises means "no TFLM figure"
    print(json.dumps({**report, "version": version("tflite-micro")}))
    return 0


def tflm_arena(graph: Graph, model_bytes: bytes | None = None) -> TflmArena | None:
    """The package's figure for ``model_bytes`` (a .tflite) where the package is installed,
    else the replica; None when the package cannot run the model (TFLM has no kernel for one
    of its ops), or for a graph without ops."""
    if model_bytes is not None:
        try:
            return from_package(model_bytes)
        except ImportError:
            pass
    return replica(graph) if graph.ops else None


if __name__ == "__main__":
    sys.exit(_child())
