"""The whole pipeline on one model: .tflite -> reference -> C -> firmware -> run -> compare.

    a = analyze("models/ds_cnn.tflite", "stm32h743")          # returns an Analysis
    a.fits, a.bit_exact, a.instructions, a.layers[0].cycles
    a.to_dict()                                                # the "mcusim.analysis/2" JSON
    a.raise_for_status()                                       # RamOverflow / BitMismatch

Nothing is printed here; the Analysis type and its JSON live in :mod:`simulator.report.result`,
and :mod:`simulator.report` renders it (text, Markdown, HTML, charts).
Bit-exactness is checked layer by layer: at every ``ck_region_end("L<idx>")`` the host reads
the layer's output from ``g_arena + offset`` and compares it with the NumPy reference, as the
tensor's own words: int8 bytes, float32 bit patterns (``view(uint32)``: -0.0 differs from
+0.0 and a NaN must be the same NaN), packed binary int32 words.
"""
from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from .boards import get_board
from .budget import HostBudget, check_geometry, check_host
from .errors import ConfigError, FlashOverflow, ModelError, RamOverflow
from .frontend import load_model
from .frontend.quant_schemes import check_quant_schemes
from .frontend.multi_output import expand_multi_output
from .ir import Graph
from .lower import LoweredModel, lower_graph, write_sources
from .lower.libraries import load_library
from .lower.libraries.backend import LibraryBackend
from .lower.firmware_io import read_failure, read_output
from .lower.planner import align_up
from .machine import Machine
from .machine.firmware import DEFAULT_STACK
from .npy import exact_float32, load_npy
from .reference.graph import adapter_for, run_graph
from .reference.quantize_ops import quantize_f32_s8
from .report.context import make_context
from .report.result import Analysis, LayerResult, TensorInfo
from .report.schema import SCHEMA  # noqa: F401  (the JSON's version, re-exported)
from .schedule import measure_baseline, pick_schedule
from .sizes import format_size

# .data/.bss of the runtime and main.c besides the arena, scratch and output buffer, plus the
# linker's alignment padding (measured: 4 B .data + 12 B padding + g_failed_layer; rounded up).
RUNTIME_STATIC_ESTIMATE = 64


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
        check_quant_schemes(model)      # load_tflite checks files; a Graph built in Python too
        return expand_multi_output(model)   # as load_tflite does: one output per op
    path = Path(model)
    if not path.is_file():
        raise ConfigError(f"model file not found: {path}")
    return load_model(path)             # .onnx (float32, NHWC after import) or .tflite


def _tensor_info(graph: Graph, index: int) -> TensorInfo:
    t = graph.tensor(index)
    q = t.quant if t.dtype == "int8" else None
    return TensorInfo(index, t.name, [int(d) for d in t.shape], t.dtype,
                      None if q is None else float(q.scalar_scale),
                      None if q is None else int(q.scalar_zero_point))


def layer_weight_bytes(lm: LoweredModel) -> dict[int, int]:
    """Flash data per layer: the model's constant tensors it reads (counted at their first user),
    its own arrays (requantization multipliers, shifts) and its params struct. With the pointer
    tables of ``lm.decls`` they add up to ``lm.weights_bytes``."""
    emitted = {c.name: c.nbytes for c in lm.consts}
    seen: set[str] = set()
    out = {}
    for layer in lm.layers:
        names = [f"T{t}" for t in lm.graph.ops[layer.index].inputs if t >= 0]
        own = [n for n in names if n in emitted and n not in seen]
        seen.update(own)
        out[layer.index] = (sum(emitted[n] for n in own) + sum(c.nbytes for c in layer.call.consts)
                            + layer.call.struct_bytes)
    return out


def _layer_results(lm: LoweredModel) -> list[LayerResult]:
    weights = layer_weight_bytes(lm)
    return [LayerResult(l.index, l.name, l.opcode, l.kernel, list(l.output_shape), l.macc,
                        l.scratch_bytes, weights[l.index]) for l in lm.layers]


def _base(lm: LoweredModel, machine: Machine, toolchain: str, need: dict, placement: dict | None = None,
          schedule=None) -> Analysis:
    """What is known before the firmware is built: the lowering's facts and the RAM estimate
    (``need``, :func:`ram_need`); what a run measures is None here (not measured) and filled in
    by :func:`_with_run`, which returns a new Analysis."""
    g, board = lm.graph, machine.board
    return Analysis(model=g.name, board=board.name, core=board.core.name, toolchain=toolchain,
                    clock_hz=board.clock_hz, params=lm.params, macc=lm.macc,
                    flash_weights=lm.weights_bytes, arena=lm.arena_bytes,
                    scratch=need["scratch"], stack_size=need["stack"],
                    ram_static=need["static"], ram_weights=need.get("weights", 0), ram_total=sum(need.values()),
                    ram_limit=machine.ram_limit, fits=True,
                    layers=_layer_results(lm), tensors=list(lm.memory.slots.values()),
                    inputs=[_tensor_info(g, i) for i in g.inputs], outputs=[_tensor_info(g, i) for i in g.outputs],
                    toolchain_version=machine.toolchain.ident,
                    context=make_context(machine.toolchain.ident, None, machine.memory, lm.library),
                    memory={"model": machine.memory}, placement=dict(placement or {}), schedule=schedule)


def analyze(model, board: str = "stm32h743", *, ram=None, toolchain: str = "zig",
            input=None, stack=DEFAULT_STACK, max_instructions: int | None = None,
            work_dir=None, memory: str | None = None, progress=None, caches: bool | None = None,
            weights: str | None = None, arena: str | None = None,
            host_budget: HostBudget | None = None, max_seconds: float | None = None,
            max_output: int | None = None, schedule: str = "auto", measure_plain: bool = True,
            kernels: str | None = None) -> Analysis:
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
    ``schedule``: "plain" (one tensor each), "inplace", "rows", "patch", or "auto": the cheapest whose
    RAM need fits (simulator/schedule.py); its choice and cost are ``Analysis.schedule``; the
    cost needs a second, plain run (``measure_plain=False`` skips it: no cost in the summary).
    ``kernels``: "mcusim" (default) or a kernel library, "cmsis-nn[=PATH]" (docs/kernel-libraries.md):
    the ops its table maps run its functions (plain schedule), the rest mcusim's kernels."""
    try:
        return _analyze(model, board, ram=ram, toolchain=toolchain, input=input, stack=stack,
                        max_instructions=max_instructions, work_dir=work_dir, memory=memory, caches=caches,
                        weights=weights, arena=arena,
                        progress=progress or (lambda text: None), host_budget=host_budget,
                        max_seconds=max_seconds, max_output=max_output, schedule=schedule,
                        measure_plain=measure_plain, kernels=kernels)
    except ModelError as err:
        # Lowering and the reference raise far from the file: name it in every diagnosis.
        source = model.source if isinstance(model, Graph) else model
        raise err.with_path(source) from None


def _analyze(model, board, *, ram, toolchain, input, stack, max_instructions, work_dir,
             memory, caches, weights, arena, progress, host_budget, max_seconds, max_output,
             schedule="auto", measure_plain=True, kernels=None) -> Analysis:
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
    backend = library_backend(kernels, machine, schedule)
    choice = pick_schedule(graph, machine.board, machine.ram_limit,
                           lambda l: ram_need(l, machine.stack_size, placement),
                           "plain" if backend is not None else schedule, backend=backend)
    lm = choice.lowered
    need = ram_need(lm, machine.stack_size, placement)
    result = replace(_base(lm, machine, machine.toolchain.name, need, placement, choice),
                     tflm_arena=tflm_figure(graph))

    def overflow(err: RamOverflow) -> str:
        return f"{err}\n{choice.summary()}" if len(choice.candidates) > 1 else str(err)
    try:
        check_ram(lm, machine.ram_limit, machine.stack_size, machine.board.name, placement)
        check_placed_regions(lm, machine.board, placement)
    except RamOverflow as err:
        return replace(result, fits=False, overflow=overflow(err), wall_seconds=time.perf_counter() - t0)
    check_flash(lm, machine.board)
    check_host(graph, host_budget)
    x = prepare_input(graph, input)
    progress("running the NumPy reference")
    reference = run_graph(graph, [x])
    result = replace(result, reference_output=reference[lm.output])
    try:
        result = _run(lm, machine, x, reference, result, work_dir, progress,
                      {"weights": weights, "arena": arena})
    except RamOverflow as err:            # the linker's exact count: over the limit after all
        result = replace(result, fits=False, overflow=overflow(err))
    if result.ran and choice.chosen != "plain" and measure_plain:
        progress("measuring the plain schedule's cost")
        measure_baseline(choice, lambda: analyze(
            graph, board, toolchain=toolchain, input=x, stack=stack, memory=memory, caches=caches,
            weights=weights, arena=arena, max_instructions=max_instructions, host_budget=host_budget,
            max_seconds=max_seconds, max_output=max_output, schedule="plain"))
    return replace(result, wall_seconds=time.perf_counter() - t0)


def tflm_figure(graph: Graph) -> dict | None:
    """TFLite Micro's arena for the same model (simulator/tflm_arena.py): the package's
    measurement of the .tflite the graph came from, else the replica."""
    from .tflm_arena import tflm_arena
    source = Path(graph.source) if graph.source else None
    data = source.read_bytes() if source is not None and source.suffix == ".tflite" and source.is_file() else None
    found = tflm_arena(graph, data)
    return None if found is None else found.to_dict()


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


def library_backend(kernels: str | None, machine: Machine, schedule: str = "auto"):
    """The LibraryBackend of ``--kernels`` for ``machine`` (None: mcusim's kernels). A library
    lowers with the plain schedule: the in-place, row and patch schedules are mcusim kernels."""
    library = load_library(kernels)
    if library is None:
        return None
    if schedule not in ("auto", "plain"):
        raise ConfigError(f"--kernels {library.name} runs the plain schedule; --schedule {schedule} "
                          "needs mcusim's kernels")
    return LibraryBackend(library, machine)


def _build(lm, machine, x, work_dir, progress, placement=None):
    files = write_sources(lm, work_dir, x)
    progress(f"compiling with {machine.toolchain.name}")
    extra, include = [], [files[0].parent]
    if lm.backend is not None:                 # --kernels: the library's archive and headers
        progress(f"building {lm.library.title} for {machine.board.core.name}")
        extra, include = [lm.backend.archive()], include + list(lm.library.include_dirs)
    try:
        return machine.build(files + lm.sources + extra, include_dirs=include, keep_all=False,
                             placement=placement)
    except RamOverflow as err:        # the linker's own check: say which layer sets the peak
        raise RamOverflow(f"{err}\n{peak_explanation(lm)}", limit=err.limit,
                          needed=err.needed, sections=err.sections) from None


def _build_and_run(lm, machine, x, reference, result: Analysis, work_dir, progress, placement=None) -> None:
    """:func:`_run` filling ``result`` in place, for callers that hold it (tests/lower)."""
    vars(result).update(vars(_run(lm, machine, x, reference, result, work_dir, progress, placement)))


def _run(lm, machine, x, reference, base: Analysis, work_dir, progress, placement=None) -> Analysis:
    """Build and run the firmware; ``base`` (what the lowering knew) with what the run measured."""
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
    return _with_run(lm, fw, run, captured, reference, base)


def _with_run(lm, fw, run, captured, reference, base: Analysis) -> Analysis:
    if run.exit_code != 0:
        _raise_rejected_layer(lm, run.stdout)
    lay = fw.layout
    cold = run.regions.get("model", {})
    warm = run.regions.get("model_warm", {})
    flash = [r.name for r in fw.board.regions if r.kind == "flash"]
    memory = {k: v for k, v in run.memory.items() if k != "counters"}
    for when, region in (("cold", cold), ("warm", warm)):
        if "memory" in region:
            memory[when] = memory_summary(region["memory"], flash)
    cycles = cold.get("cycles") if cold else run.cycles
    layers, mismatch = _measured_layers(lm, base.layers, run, captured, reference, flash, cycles is not None)
    if run.exit_code != 0:
        mismatch = f"firmware exited with status {run.exit_code}: {run.stdout.strip()}"
    out_t = lm.graph.tensor(lm.output)
    output = read_output(run.stdout, out_t.shape, out_t.dtype)
    if mismatch is None and (output is None or not np.array_equal(
            as_words(output, out_t.dtype), as_words(reference[lm.output], out_t.dtype))):
        mismatch = ("the output main() printed (copied out by model_invoke) differs from the "
                    "reference")
    input_bytes = lm.graph.tensor(lm.input).nbytes
    return replace(
        base, ran=True, toolchain_version=run.toolchain, build=run.build,
        context=make_context(run.toolchain, run.build, memory.get("model"), lm.library),
        instructions=int(cold.get("instructions", run.instructions)), cycles=cycles,
        cycles_warm=warm.get("cycles"), memory=memory, stack_peak=run.stack_peak,
        flash_code=max(lay.flash_used - base.flash_weights - input_bytes, 0),
        layers=layers, output=output, mismatch=mismatch, bit_exact=mismatch is None,
        **_ram_facts(lay, base, placed_weight_bytes(lm)))


def _measured_layers(lm, layers: list[LayerResult], run, captured, reference, flash, with_cycles: bool):
    """(the layers with their measured cost and bits, the first mismatch or None)."""
    mismatch = None
    in_stage = _stage_inner_layers(lm)
    measured = {}
    for layer in lm.layers:
        if layer.index in in_stage:
            continue                  # checked through the stage's output (lower/patches.py)
        region = run.regions.get(layer.region, {})
        first, last = region.get("first", {}), region.get("last", {})
        facts = {"instructions": int(first["instructions"]) if "instructions" in first else None,
                 "cycles": first.get("cycles"),
                 "cycles_warm": last.get("cycles") if region.get("count", 0) > 1 else None}
        if "memory" in first:
            facts["memory"] = memory_summary(first["memory"], flash)
        if layer.index in captured:
            dtype = lm.graph.tensor(layer.output).dtype
            got = np.frombuffer(captured[layer.index], dtype=NP_WORDS[dtype])
            problem = compare_layer(layer, got, reference[layer.output], dtype)
            facts["bit_exact"] = problem is None
            mismatch = mismatch or problem
        elif mismatch is None:
            mismatch = f"layer {layer.index} ({layer.opcode}) never finished"
        measured[layer.index] = facts
    for i in in_stage:
        measured[i] = {"bit_exact": measured[in_stage[i]].get("bit_exact")}
    key = "cycles" if with_cycles else "instructions"
    total = sum(f.get(key) or 0 for f in measured.values()) or 1
    return [_replace_layer(lr, measured[lr.index], key, total) for lr in layers], mismatch


def _replace_layer(lr: LayerResult, facts: dict, key: str, total: int) -> LayerResult:
    share = round(100.0 * (facts.get(key) or 0) / total, 2)
    return replace(lr, share=share, **facts)


def placed_weight_bytes(lm: LoweredModel) -> int:
    """What ``--weights REGION`` moves: the constant arrays of section .ck_weights, each aligned to 4
    (lower/codegen.py); the params structs and pointer tables stay in flash."""
    return sum(align_up(c.nbytes, 4) for c in lm.consts)


def _ram_facts(lay, base: Analysis, weights_bytes: int) -> dict:
    """The data RAM as linked, split so that its parts add up to ``ram_total``: what the planner
    and the kernels asked for, the stack, the runtime's static data, and the gaps the linker
    left to align sections (12 B for DS-CNN on the H743, once missing from the report)."""
    stack_region = base.placement.get("stack", lay.ram.name)
    in_ram = base.placement.get("weights") == stack_region           # weights copied to RAM
    arena_here = base.placement.get("arena", lay.ram.name) == lay.ram.name
    ram_weights = weights_bytes if in_ram else 0
    static = max(lay.ram_static - base.arena * arena_here - base.scratch - ram_weights, 0)
    held = base.arena * arena_here + base.scratch + base.stack_size + static + ram_weights
    return {"ram_weights": ram_weights, "ram_static": static, "ram_total": lay.ram_used,
            "ram_padding": max(lay.ram_used - held, 0)}


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


def _stage_inner_layers(lm) -> dict[int, int]:
    """Layers run inside a patch stage, a row-by-row block (lower/blocks.py) or folded into
    their conv (a PAD, lower/fold.py) -> that last layer: they have no region of their own
    (or an empty one), their whole output never exists; the last layer (region, cycles,
    bits) stands for them."""
    groups = ([getattr(lm, "stage", None)] + list(getattr(lm, "blocks", ()))
              + list(getattr(lm, "folds", ())))
    return {i: g.last for g in groups if g is not None for i in g.ops if i != g.last}


__all__ = ["Analysis", "LayerResult", "analyze", "check_ram", "compare_layer",
           "prepare_input"]
