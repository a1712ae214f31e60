"""``mcusim validate`` and ``analyze --input`` with float64 data, through the command line."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from simulator import cli

ROOT = Path(__file__).resolve().parents[2]


def mcusim(*args):
    return subprocess.run([sys.executable, "-m", "simulator.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)


def test_json_report(digits):
    d = digits["dir"]
    r = mcusim("validate", digits["int8"], "--board", "stm32h743", "--data", d / "x.npy",
               "--labels", d / "y.npy", "--float-model", digits["float"], "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["samples"] == 24 and doc["bit_exact_samples"] == 24 and doc["bit_exact"]
    assert set(doc["metrics"]) == {"rmse", "mae", "l2r", "cos"} and 0 <= doc["accuracy"] <= 1
    assert len(doc["per_sample"]["cycles"]) == 24 and doc["toolchain"] == "zig"


def test_text_report_and_memory_option(digits):
    r = mcusim("validate", digits["int8"], "--board", "stm32h743", "--data", digits["dir"] / "x.npy",
               "--memory", "ideal")
    assert r.returncode == 0, r.stderr
    assert "bit-exact  24 of 24" in r.stdout and "memory ideal" in r.stdout


def test_a_mismatch_exits_1_with_one_line(digits, monkeypatch, capsys):
    import simulator.reference.graph as graph

    real = graph.run_graph

    def off_by_one(g, inputs):
        values = real(g, inputs)
        out = g.outputs[0]
        values[out] = values[out] + np.ones_like(values[out])
        return values
    monkeypatch.setattr(graph, "run_graph", off_by_one)
    code = cli.main(["validate", str(digits["int8"]), "--board", "generic-m4", "--data",
                     str(digits["dir"] / "x.npy")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err == ["mcusim: error: 24 of 24 samples differ from the reference (first: sample 0)"]


def test_no_fit_is_one_line_and_exit_2(digits):
    r = mcusim("validate", digits["int8"], "--board", "stm32h743", "--ram", "1K", "--data",
               digits["dir"] / "x.npy")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "does not fit" in r.stderr


def test_analyze_input_float64(digits, tmp_path):
    x = digits["x"][:1].astype(np.float64)
    np.save(tmp_path / "x64.npy", x)
    r = mcusim("analyze", digits["int8"], "--board", "generic-m4", "--input", tmp_path / "x64.npy")
    assert r.returncode == 0, r.stderr
    assert "mcusim: note: " in r.stderr and "float64 values cast to float32" in r.stderr
    x[0, 0, 0, 0] = 1 / 3
    np.save(tmp_path / "x64.npy", x)
    r = mcusim("analyze", digits["int8"], "--board", "generic-m4", "--input", tmp_path / "x64.npy")
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"mcusim: error: {tmp_path / 'x64.npy'}: float64 value 0.3333333333333333 at index [0, 0, 0, 0] "
        "is not exactly a float32 (1 of 64 values are not): pass float32 data (x.astype(np.float32)) "
        "if the rounding is intended"]


def test_quantize_prints_validate_s_metrics_for_its_int8_model(digits, tmp_path):
    from simulator.validate import validate

    out = tmp_path / "q.tflite"
    r = mcusim("quantize", digits["float"], "--calibration", digits["dir"] / "x.npy", "-o", out, "--json")
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)["metrics"]
    assert m["samples"] == 24
    v = validate(out, "generic-m4", data=digits["x"], float_model=digits["float"])
    for k in ("rmse", "mae", "l2r", "cos"):        # the simulated outputs are the reference's bits
        assert m[k] == v.metrics[k], k
    r = mcusim("quantize", digits["float"], "--calibration", digits["dir"] / "x.npy", "-o", out)
    assert "int8 vs float on 24 calibration samples: RMSE" in r.stderr
