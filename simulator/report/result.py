"""The result of analysing one model on one board: one type, its JSON form both ways.

:func:`simulator.analyze.analyze` returns an :class:`Analysis`; ``mcusim report`` and
``mcusim compare`` read one back with :meth:`Analysis.from_dict`; every renderer (text,
Markdown, HTML, charts, compare) takes the object. The JSON's shape is described once, as a
JSON Schema, in :mod:`simulator.report.schema` (docs/analysis.schema.json is that schema
written out). ``None`` means "not measured": a model that did not fit was never built or
run, so its code size, instructions, cycles, stack peak and bit-exactness are None, not 0
or False.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import BitMismatch, ConfigError, RamOverflow
from .schema import SCHEMA, parse_json, validate_analysis


@dataclass
class LayerResult:
    index: int
    name: str
    op: str
    kernel: str
    output_shape: list[int]
    macc: int
    scratch_bytes: int
    weight_bytes: int = 0                # flash data of this layer: weights, bias, requant arrays, params
    instructions: int | None = None
    cycles: int | None = None
    share: float | None = None           # percent of the model's cost (cycles, else instructions)
    bit_exact: bool | None = None
    cycles_warm: int | None = None       # the second inference (caches warm)
    memory: dict = field(default_factory=dict)   # cold pass: I/D misses, stall cycles (memory model)

    def to_dict(self) -> dict:
        return {"index": self.index, "name": self.name, "op": self.op, "kernel": self.kernel,
                "output_shape": list(self.output_shape), "macc": self.macc,
                "scratch_bytes": self.scratch_bytes, "weight_bytes": self.weight_bytes,
                "instructions": self.instructions, "cycles": self.cycles, "share": self.share,
                "bit_exact": self.bit_exact, "cycles_warm": self.cycles_warm, "memory": self.memory}


@dataclass(frozen=True)
class TensorInfo:
    """A model input or output as a caller must feed or read it."""
    index: int
    name: str
    shape: list[int]
    dtype: str
    scale: float | None = None           # None: float tensor (no quantization)
    zero_point: int | None = None

    def to_dict(self) -> dict:
        return {"index": self.index, "name": self.name, "shape": list(self.shape), "dtype": self.dtype,
                "scale": self.scale, "zero_point": self.zero_point}


def _tensor_info(t: dict) -> TensorInfo:
    return TensorInfo(**{k: t[k] for k in TensorInfo.__dataclass_fields__})


@dataclass(frozen=True)
class PlanTensor:
    """One arena-resident tensor of the memory plan (lower/planner.py's TensorSlot, as read back)."""
    index: int
    name: str
    offset: int
    size: int
    first_op: int
    last_op: int


@dataclass
class ScheduleRecord:
    """The schedule choice as read back from JSON (simulator/schedule.py's ScheduleChoice, minus
    the lowered model): the same attributes the renderers read."""
    requested: str
    chosen: str
    candidates: list[dict]
    baseline_cycles: int | None = None
    baseline_flash: int | None = None
    summary_text: str | None = None

    def summary(self, cycles=None, flash=None) -> str | None:
        return self.summary_text

    def to_dict(self) -> dict:
        return {"requested": self.requested, "chosen": self.chosen, "baseline_cycles": self.baseline_cycles,
                "baseline_flash": self.baseline_flash, "candidates": self.candidates}


@dataclass
class Analysis:
    model: str
    board: str
    core: str
    toolchain: str                       # the toolchain's name ("zig", "gcc")
    clock_hz: int
    params: int
    macc: int
    flash_weights: int
    arena: int
    scratch: int
    stack_size: int
    ram_static: int
    ram_total: int
    ram_limit: int
    fits: bool
    layers: list[LayerResult]
    tensors: list                         # PlanTensor or the planner's TensorSlot (same attributes)
    ran: bool = False
    flash_code: int | None = None        # None: not built
    stack_peak: int | None = None        # None: not run
    instructions: int | None = None
    cycles: int | None = None            # None: not run, or no cycle model
    bit_exact: bool | None = None        # None: not run
    ram_padding: int = 0                 # alignment gaps between the RAM sections (linker)
    ram_weights: int = 0                 # weights copied into the data RAM (placement)
    inputs: list[TensorInfo] = field(default_factory=list)
    outputs: list[TensorInfo] = field(default_factory=list)
    context: dict = field(default_factory=dict)   # what the counts depend on (report/context.py)
    overflow: str | None = None          # why it does not fit (RamOverflow message)
    mismatch: str | None = None          # the first bit mismatch (BitMismatch message)
    output: np.ndarray | None = None     # the simulated output
    reference_output: np.ndarray | None = None
    wall_seconds: float = 0.0
    toolchain_version: str = ""          # name and version
    cycles_warm: int | None = None       # the second inference: steady state, caches warm
    memory: dict = field(default_factory=dict)   # memory model, caches, cold/warm counters
    placement: dict = field(default_factory=dict)   # what lives in which board region
    build: dict = field(default_factory=dict)   # compiler, C library, exact commands (RunResult.build)
    schedule: object = None              # ScheduleChoice (simulator/schedule.py) or ScheduleRecord
    tflm_arena: dict | None = None       # TFLite Micro's arena: bytes, head, tail, source (tflm_arena.py)

    @property
    def schedule_summary(self) -> str | None:
        if self.schedule is None:
            return None
        return self.schedule.summary(self.cycles, self.flash_total)

    @property
    def flash_total(self) -> int | None:
        return None if self.flash_code is None else self.flash_weights + self.flash_code

    @property
    def arena_in_ram(self) -> bool:
        """The arena is in the data RAM region (the stack's), so it counts in ``ram_total``."""
        return self.placement.get("arena", "") == self.placement.get("stack", "")

    @property
    def ram_parts(self) -> dict[str, int]:
        """Every part of ``ram_total``, in the order the report lists them: they add up to it."""
        parts = {"arena": self.arena if self.arena_in_ram else 0, "scratch": self.scratch,
                 "stack": self.stack_size, "static": self.ram_static, "padding": self.ram_padding,
                 "weights": self.ram_weights}
        return parts

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
            "toolchain": self.toolchain, "clock_hz": self.clock_hz, "context": self.context,
            "params": self.params, "macc": self.macc,
            "inputs": [t.to_dict() for t in self.inputs], "outputs": [t.to_dict() for t in self.outputs],
            "flash_bytes": {"weights": self.flash_weights, "code": self.flash_code, "total": self.flash_total},
            "ram_bytes": {"arena": self.arena, "scratch": self.scratch, "stack": self.stack_size,
                          "stack_peak": self.stack_peak, "static": self.ram_static, "padding": self.ram_padding,
                          "weights": self.ram_weights, "total": self.ram_total},
            "ram_limit_bytes": self.ram_limit, "fits": self.fits, "ran": self.ran,
            "instructions": self.instructions, "cycles": self.cycles,
            "latency_ms": self.latency_ms, "bit_exact": self.bit_exact, "build": self.build,
            "cycles_warm": self.cycles_warm, "latency_warm_ms": self.latency_warm_ms,
            "memory": self.memory, "placement": self.placement,
            "layers": [lr.to_dict() for lr in self.layers],
            "memory_plan": {"arena_bytes": self.arena,
                            "tensors": [{"index": t.index, "name": t.name, "offset": t.offset,
                                         "size": t.size, "first_op": t.first_op, "last_op": t.last_op,
                                         "region": self.placement.get("arena")} for t in self.tensors]},
            "schedule": None if self.schedule is None else
            {**self.schedule.to_dict(), "summary": self.schedule_summary},
            "tflm_arena": self._tflm_dict(),
        }

    def _tflm_dict(self) -> dict | None:
        from ..fit import judge_fit
        if not self.tflm_arena:
            return None
        verdict = judge_fit(self, "tflm")
        return {**{k: self.tflm_arena[k] for k in ("bytes", "head", "tail", "source")},
                "ram_needed": verdict.ram_needed, "fits": verdict.fits}

    @classmethod
    def from_dict(cls, d: dict) -> "Analysis":
        """The inverse of :meth:`to_dict` for a dict that :func:`schema.validate_analysis` accepted."""
        flash, ram = d["flash_bytes"], d["ram_bytes"]
        sched = d.get("schedule")
        layer_keys = set(LayerResult.__dataclass_fields__)
        return cls(
            model=d["model"], board=d["board"], core=d["core"], toolchain=d["toolchain"],
            clock_hz=d["clock_hz"], params=d["params"], macc=d["macc"], flash_weights=flash["weights"],
            flash_code=flash["code"], arena=ram["arena"], scratch=ram["scratch"], stack_size=ram["stack"],
            stack_peak=ram["stack_peak"], ram_static=ram["static"], ram_padding=ram["padding"],
            ram_weights=ram["weights"], ram_total=ram["total"], ram_limit=d["ram_limit_bytes"],
            fits=d["fits"], ran=d["ran"], instructions=d["instructions"], cycles=d["cycles"],
            bit_exact=d["bit_exact"], cycles_warm=d.get("cycles_warm"), context=dict(d["context"]),
            inputs=[_tensor_info(t) for t in d["inputs"]], outputs=[_tensor_info(t) for t in d["outputs"]],
            layers=[LayerResult(**{k: v for k, v in layer.items() if k in layer_keys}) for layer in d["layers"]],
            tensors=[PlanTensor(**{k: t[k] for k in PlanTensor.__dataclass_fields__})
                     for t in d["memory_plan"]["tensors"]],
            toolchain_version=d["context"].get("toolchain") or "", memory=d.get("memory") or {},
            placement=d.get("placement") or {}, build=d.get("build") or {},
            schedule=None if not sched else ScheduleRecord(
                sched["requested"], sched["chosen"], sched["candidates"], sched.get("baseline_cycles"),
                sched.get("baseline_flash"), sched.get("summary")),
            tflm_arena=None if not d.get("tflm_arena") else
            {k: d["tflm_arena"][k] for k in ("bytes", "head", "tail", "source")})


MAX_FILE_BYTES = 256 << 20          # an analysis of 4,000 layers is about 1 MB


def load_analysis(path: str | Path) -> Analysis:
    """An :class:`Analysis` read from an ``mcusim analyze --json`` file."""
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size > MAX_FILE_BYTES:
                raise ConfigError(f"{path}: larger than {MAX_FILE_BYTES >> 20} MB: not an mcusim analysis")
            raw = f.read()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return Analysis.from_dict(validate_analysis(parse_json(raw, path), str(path)))
