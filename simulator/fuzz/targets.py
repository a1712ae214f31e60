"""Fuzz targets beyond the .tflite reader, behind one small interface and one campaign loop.

A target is a name, a case maker ``make(rng) -> (mutator, data)`` and a judge
``judge(data, workdir) -> (outcome, detail)``. The judge returns an OK outcome ("accepted" or
"rejected": the input was refused with the named error its contract promises, naming the file
where there is one) or a finding outcome ("bad_message", ...); any exception escaping it is a
crash. :func:`run_target` runs each case under the same watchdog and tracemalloc bound as the
.tflite harness and counts outcomes into a :class:`FuzzReport`.

    report = run_target(get_target("gdb"), cases=2000, seed=0)
    assert not report.findings, report.summary()

Case ``i`` of seed ``s`` draws from ``Random(f"{name}:{s}:{i}")``: reproducible on its own.
"""
from __future__ import annotations

import random
import tempfile
import time
import tracemalloc
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .campaign import Finding, FuzzReport
from .harness import (DEFAULT_MEMORY_LIMIT, DEFAULT_TIME_LIMIT_S, CaseResult, CaseTimeout,
                      _arm_watchdog, _disarm_watchdog)

TARGET_OK = ("accepted", "rejected")
TARGET_FINDINGS = ("crash", "hang", "memory", "bad_message", "no_reply", "fallback")


@dataclass
class Target:
    name: str
    make: Callable                 # (rng) -> (mutator name, data)
    judge: Callable                # (data, workdir: Path) -> (outcome, detail)
    suffix: str = ".bin"           # of a saved reproducer
    setup: Callable | None = None  # () -> None, once before the first case (untimed)
    time_limit: float = DEFAULT_TIME_LIMIT_S      # per case, unless the caller gives one


_LABELS = {"crash": "crashes", "hang": "hangs", "memory": "over memory", "bad_message": "bad messages",
           "no_reply": "missing replies", "fallback": "last-resort errors"}


class TargetReport(FuzzReport):
    """A FuzzReport whose figures speak of the target's outcomes rather than graphs."""

    def to_dict(self) -> dict:
        out = super().to_dict()
        for key in ("bad_graphs", "defence_in_depth_errors"):
            out.pop(key)
        out.update(no_reply=self.count("no_reply"), fallbacks=self.count("fallback"),
                   findings_total=sum(self.count(k) for k in TARGET_FINDINGS))
        return out

    def summary(self) -> str:
        lines = [f"{self.cases} cases (seed {self.seed}) in {self.seconds:.1f} s, "
                 f"{self.cases_per_second:.0f} cases/s",
                 "  " + ", ".join(f"{k}: {v}" for k, v in sorted(self.counts.items())),
                 "  " + ", ".join(f"{_LABELS[k]}: {self.count(k)}" for k in TARGET_FINDINGS),
                 f"  peak memory of one case: {self.peak_bytes / 1e6:.2f} MB (case {self.peak_case})",
                 f"  slowest case: {self.slowest_seconds * 1e3:.1f} ms (case {self.slowest_case}, "
                 f"{self.slowest_mutator})"]
        for f in self.findings[:10]:
            last = f.detail.strip().splitlines()[-1] if f.detail.strip() else ""
            lines.append(f"  {f.outcome} case {f.index} [{f.mutator}]: {last[:200]}"
                         + (f" -> {f.reproducer}" if f.reproducer else ""))
        return "\n".join(lines)


def judge_case(target: Target, data, workdir: Path, *, time_limit: float = DEFAULT_TIME_LIMIT_S,
               memory_limit: int = DEFAULT_MEMORY_LIMIT, trace_memory: bool = True) -> CaseResult:
    """One case: the target's verdict, or crash / hang / memory as the harness sees it."""
    traced_here = trace_memory and not tracemalloc.is_tracing()
    if traced_here:
        tracemalloc.start()
    base = 0
    if trace_memory:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
    previous = _arm_watchdog(time_limit)
    t0 = time.perf_counter()
    outcome = detail = ""
    try:
        try:
            outcome, detail = target.judge(data, workdir)
        finally:
            _disarm_watchdog(previous)
    except CaseTimeout:
        outcome, detail = "hang", f"no result after {time_limit} s"
    except BaseException as exc:                 # anything escaping the judge breaks the contract
        if isinstance(exc, KeyboardInterrupt):
            raise
        outcome = "hang" if _caused_by_timeout(exc) else "crash"
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    finally:
        peak = tracemalloc.get_traced_memory()[1] - base if trace_memory else 0
        if traced_here:
            tracemalloc.stop()
    seconds = time.perf_counter() - t0
    if outcome in TARGET_OK and seconds > time_limit:
        outcome, detail = "hang", f"took {seconds:.2f} s (limit {time_limit} s)"
    if outcome in TARGET_OK and peak > memory_limit:
        outcome, detail = "memory", f"allocated {peak:,} B (limit {memory_limit:,} B)"
    return CaseResult(outcome, seconds, peak, detail)


def _caused_by_timeout(exc: BaseException) -> bool:
    """The watchdog fired inside a native callback and came back wrapped in another error."""
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, CaseTimeout):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def make_target_case(target: Target, seed: int, index: int):
    return target.make(random.Random(f"{target.name}:{seed}:{index}"))


def run_target(target: Target, cases: int, seed: int = 0, *, time_limit: float | None = None,
               memory_limit: int = DEFAULT_MEMORY_LIMIT, trace_memory: bool = True,
               save_dir: Path | None = None, max_saved: int = 5) -> FuzzReport:
    """Run ``cases`` cases of ``target``; save the first findings' inputs to ``save_dir``."""
    if target.setup is not None:
        target.setup()
    time_limit = target.time_limit if time_limit is None else time_limit
    report = TargetReport(cases=cases, seed=seed)
    with tempfile.TemporaryDirectory(prefix=f"mcusim-fuzz-{target.name}-") as tmp:
        t0 = time.perf_counter()
        try:
            for i in range(cases):
                mutator, data = make_target_case(target, seed, i)
                res = judge_case(target, data, Path(tmp), time_limit=time_limit,
                                 memory_limit=memory_limit, trace_memory=trace_memory)
                _count(report, target, i, mutator, data, res, save_dir, max_saved)
        finally:
            report.seconds = time.perf_counter() - t0
    return report


def _count(report: FuzzReport, target: Target, i: int, mutator: str, data, res: CaseResult,
           save_dir: Path | None, max_saved: int) -> None:
    report.counts[res.outcome] = report.counts.get(res.outcome, 0) + 1
    row = report.by_mutator.setdefault(mutator, {})
    row[res.outcome] = row.get(res.outcome, 0) + 1
    if res.peak_bytes > report.peak_bytes:
        report.peak_bytes, report.peak_case = res.peak_bytes, i
    if res.seconds > report.slowest_seconds:
        report.slowest_seconds, report.slowest_case, report.slowest_mutator = res.seconds, i, mutator
    if res.outcome not in TARGET_FINDINGS:
        return
    finding = Finding(i, res.outcome, mutator, target.name, res.detail)
    if save_dir is not None and sum(1 for f in report.findings if f.reproducer) < max_saved:
        save_dir = Path(save_dir)
        save_dir.mkdir(parents=True, exist_ok=True)
        stem = f"{target.name}-{res.outcome}-seed{report.seed}-case{i}"
        raw = data if isinstance(data, bytes) else repr(data).encode()
        (save_dir / f"{stem}{target.suffix}").write_bytes(raw)
        (save_dir / f"{stem}.txt").write_text(f"mutator: {mutator}\noutcome: {res.outcome}\n\n{res.detail}\n")
        finding.reproducer = str(save_dir / f"{stem}{target.suffix}")
    report.findings.append(finding)


_MODULES = {"onnx": "onnx_target", "board": "board_target", "npy": "npy_target",
            "report": "report_target", "gdb": "gdb_target"}
TARGET_NAMES = ("tflite", *_MODULES)


def get_target(name: str) -> Target:
    """A target by name (tflite has its own campaign, :func:`simulator.fuzz.fuzz`)."""
    if name not in _MODULES:
        raise KeyError(f"unknown fuzz target {name!r}; known: {', '.join(TARGET_NAMES)}")
    import importlib
    return importlib.import_module(f".{_MODULES[name]}", __package__).TARGET
