"""A whole run: many cases, counted by outcome and mutator, the first findings saved."""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .cases import make_case
from .harness import (DEFAULT_MEMORY_LIMIT, DEFAULT_TIME_LIMIT_S, FINDING_OUTCOMES, CaseResult,
                      run_case)
from .seeds import SeedModel, load_seeds


@dataclass
class Finding:
    index: int
    outcome: str
    mutator: str
    model: str
    detail: str
    reproducer: str = ""


@dataclass
class FuzzReport:
    cases: int = 0
    seed: int = 0
    counts: dict = field(default_factory=dict)          # outcome -> n
    by_mutator: dict = field(default_factory=dict)      # mutator -> {outcome: n}
    fallbacks: int = 0
    findings: list = field(default_factory=list)
    seconds: float = 0.0
    peak_bytes: int = 0
    peak_case: int = -1
    slowest_seconds: float = 0.0
    slowest_case: int = -1
    slowest_mutator: str = ""

    @property
    def cases_per_second(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0

    def count(self, outcome: str) -> int:
        return self.counts.get(outcome, 0)

    def to_dict(self) -> dict:
        return {"cases": self.cases, "seed": self.seed, "outcomes": self.counts,
                "crashes": self.count("crash"), "hangs": self.count("hang"),
                "memory": self.count("memory"), "bad_messages": self.count("bad_message"),
                "bad_graphs": self.count("bad_graph"), "defence_in_depth_errors": self.fallbacks,
                "seconds": round(self.seconds, 3), "cases_per_second": round(self.cases_per_second, 1),
                "peak_bytes": self.peak_bytes, "peak_case": self.peak_case,
                "slowest_seconds": round(self.slowest_seconds, 4), "slowest_case": self.slowest_case,
                "slowest_mutator": self.slowest_mutator, "by_mutator": self.by_mutator,
                "findings": [vars(f) for f in self.findings]}

    def summary(self) -> str:
        lines = [f"{self.cases} cases (seed {self.seed}) in {self.seconds:.1f} s, "
                 f"{self.cases_per_second:.0f} cases/s",
                 "  " + ", ".join(f"{k}: {v}" for k, v in sorted(self.counts.items())),
                 f"  crashes: {self.count('crash')}, hangs: {self.count('hang')}, over memory: "
                 f"{self.count('memory')}, bad messages: {self.count('bad_message')}, "
                 f"inconsistent graphs: {self.count('bad_graph')}",
                 f"  defence-in-depth ModelErrors (an unchecked path caught late): {self.fallbacks}",
                 f"  peak memory of one case: {self.peak_bytes / 1e6:.2f} MB (case {self.peak_case})",
                 f"  slowest case: {self.slowest_seconds * 1e3:.1f} ms (case {self.slowest_case}, "
                 f"{self.slowest_mutator})"]
        for f in self.findings[:10]:
            first = f.detail.strip().splitlines()[-1] if f.detail.strip() else ""
            lines.append(f"  {f.outcome} case {f.index} [{f.mutator} on {f.model}]: {first}"
                         + (f" -> {f.reproducer}" if f.reproducer else ""))
        return "\n".join(lines)


def fuzz(cases: int, seed: int = 0, *, seeds: list[SeedModel] | None = None,
         time_limit: float = DEFAULT_TIME_LIMIT_S, memory_limit: int = DEFAULT_MEMORY_LIMIT,
         save_dir: Path | None = None, max_saved: int = 5, trace_memory: bool = True,
         workdir: Path | None = None) -> FuzzReport:
    """Run ``cases`` mutated models through load_tflite; save the first findings' inputs."""
    seeds = seeds or load_seeds()
    report = FuzzReport(cases=cases, seed=seed)
    with tempfile.TemporaryDirectory(prefix="mcusim-fuzz-", dir=workdir) as tmp:
        path = Path(tmp) / "case.tflite"
        t0 = time.perf_counter()
        try:
            for i in range(cases):
                mutator, model, data = make_case(seeds, seed, i)
                path.write_bytes(data)
                res = run_case(path, time_limit=time_limit, memory_limit=memory_limit,
                               trace_memory=trace_memory)
                _record(report, i, mutator, model, data, res, save_dir, max_saved)
        finally:
            report.seconds = time.perf_counter() - t0
    return report


def _record(report: FuzzReport, i: int, mutator: str, model: str, data: bytes, res: CaseResult,
            save_dir: Path | None, max_saved: int) -> None:
    report.counts[res.outcome] = report.counts.get(res.outcome, 0) + 1
    row = report.by_mutator.setdefault(mutator.split("+")[0].replace("(rejected)", ""), {})
    row[res.outcome] = row.get(res.outcome, 0) + 1
    report.fallbacks += res.fallback
    if res.peak_bytes > report.peak_bytes:
        report.peak_bytes, report.peak_case = res.peak_bytes, i
    if res.seconds > report.slowest_seconds:
        report.slowest_seconds, report.slowest_case, report.slowest_mutator = res.seconds, i, mutator
    if res.outcome in FINDING_OUTCOMES or res.fallback:
        finding = Finding(i, res.outcome if not res.fallback else "fallback", mutator, model, res.detail)
        saved = sum(1 for f in report.findings if f.reproducer)
        if save_dir is not None and saved < max_saved:
            save_dir = Path(save_dir)
            save_dir.mkdir(parents=True, exist_ok=True)
            stem = f"{finding.outcome}-seed{report.seed}-case{i}"
            (save_dir / f"{stem}.tflite").write_bytes(data)
            (save_dir / f"{stem}.txt").write_text(
                f"mutator: {mutator}\nmodel: {model}\noutcome: {finding.outcome}\n\n{res.detail}\n")
            finding.reproducer = str(save_dir / f"{stem}.tflite")
        report.findings.append(finding)
