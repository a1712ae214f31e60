"""The .tflite importer under fuzzing: any bytes end in a consistent Graph or a ModelError that
names the file, within 2 s and 200 MB per case (simulator/fuzz/; the long run is
benchmarks/fuzz_importer.py). Also checks that the harness itself notices each kind of failure.
"""
from __future__ import annotations

import random
import subprocess
import sys
import time

import numpy as np
import pytest

import simulator.fuzz as fz
from simulator.errors import ModelError
from simulator.ir import Graph, QuantParams, Tensor

from tests.helpers.paths import CRASHERS

CI_SEED = 20240527
CI_CASES = 500


@pytest.fixture(scope="module")
def seeds():
    return fz.load_seeds()


def test_bounded_fuzz_run_keeps_the_contract(seeds, tmp_path):
    t0 = time.perf_counter()
    report = fz.fuzz(CI_CASES, CI_SEED, seeds=seeds, save_dir=tmp_path / "findings")
    assert report.cases == CI_CASES
    assert not report.findings, report.summary()
    assert report.count("graph") + report.count("model_error") == CI_CASES
    assert report.count("model_error") > CI_CASES // 3        # the mutations do damage
    assert report.peak_bytes < fz.DEFAULT_MEMORY_LIMIT
    print(report.summary(), f"\n({time.perf_counter() - t0:.1f} s)")


@pytest.mark.parametrize("name", sorted(fz.MUTATORS))
def test_every_mutator_changes_the_model_and_keeps_the_contract(seeds, tmp_path, name):
    path = tmp_path / "case.tflite"
    changed = 0
    for i in range(12):
        rng = random.Random(f"{name}:{i}")
        seed = seeds[i % len(seeds)]
        try:
            data = fz.MUTATORS[name](rng, seed)
        except fz.WriterRejected:
            continue
        changed += data != seed.data
        path.write_bytes(data)
        res = fz.run_case(path)
        assert res.outcome in fz.OK_OUTCOMES, (name, i, res.detail)
    assert changed >= 6, f"{name} left the model unchanged too often"


def test_field_sites_find_the_fields_that_matter(seeds):
    labels = [s.label for s in seeds[0].sites]
    for needle in ("root", "(vtable soffset)", "tensors[0].shape[0]", "].buffer",
                   ".scale[0]", ".zero_point[0]", "].opcode_index", "operators[0].inputs[0]",
                   "inputs[0]", "buffers[1].data (count)", "operators[0].builtin_options"):
        assert any(needle in label for label in labels), needle
    ext = [s.label for s in seeds[0].external_sites]
    assert any(label.endswith(".offset") for label in ext) and any(label.endswith(".size") for label in ext)


@pytest.mark.parametrize("path", sorted(CRASHERS.glob("*.tflite")), ids=lambda p: p.name)
def test_saved_reproducers_keep_the_contract(path):
    res = fz.replay(path)
    assert res.outcome in fz.OK_OUTCOMES, res.detail


def test_cases_are_reproducible_one_by_one(seeds):
    a = fz.make_case(seeds, 7, 123)
    b = fz.make_case(seeds, 7, 123)
    assert a == b and fz.make_case(seeds, 7, 124) != a


# ---- the oracle itself: each kind of failure is noticed ---------------------------------

def _model_file(tmp_path):
    path = tmp_path / "m.tflite"
    path.write_bytes(b"\0" * 16)
    return path


def test_harness_reports_an_unexpected_exception_as_a_crash(tmp_path, monkeypatch):
    monkeypatch.setattr(fz.harness, "load_tflite", lambda p: {}["missing"])
    res = fz.run_case(_model_file(tmp_path))
    assert res.outcome == "crash" and "KeyError" in res.detail


def test_harness_reports_a_hang(tmp_path, monkeypatch):
    def spin(_path):
        while True:
            pass
    monkeypatch.setattr(fz.harness, "load_tflite", spin)
    t0 = time.perf_counter()
    res = fz.run_case(_model_file(tmp_path), time_limit=0.2)
    assert res.outcome == "hang" and time.perf_counter() - t0 < 2


def test_harness_reports_memory_over_the_bound(tmp_path, monkeypatch):
    def hog(path):
        block = np.ones(8 * 2**20, np.uint8)   # 8 MB, traced by tracemalloc
        raise ModelError(f"nope {block.size}", path=str(path))
    monkeypatch.setattr(fz.harness, "load_tflite", hog)
    res = fz.run_case(_model_file(tmp_path), memory_limit=2**20)
    assert res.outcome == "memory" and res.peak_bytes >= 8 * 2**20


def test_harness_reports_a_message_without_the_file(tmp_path, monkeypatch):
    def anonymous(_path):
        raise ModelError("broken")
    monkeypatch.setattr(fz.harness, "load_tflite", anonymous)
    assert fz.run_case(_model_file(tmp_path)).outcome == "bad_message"


def test_harness_reports_an_inconsistent_graph(tmp_path, monkeypatch):
    t = Tensor(0, "t", (2, 3), "int8", quant=QuantParams(np.ones(3), np.zeros(2)))
    monkeypatch.setattr(fz.harness, "load_tflite", lambda p: Graph([t], [], [0], [0]))
    res = fz.run_case(_model_file(tmp_path))
    assert res.outcome == "bad_graph" and "3 scales, 2 zero points" in res.detail


def test_benchmark_script_prints_json(tmp_path):
    import json
    p = subprocess.run([sys.executable, "benchmarks/fuzz_importer.py", "--cases", "40", "--seed", "3",
                        "--json", "--save-dir", str(tmp_path)], capture_output=True, text=True,
                       timeout=300, cwd=fz.MODELS_DIR.parent)
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert data["cases"] == 40 and data["crashes"] == 0 and data["hangs"] == 0
    assert {"peak_bytes", "slowest_seconds", "cases_per_second", "by_mutator"} <= set(data)
