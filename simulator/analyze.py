"""The whole pipeline on one model: .tflite -> reference -> C -> firmware -> run -> compare.

    a = analyze("models/ds_cnn.tflite", "stm32h743")          # returns an Analysis
    a.fits, a.bit_exact, a.instructions, a.layers[0].cycles
    a.to_dict()                                                # the "mcusim.analysis/1" JSON
    a.raise_for_status()                                       # RamOverflow / BitMismatch

Nothing is printed here; :mod:`simulator.report.analysis` renders an Analysis as text.
Bit-exactness is checked layer by layer: at every ``ck_region_end("L<idx>")`` the host reads
the layer's output from ``g_arena + offset`` and compares it with the NumPy reference, as the
tensor's own words: int8 bytes, float32 bit patterns (``view(uint32)``: -0.0 differs from
+0.0 and a NaN must be the same NaN), packed binary int32 words.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .boards import get_board
from .budget import HostBudget, check_geometry, check_host
from .errors import BitMismatch, ConfigError, FlashOverflow, ModelError, RamOverflow
from .frontend import load_model
from .ir import Graph
from .lower import LoweredModel, lower_graph, write_sources
from .lower.firmware_io import read_failure, read_output
from .lower.planner import TensorSlot, align_up
from .machine import Machine
from .machine.firmware import DEFAULT_STACK
from .npy import exact_float32, load_npy
from .reference.graph import adapter_for, run_graph
from .reference.quantize_ops import quantize_f32_s8
from .schedule import ScheduleChoice, measure_baseline, pick_schedule
from .sizes import format_size

SCHEMA = "mcusim.analysis/1"
# .data/.bss of the runtime and main.c besides the arena, scratch and output buffer, plus the
# linker's alignment padding (measured: 4 B .data + 12 B padding + g_failed_layer; rounded up).
RUNTIME_STATIC_ESTIMATE = 64


@dataclass
class LayerResult:
    index: int
    name: str
    op: str
    kernel: str
    output_shape: list[int]
    macc: int
    scratch_bytes: int
    instructions: int = 0
    cycles: int | None = None
    share: float = 0.0
    bit_exact: bool = False
    cycles_warm: int | None = None       # the second inference (caches warm)
    memory: dict = field(default_factory=dict)   # cold pass: I/D misses, stall cycles (memory model)


@dataclass
class Analysis:
    model: str
    board: str
    core: str
    toolchain: str
    clock_hz: int
    params: int
    macc: int
    flash_weights: int
    flash_code: int
    arena: int
    scratch: int
    stack_peak: int
    stack_size: int
    ram_static: int
    ram_total: int
    ram_limit: int
    fits: bool
    instructions: int
    cycles: int | None
    bit_exact: bool
    layers: list[LayerResult]
    tensors: list[TensorSlot]             # the planner's own placements (lower/planner.py)
    ran: bool = False
    overflow: str | None = None          # why it does not fit (RamOverflow message)
    mismatch: str | None = None          # the first bit mismatch (BitMismatch message)
    output: np.ndarray | None = None     # the simulated output
    reference_output: np.ndarray | None = None
    wall_seconds: float = 0.0
    toolchain_version: str = ""
    cycles_warm: int | None = None       # the second inference: steady state, caches warm
    memory: dict = field(default_factory=dict)   # memory model, caches, cold/warm counters
    placement: dict = field(default_factory=dict)   # what lives in which board region
    build: dict = field(default_factory=dict)   # compiler, C library, exact commands (RunResult.build)
    schedule: ScheduleChoice | None = None   # how it was lowered to fit (simulator/schedule.py)

    @property
    def schedule_summary(self) -> str | None:
        if self.schedule is None:
            return None
        return self.schedule.summary(self.cycles, self.flash_total if self.ran else None)

    @property
    def flash_total(self) -> int:
        return self.flash_weights + self.flash_code

    @property
    def latency_ms(self) -> float | None:
        return None if self.cycles is None else self.cycles * 1e3 / self.clock_hz

    @property
    def latency_warm_ms(self) -> float | None:
        return None if self.cycles_warm is None else self.cycles_warm * 1e3 / self.clock_hz

    @property
    def exit_code(self) -> int:
        if not self.fits:
            return RamOverflow.exit_code
        return 0 if self.bit_exact else BitMismatch.exit_code

    def raise_for_status(self) -> None:
        if not self.fits:
            raise RamOverflow(self.overflow or "model does not fit", limit=self.ram_limit,
                              needed=self.ram_total)
        if not self.bit_exact:
            raise BitMismatch(self.mismatch or "simulated output differs from the reference")

    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA, "model": self.model, "board": self.board, "core": self.core,
            "toolchain": self.toolchain, "clock_hz": self.clock_hz, "params": self.params,
            "macc": self.macc,
            "flash_bytes": {"weights": self.flash_weights, "code": self.flash_code,
                            "total": self.flash_total},
            "ram_bytes": {"arena": self.arena, "scratch": self.scratch,
                          "stack_peak": self.stack_peak, "static": self.ram_static,
                          "total": self.ram_total},
            "ram_limit_bytes": self.ram_limit, "fits": self.fits,
            "instructions": self.instructions, "cycles": self.cycles,
            "latency_ms": self.latency_ms, "bit_exact": self.bit_exact, "build": self.build,
            "cycles_warm": self.cycles_warm, "latency_warm_ms": self.latency_warm_ms,
            "memory": self.memory, "placement": self.placement,
            "layers": [{"index": l.index, "name": l.name, "op": l.op, "kernel": l.kernel,
                        "output_shape": list(l.output_shape), "macc": l.macc,
                        "instructions": l.instructions, "cycles": l.cycles, "share": l.share,
                        "bit_exact": l.bit_exact, "cycles_warm": l.cycles_warm, "memory": l.memory}
                       for l in self.layers],
            "memory_plan": {"arena_bytes": self.arena,
                            "tensors": [{"index": t.index, "name": t.name, "offset": t.offset,
                                         "size": t.size, "first_op": t.first_op,
                                         "last_op": t.last_op,
                                         "region": self.placement.get("arena")} for t in self.tensors]},
            "schedule": None if self.schedule is None else
            {**self.schedule.to_dict(), "summary": self.schedule_summary},
        }


# ---- inputs -------------------------------------------------------------------------------------

FLOAT_INPUT_RANGE = (-1.0, 1.0)     # default random input of a float model: uniform, seed 0


def prepare_input(graph: Graph, x=None) -> np.ndarray:
    """The input to run, in the model input's dtype. An int8 input takes ``x`` (array or .npy
    path) as int8, or float32 quantized with the input tensor's scale and zero point; a
    float32 input takes float32 only. A model imported from ONNX takes ``x`` in the ONNX
    model's layout (NCHW for images) and it is transposed to the IR's NHWC. ``x=None``: deterministic random values (seed 0), int8
    over the whole range, float32 uniform in FLOAT_INPUT_RANGE (normalised data's scale)."""
    if not graph.inputs:
        raise ModelError("the model has no input tensor", path=graph.source)
    t = graph.tensor(graph.inputs[0])
    rng = np.random.default_rng(0)
    if x is None and t.dtype == "float32":
        return rng.uniform(*FLOAT_INPUT_RANGE, t.shape).astype(np.float32)
    if x is None:
        return rng.integers(-128, 128, t.shape).astype(np.int8)
    where = ""
    if isinstance(x, (str, Path)):
        where = f"{x}: "
        x = load_npy(x, max_bytes=8 * t.num_elements)       # no wider dtype than 8 bytes
    x = exact_float32(x, where.rstrip(": ") or "input")     # NumPy's default float64, if lossless
    if x.dtype.kind == "f" and not np.all(np.isfinite(x)):
        raise ConfigError(f"{where}input holds {np.count_nonzero(~np.isfinite(x))} non-finite "
                          "value(s) (inf or NaN): pass finite numbers")
    if "onnx" in graph.metadata:
        # An ONNX model takes its input in its own layout (NCHW), as calibration data does.
        from .frontend.onnx_reader import onnx_inputs_to_ir
        x = onnx_inputs_to_ir(graph, [x], error=ConfigError, what=f"{where}input")[0]
    if tuple(x.shape) != tuple(t.shape):
        raise ConfigError(f"{where}input shape {list(x.shape)} does not match the model input "
                          f"{t.name!r} {list(t.shape)}")
    if t.dtype == "float32":
        if x.dtype != np.float32:
            raise ConfigError(f"{where}input dtype {x.dtype}: the model input {t.name!r} is "
                              f"float32 (pass float32 values)")
        return x
    if x.dtype == np.int8:
        return x
    if x.dtype == np.float32:
        q = t.quant
        return quantize_f32_s8(x, scale=float(np.float32(q.scalar_scale)),
                               zero_point=q.scalar_zero_point).reshape(t.shape)
    raise ConfigError(f"{where}input dtype {x.dtype} is not int8 or float32 (the model input is "
                      f"int8, scale {t.quant.scalar_scale:.6g}, zero point "
                      f"{t.quant.scalar_zero_point})")


# ---- RAM ---------------------------------------------------------------------------------------

def ram_need(lm: LoweredModel, stack_size: int, placement: dict | None = None) -> dict:
    """What the firmware will hold in its data RAM region, before building it. ``placement``
    (``Machine.placement``): an arena placed in another region is not counted here, weights
    placed in the data RAM are."""
    out_bytes = lm.graph.tensor(lm.output).nbytes
    need = {"arena": lm.arena_bytes, "scratch": align_up(max(lm.scratch_bytes, 4)),
            "stack": stack_size, "static": out_bytes + RUNTIME_STATIC_ESTIMATE}
    if placement and placement["arena"] != placement["stack"]:
        need["arena"] = 0
    if placement and placement["weights"] == placement["stack"]:
        need["weights"] = lm.weights_bytes
    return need


def check_placed_regions(lm: LoweredModel, board, placement: dict) -> None:
    """Weights and arena placed outside the data RAM must fit their regions (a located RamOverflow)."""
    sizes: dict[str, dict] = {}
    if placement["arena"] != placement["stack"]:
        sizes.setdefault(placement["arena"], {})["arena"] = lm.arena_bytes
    if placement["weights"] not in (placement["stack"], placement["code"]):
        sizes.setdefault(placement["weights"], {})["weights"] = lm.weights_bytes
    for name, parts in sizes.items():
        region = board.region(name)
        total = sum(parts.values())
        if total > region.size:
            what = " + ".join(f"{k} {v} B" for k, v in parts.items())
            raise RamOverflow(f"model {lm.graph.name} does not fit region '{name}' of {board.name}: "
                              f"{what} = {total} B, but the region has {region.size} B "
                              f"({format_size(region.size)}): over by {total - region.size} B",
                              limit=region.size, needed=total, sections=parts)


def peak_explanation(lm: LoweredModel) -> str:
    """Which layer's live tensors set the arena's peak, with names and sizes."""
    mem = lm.memory
    op_i = mem.peak_op()
    op = lm.graph.ops[op_i] if lm.graph.ops else None
    live = sorted(mem.live_tensors(op_i), key=lambda s: -s.size)
    names = ", ".join(f"{s.name} ({s.size} B)" for s in live)
    what = f"op #{op_i} ({op.opcode})" if op is not None else "the input"
    return (f"the arena ({mem.arena_bytes} B) peaks at {what}, where these tensors are live: "
            f"{names} = {sum(s.size for s in live)} B")


def overflow_error(lm: LoweredModel, need: dict, limit: int, board: str) -> RamOverflow:
    total = sum(need.values())
    parts = " + ".join(f"{k} {v} B" for k, v in need.items())
    msg = (f"model {lm.graph.name} does not fit the RAM of {board}: it needs {total} B "
           f"({format_size(total)}) = {parts}, but the limit is {limit} B ({format_size(limit)}): "
           f"over by {total - limit} B; {peak_explanation(lm)}")
    return RamOverflow(msg, limit=limit, needed=total, sections=dict(need))


def check_flash(lm: LoweredModel, board) -> None:
    """FlashOverflow if the model's constants and input alone exceed the board's flash (the
    linker checks the exact total, code included, after the build)."""
    flash = board.flash
    need = lm.weights_bytes + lm.graph.tensor(lm.input).nbytes
    if need > flash.size:
        raise FlashOverflow(
            f"model {lm.graph.name} does not fit the flash of {board.name}: its constants and "
            f"input need {need} B ({format_size(need)}) before any code, region '{flash.name}' "
            f"has {flash.size} B ({format_size(flash.size)}): over by {need - flash.size} B")


def check_ram(lm: LoweredModel, limit: int, stack_size: int, board: str, placement: dict | None = None) -> dict:
    """Raise RamOverflow if arena + scratch + stack + static exceed ``limit``."""
    need = ram_need(lm, stack_size, placement)
    if sum(need.values()) > limit:
        raise overflow_error(lm, need, limit, board)
    return need


# ---- bit comparison ----------------------------------------------------------------------------

def nhwc_index(shape, flat: int) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()


NP_WORDS = {"int8": np.int8, "int32": np.int32, "float32": np.float32}


def as_words(values, dtype: str) -> np.ndarray:
    """A tensor's values as the integers that must match bit for bit: int8 as is, float32 as
    its uint32 bit patterns, packed binary as int32 words."""
    a = np.ascontiguousarray(np.asarray(values, dtype=NP_WORDS[dtype])).reshape(-1)
    return a.view(np.uint32) if dtype == "float32" else a


def _show(v, dtype: str) -> str:
    if dtype == "float32":
        return f"{np.uint32(v).view(np.float32)!r} (0x{int(v):08x})"
    if dtype == "int32":
        return f"0x{int(v) & 0xFFFFFFFF:08x}"
    return str(int(v))


def compare_layer(layer, got: np.ndarray, want: np.ndarray, dtype: str = "int8") -> str | None:
    """None if equal, else a BitMismatch message naming layer, op, index and both values.
    ``got`` and ``want`` are compared as :func:`as_words` of ``dtype``."""
    want = as_words(want, dtype)
    got = as_words(got, dtype)
    if got.shape == want.shape and np.array_equal(got, want):
        return None
    if got.shape != want.shape:
        return (f"layer {layer.index} ({layer.opcode} {layer.name!r}): output has {got.size} "
                f"elements, the reference {want.size}")
    flat = int(np.flatnonzero(got != want)[0])
    coords = nhwc_index(layer.output_shape, flat)
    n_bad = int(np.count_nonzero(got != want))
    return (f"layer {layer.index} ({layer.opcode} {layer.name!r}, kernel {layer.kernel}): first "
            f"mismatch at flat index {flat}, NHWC {list(coords)}: simulated "
            f"{_show(got[flat], dtype)}, reference {_show(want[flat], dtype)} ({n_bad} of "
            f"{want.size} elements differ)")


# ---- the pipeline -------------------------------------------------------------------------------

def _load(model) -> Graph:
    if isinstance(model, Graph):
        return model
    path = Path(model)
    if not path.is_file():
        raise ConfigError(f"model file not found: {path}")
    return load_model(path)             # .onnx (float32, NHWC after import) or .tflite


def _base(lm: LoweredModel, machine: Machine, toolchain: str, need: dict) -> Analysis:
    g, board = lm.graph, machine.board
    layers = [LayerResult(l.index, l.name, l.opcode, l.kernel, list(l.output_shape), l.macc,
                          l.scratch_bytes) for l in lm.layers]
    tensors = list(lm.memory.slots.values())
    return Analysis(model=g.name, board=board.name, core=board.core.name, toolchain=toolchain,
                    clock_hz=board.clock_hz, params=lm.params, macc=lm.macc,
                    flash_weights=lm.weights_bytes, flash_code=0, arena=lm.arena_bytes,
                    scratch=need["scratch"], stack_peak=0, stack_size=need["stack"],
                    ram_static=need["static"], ram_total=sum(need.values()),
                    ram_limit=machine.ram_limit, fits=True, instructions=0, cycles=None,
                    bit_exact=False, layers=layers, tensors=tensors)


def analyze(model, board: str = "stm32h743", *, ram=None, toolchain: str = "zig",
            input=None, stack=DEFAULT_STACK, max_instructions: int | None = None,
            work_dir=None, memory: str | None = None, progress=None, caches: bool | None = None,
            weights: str | None = None, arena: str | None = None,
            host_budget: HostBudget | None = None, max_seconds: float | None = None,
            max_output: int | None = None, schedule: str = "auto") -> Analysis:
    """Lower, build, run and check ``model`` (a .tflite path or a Graph) on ``board``.

    Raises McusimError subclasses for a bad model/input/board (ModelError, ConfigError ...);
    a RAM overflow or a bit mismatch is returned in the Analysis (``fits``/``bit_exact``,
    ``overflow``/``mismatch``), see ``raise_for_status``. ``memory`` is the memory model
    ("realistic", the default, "ideal" or "uncached"; docs/cycle-model.md); ``caches`` its
    deprecated spelling (True = ideal, False = uncached). ``weights`` and ``arena`` name the board
    regions to place the constant weights and the activation arena in (default: the code
    region and the data RAM). The model runs twice: ``cycles`` is the first (cold) inference,
    ``cycles_warm`` the second. ``progress(text)``, if given, is told each stage
    and each layer as the emulated run passes it (the CLI shows it on a terminal).

    Resources are checked before the NumPy reference runs: the model's geometry (ModelError),
    the board's RAM (returned as ``fits=False``) and flash (FlashOverflow), and the host
    (HostBudgetExceeded, ``host_budget``: default :meth:`HostBudget.from_env`).
    ``max_seconds`` and ``max_output`` bound the emulated run's wall-clock time and output
    (WallClockExceeded, OutputLimitExceeded; defaults in simulator/limits.py).
    ``schedule``: "plain" (one tensor each), "inplace", "patch", or "auto": the cheapest whose
    RAM need fits (simulator/schedule.py); its choice and cost are ``Analysis.schedule``."""
    try:
        return _analyze(model, board, ram=ram, toolchain=toolchain, input=input, stack=stack,
                        max_instructions=max_instructions, work_dir=work_dir, memory=memory, caches=caches,
                        weights=weights, arena=arena,
                        progress=progress or (lambda text: None), host_budget=host_budget,
                        max_seconds=max_seconds, max_output=max_output, schedule=schedule)
    except ModelError as err:
        # Lowering and the reference raise far from the file: name it in every diagnosis.
        source = model.source if isinstance(model, Graph) else model
        raise err.with_path(source) from None


def _analyze(model, board, *, ram, toolchain, input, stack, max_instructions, work_dir,
             memory, caches, weights, arena, progress, host_budget, max_seconds, max_output,
             schedule="auto") -> Analysis:
    t0 = time.perf_counter()
    progress("loading the model")
    graph = _load(model)
    if isinstance(model, (str, Path)):
        graph.name = Path(model).stem if graph.name in ("", "model") else graph.name
    kwargs = {} if max_instructions is None else {"max_instructions": max_instructions}
    if max_seconds is not None:
        kwargs["max_seconds"] = max_seconds
    if max_output is not None:
        kwargs["max_output"] = max_output
    machine = Machine(get_board(board), ram=ram, stack=stack, toolchain=toolchain, memory=memory,
                      caches=caches, **kwargs)
    if not graph.inputs:
        raise ModelError("the model has no input tensor", path=graph.source)
    # Resources first (simulator/budget.py): the declared shapes are checked against the kernels'
    # geometry, the board and the host before the reference allocates or computes anything.
    check_geometry(graph)
    for op in graph.ops:
        adapter_for(op, graph)          # "no NumPy reference" before "no C kernel"
    progress("lowering to C")
    placement = machine.placement({"weights": weights, "arena": arena})
    choice = pick_schedule(graph, machine.board, machine.ram_limit,
                           lambda l: ram_need(l, machine.stack_size, placement), schedule)
    lm = choice.lowered
    need = ram_need(lm, machine.stack_size, placement)
    result = _base(lm, machine, machine.toolchain.name, need)
    result.schedule = choice
    result.placement = placement
    result.memory = {"model": machine.memory}
    try:
        check_ram(lm, machine.ram_limit, machine.stack_size, machine.board.name, placement)
        check_placed_regions(lm, machine.board, placement)
    except RamOverflow as err:
        result.fits = False
        result.overflow = f"{err}\n{choice.summary()}" if len(choice.candidates) > 1 else str(err)
        result.wall_seconds = time.perf_counter() - t0
        return result
    check_flash(lm, machine.board)
    check_host(graph, host_budget)
    x = prepare_input(graph, input)
    progress("running the NumPy reference")
    reference = run_graph(graph, [x])
    result.reference_output = reference[lm.output]
    try:
        _build_and_run(lm, machine, x, reference, result, work_dir, progress,
                       {"weights": weights, "arena": arena})
    except RamOverflow as err:
        result.fits = False
        result.overflow = (f"{err}\n{choice.summary()}" if len(choice.candidates) > 1
                           else str(err))
    if result.ran and choice.chosen != "plain":
        progress("measuring the plain schedule's cost")
        measure_baseline(choice, lambda: analyze(
            graph, board, toolchain=toolchain, input=x, stack=stack, memory=memory, caches=caches,
            weights=weights, arena=arena, max_instructions=max_instructions, host_budget=host_budget,
            max_seconds=max_seconds, max_output=max_output, schedule="plain"))
    result.wall_seconds = time.perf_counter() - t0
    return result


def model_firmware(model, board: str = "stm32h743", *, ram=None, toolchain: str = "zig", input=None,
                   stack=DEFAULT_STACK, work_dir=None, memory: str | None = None, caches: bool | None = None):
    """The firmware ``analyze`` would run for ``model`` on ``board``, built but not run
    (benchmarks/sim_speed.py times it). Raises RamOverflow when it does not fit."""
    graph = _load(model)
    machine = Machine(get_board(board), ram=ram, stack=stack, toolchain=toolchain, memory=memory,
                      caches=caches)
    lm = lower_graph(graph, machine.board)
    check_ram(lm, machine.ram_limit, machine.stack_size, machine.board.name)
    return _build(lm, machine, prepare_input(graph, input), work_dir, lambda text: None)


def _build(lm, machine, x, work_dir, progress, placement=None):
    files = write_sources(lm, work_dir, x)
    progress(f"compiling with {machine.toolchain.name}")
    try:
        return machine.build(files + lm.sources, include_dirs=[files[0].parent], keep_all=False,
                             placement=placement)
    except RamOverflow as err:        # the linker's own check: say which layer sets the peak
        raise RamOverflow(f"{err}\n{peak_explanation(lm)}", limit=err.limit,
                          needed=err.needed, sections=err.sections) from None


def _build_and_run(lm, machine, x, reference, result: Analysis, work_dir, progress, placement=None) -> None:
    fw = _build(lm, machine, x, work_dir, progress, placement)
    arena = fw.symbol_address("g_arena")
    slots = lm.memory.slots
    captured: dict[int, bytes] = {}
    by_region = {l.region: l for l in lm.layers}

    def on_region(kind, name, emu):
        layer = by_region.get(name)
        if kind == "end" and layer is not None:
            slot = slots[layer.output]
            first = layer.index not in captured
            # the warm pass overwrites with its own output: both must match the reference
            captured[layer.index] = emu.read_memory(arena + slot.offset, slot.size)
            if first:
                progress(f"emulating {machine.board.name}: layer {len(captured)}/{len(lm.layers)}")

    progress(f"emulating {machine.board.name}")
    run = fw.run(region_listener=on_region)
    _fill_run(lm, fw, run, captured, reference, result)


def _fill_run(lm, fw, run, captured, reference, result: Analysis) -> None:
    lay = fw.layout
    result.ran = True
    result.toolchain_version = run.toolchain          # name and version, for the text report
    result.build = run.build
    cold = run.regions.get("model", {})
    warm = run.regions.get("model_warm", {})
    result.instructions = int(cold.get("instructions", run.instructions))
    result.cycles = cold.get("cycles") if cold else run.cycles
    result.cycles_warm = warm.get("cycles")
    result.memory = dict(run.memory)
    result.memory.pop("counters", None)
    flash = [r.name for r in fw.board.regions if r.kind == "flash"]
    if "memory" in cold:
        result.memory["cold"] = memory_summary(cold["memory"], flash)
    if "memory" in warm:
        result.memory["warm"] = memory_summary(warm["memory"], flash)
    input_bytes = lm.graph.tensor(lm.input).nbytes
    result.flash_code = max(lay.flash_used - result.flash_weights - input_bytes, 0)
    result.stack_peak = run.stack_peak
    in_ram = result.placement.get("weights") == result.placement.get("stack")   # weights copied to RAM
    arena_here = result.placement.get("arena", lay.ram.name) == lay.ram.name
    result.ram_static = max(lay.ram_static - result.arena * arena_here - result.scratch
                            - result.flash_weights * in_ram, 0)
    result.ram_total = lay.ram_used
    mismatch = None
    if run.exit_code != 0:
        _raise_rejected_layer(lm, run.stdout)
        mismatch = f"firmware exited with status {run.exit_code}: {run.stdout.strip()}"
    in_stage = _stage_inner_layers(lm)
    for lr, layer in zip(result.layers, lm.layers):
        if layer.index in in_stage:
            continue                  # checked through the stage's output (lower/patches.py)
        region = run.regions.get(layer.region, {})
        first, last = region.get("first", {}), region.get("last", {})
        lr.instructions = int(first.get("instructions", 0))
        lr.cycles = first.get("cycles")
        lr.cycles_warm = last.get("cycles") if region.get("count", 0) > 1 else None
        if "memory" in first:
            lr.memory = memory_summary(first["memory"], flash)
        if layer.index in captured:
            dtype = lm.graph.tensor(layer.output).dtype
            want = reference[layer.output]
            got = np.frombuffer(captured[layer.index], dtype=NP_WORDS[dtype])
            problem = compare_layer(layer, got, want, dtype)
            lr.bit_exact = problem is None
            mismatch = mismatch or problem
        elif mismatch is None:
            mismatch = f"layer {layer.index} ({layer.opcode}) never finished"
    for lr in result.layers:
        if lr.index in in_stage:
            lr.bit_exact = result.layers[lm.stage.last].bit_exact
    total_key = "cycles" if result.cycles is not None else "instructions"
    total = sum((getattr(l, total_key) or 0) for l in result.layers) or 1
    for l in result.layers:
        l.share = round(100.0 * (getattr(l, total_key) or 0) / total, 2)
    out_t = lm.graph.tensor(lm.output)
    result.output = read_output(run.stdout, out_t.shape, out_t.dtype)
    if mismatch is None and (result.output is None or not np.array_equal(
            as_words(result.output, out_t.dtype), as_words(reference[lm.output], out_t.dtype))):
        mismatch = ("the output main() printed (copied out by model_invoke) differs from the "
                    "reference")
    result.mismatch = mismatch
    result.bit_exact = mismatch is None


# main.c (lower/firmware_io.py) reports a kernel's non-OK status as this line; CK_ARG_ERROR (-1,
# cross_kernels/include/ck_types.h) means a parameter is outside the kernel's documented range:
# the model's numbers, not a simulation result, so it is a ModelError rather than a mismatch.
CK_ARG_ERROR = -1


def _raise_rejected_layer(lm, stdout: str) -> None:
    failed = read_failure(stdout)
    if failed is None or failed[0] != CK_ARG_ERROR:
        return
    layer = next((l for l in lm.layers if l.index == failed[1]), None)
    if layer is None:
        return
    raise ModelError(f"layer {layer.index} (output {layer.name!r}): kernel "
                     f"{layer.kernel} rejected the layer's parameters (CK_ARG_ERROR: a "
                     f"parameter is outside the range its header documents, "
                     f"cross_kernels/include/)", op_index=layer.index, opcode=layer.opcode,
                     tensor_index=layer.output)


def memory_summary(counters: dict, flash_regions) -> dict:
    """What a user reads from the memory system's counters for one pass of a region."""
    return {"icache_misses": counters["i_misses"], "dcache_misses": counters["d_misses"],
            "icache_hits": counters["i_hits"], "dcache_hits": counters["d_hits"],
            "stall_cycles": counters["i_stall"] + counters["d_stall"],
            "flash_stall_cycles": sum(counters.get(f"stall:{r}", 0) for r in flash_regions),
            "unaligned_accesses": counters["unaligned"],
            "unaligned_cycles": counters["unaligned_stall"]}


def _stage_inner_layers(lm) -> set[int]:
    """Layers run inside a patch stage before its last: no region of their own, their whole
    output never exists; the stage's last layer (region, cycles, bits) stands for them."""
    st = getattr(lm, "stage", None)
    return set() if st is None else set(st.ops) - {st.last}


__all__ = ["Analysis", "LayerResult", "analyze", "check_ram", "compare_layer",
           "prepare_input"]
