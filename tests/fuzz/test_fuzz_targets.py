"""Bounded runs of the fuzz targets beyond .tflite (simulator/fuzz/targets.py; the long runs are
``benchmarks/fuzz_importer.py --target NAME --cases 10000``), and checks that the harness notices
each kind of failure a target can show."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator.errors import BoardError
from simulator.fuzz.harness import DEFAULT_MEMORY_LIMIT
from simulator.fuzz.seeds import MODELS_DIR
from simulator.fuzz.targets import (TARGET_FINDINGS, TARGET_OK, Target, get_target, judge_case,
                                    make_target_case, run_target)

CI_SEED = 20240527
# Cases per target: each run stays under 20 s on one core of a loaded machine (gdb: a firmware
# boot per case, ~0.4 s each; the 10,000-case campaigns are benchmarks/fuzz_importer.py).
CI_CASES = {"gdb": 80, "board": 500, "onnx": 600, "npy": 300, "report": 100}


@pytest.mark.parametrize("name", sorted(CI_CASES))
def test_bounded_run_keeps_the_contract(name, tmp_path):
    t0 = time.perf_counter()
    # A hang here means 10 s for one case: the long runs hold the 2 s limit; a shared CI
    # machine must not turn a slow moment into a failure.
    report = run_target(get_target(name), CI_CASES[name], CI_SEED, save_dir=tmp_path,
                        time_limit=max(10.0, get_target(name).time_limit))
    assert not report.findings, report.summary()
    assert set(report.counts) <= set(TARGET_OK)
    assert report.count("accepted") > 0 and report.count("rejected") > CI_CASES[name] // 4, report.summary()
    assert report.peak_bytes < DEFAULT_MEMORY_LIMIT
    print(f"[{name}]", report.summary(), f"\n({time.perf_counter() - t0:.1f} s)")


@pytest.mark.parametrize("name", sorted(CI_CASES))
def test_cases_are_reproducible_one_by_one(name):
    target = get_target(name)
    target.setup()
    assert make_target_case(target, 7, 11) == make_target_case(target, 7, 11)
    assert any(make_target_case(target, 7, i) != make_target_case(target, 7, 11) for i in range(12, 16))


def test_unknown_target_is_named():
    with pytest.raises(KeyError, match="known: tflite, onnx"):
        get_target("nope")


# ---- the oracle itself -------------------------------------------------------------------

def _target(judge, **kw):
    return Target("t", lambda rng: ("m", b""), judge, **kw)


def test_harness_reports_an_escaping_exception_as_a_crash(tmp_path):
    res = judge_case(_target(lambda d, w: {}["missing"]), b"", tmp_path)
    assert res.outcome == "crash" and "KeyError" in res.detail


def test_harness_reports_a_hang(tmp_path):
    def spin(_d, _w):
        while True:
            pass
    res = judge_case(_target(spin), b"", tmp_path, time_limit=0.2)
    assert res.outcome == "hang"


def test_harness_reports_memory_over_the_bound(tmp_path):
    def hog(_d, _w):
        block = bytearray(8 << 20)
        return "accepted", str(len(block))
    res = judge_case(_target(hog), b"", tmp_path, memory_limit=1 << 20)
    assert res.outcome == "memory" and res.peak_bytes >= 8 << 20


def test_board_target_notices_a_message_without_the_file(tmp_path, monkeypatch):
    import simulator.fuzz.board_target as board_target

    def anonymous(_path):
        raise BoardError("regions: wrong")
    monkeypatch.setattr(board_target, "_parse_board", anonymous)
    assert judge_case(get_target("board"), b"x = 1", tmp_path).outcome == "bad_message"


def test_onnx_target_counts_the_last_resort_branch_as_a_finding(tmp_path, monkeypatch):
    import simulator.frontend.onnx_reader as reader
    from simulator.errors import ModelError

    def late(path):
        raise ModelError("node 'n': malformed node (IndexError: x)", path=str(path))
    monkeypatch.setattr(reader, "load_onnx", late)
    res = judge_case(get_target("onnx"), b"", tmp_path)
    assert res.outcome == "fallback" and "fallback" in TARGET_FINDINGS


def test_gdb_target_notices_a_missing_or_oversize_reply():
    from simulator.fuzz.gdb_target import check_reply
    assert check_reply("m0,4", None).startswith("no reply")
    assert check_reply("k", None) == ""
    assert "exceeds PacketSize" in check_reply("g", "0" * 20000)
    assert check_reply("m0,4", "E16") == ""


def test_benchmark_script_runs_every_target_and_prints_json(tmp_path):
    p = subprocess.run([sys.executable, "benchmarks/fuzz_importer.py", "--target", "all", "--cases", "8",
                        "--seed", "3", "--json", "--save-dir", str(tmp_path)], capture_output=True, text=True,
                       timeout=600, cwd=Path(MODELS_DIR).parent)
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert set(data) == {"tflite", "onnx", "board", "npy", "report", "gdb"}
    for name, figures in data.items():
        assert figures["cases"] == 8 and figures["crashes"] == 0 and figures["hangs"] == 0, name
        assert {"peak_bytes", "slowest_seconds", "cases_per_second", "by_mutator"} <= set(figures)
