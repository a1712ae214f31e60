"""`mcusim analyze` as a user sees it: the report, the JSON schema, exit codes, one-line errors."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

MODELS = Path(__file__).resolve().parents[2] / "models"
DIGITS = MODELS / "digits_cnn.tflite"

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "analysis.schema.json"
LAYER_KEYS = {"index": int, "name": str, "op": str, "kernel": str, "output_shape": list,
              "macc": int, "weight_bytes": int}


def mcusim(*args):
    return subprocess.run([sys.executable, "-m", "simulator.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def _check_schema(d: dict) -> None:
    """docs/analysis.schema.json (with the jsonschema package, the independent validator), then
    the facts a schema cannot say: totals that add up, names that agree."""
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(d, json.loads(SCHEMA_FILE.read_text()))
    assert d["schema"] == "mcusim.analysis/2"
    for layer in d["layers"]:
        for k, t in LAYER_KEYS.items():
            assert isinstance(layer[k], t), (k, layer[k])
    assert d["memory_plan"]["arena_bytes"] == d["ram_bytes"]["arena"]
    ram = d["ram_bytes"]
    arena_here = d["placement"]["arena"] == d["placement"]["stack"]
    assert ram["total"] == (ram["arena"] * arena_here + ram["scratch"] + ram["stack"] + ram["static"]
                            + ram["padding"] + ram["weights"])
    assert d["context"]["toolchain"].startswith(d["toolchain"] + " ")        # name and version
    if d["ran"]:
        assert d["flash_bytes"]["total"] == d["flash_bytes"]["weights"] + d["flash_bytes"]["code"]
        assert sum(layer["weight_bytes"] for layer in d["layers"]) <= d["flash_bytes"]["weights"]
        assert d["build"]["compiler"] == d["context"]["toolchain"] and d["context"]["flags"]
    else:
        assert d["build"] == {}


def test_json_schema_and_saved_output(tmp_path):
    out = tmp_path / "y.npy"
    p = mcusim("analyze", DIGITS, "--board", "stm32h743", "--json", "--save-output", out)
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)                       # exactly one JSON object on stdout
    _check_schema(d)
    assert d["fits"] and d["ran"] and d["bit_exact"] and d["board"] == "stm32h743" and d["core"] == "m7"
    assert d["inputs"] == [{"index": 0, "name": d["inputs"][0]["name"], "shape": [1, 8, 8, 1], "dtype": "int8",
                            "scale": d["inputs"][0]["scale"], "zero_point": d["inputs"][0]["zero_point"]}]
    assert d["outputs"][0]["shape"] == [1, 10] and d["outputs"][0]["scale"] > 0
    assert d["flash_bytes"]["total"] == d["flash_bytes"]["weights"] + d["flash_bytes"]["code"]
    assert [l["index"] for l in d["layers"]] == list(range(7))
    y = np.load(out)
    assert y.dtype == np.int8 and y.shape == (1, 10)
    pytest.importorskip("tflite_micro")
    from simulator.frontend.tflm_oracle import run_tflm
    x = np.random.default_rng(0).integers(-128, 128, (1, 8, 8, 1)).astype(np.int8)
    assert np.array_equal(y, run_tflm(DIGITS.read_bytes(), x)[0])


@pytest.mark.parametrize("placement", [{"weights": "dtcm"}, {"weights": "axi_sram", "arena": "sram123"}])
def test_ram_parts_add_up_wherever_weights_and_arena_are_placed(placement):
    """Weights copied into the data RAM and an arena placed in another region: the parts listed
    still add up to the linked total (the linker's alignment padding included)."""
    from simulator.analyze import analyze
    from simulator.report.analysis import render_analysis

    a = analyze(DIGITS, "stm32h743", **placement)
    d = a.to_dict()
    _check_schema(d)
    assert d["ran"] and d["bit_exact"]
    assert (d["ram_bytes"]["weights"] > 0) == (placement["weights"] == "dtcm")
    text = render_analysis(a)
    if "arena" in placement:
        assert "in sram123 (not in this total)" in text


def test_text_report_has_the_table_and_verdict():
    p = mcusim("analyze", DIGITS, "--board", "nrf52840", "--memory-plan")
    assert p.returncode == 0, p.stderr
    for text in ("params", "MACC", "flash", "arena", "scratch", "stack", "bit-exact  yes",
                 "CONV_2D", "ck_conv_s8_wrapper", "alias (in place)", "share", "offset",
                 "zero point", "weights"):
        assert text in p.stdout, text


def test_overflow_prints_report_json_and_exits_2():
    p = mcusim("analyze", MODELS / "resnet8.tflite", "--board", "stm32h743", "--ram", "16K",
               "--json")
    assert p.returncode == 2
    d = json.loads(p.stdout)
    _check_schema(d)
    assert d["fits"] is False and d["ran"] is False and d["ram_bytes"]["total"] > 16384
    # not run: nothing measured is reported as measured (a CI check on bit_exact == false
    # must not read a RAM overflow as a bit mismatch)
    assert d["bit_exact"] is None and d["instructions"] is None and d["cycles"] is None
    assert d["ram_bytes"]["stack_peak"] is None and d["flash_bytes"]["code"] is None
    assert all(layer["bit_exact"] is None and layer["instructions"] is None for layer in d["layers"])
    assert "does not fit" in p.stderr and "over by" in p.stderr and "live" in p.stderr


def test_bad_inputs_give_one_line_errors_and_exit_2(tmp_path):
    bad = tmp_path / "x.npy"
    np.save(bad, np.zeros((2, 2), np.int8))
    p = mcusim("analyze", DIGITS, "--board", "stm32h743", "--input", bad)
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and "input shape [2, 2]" in p.stderr
    junk = tmp_path / "junk.tflite"
    junk.write_bytes(b"not a model at all")
    p = mcusim("analyze", junk, "--board", "stm32h743")
    assert p.returncode == 2 and "junk.tflite" in p.stderr and "internal error" not in p.stderr
    p = mcusim("analyze", tmp_path / "missing.tflite", "--board", "stm32h743")
    assert p.returncode == 2 and "not found" in p.stderr


def test_bit_mismatch_exits_1_and_names_the_layer(monkeypatch, capsys):
    """A wrong reference value for layer 2 stands in for a wrong kernel: same code path."""
    import simulator.analyze as an
    from simulator.cli import main

    real = an.run_graph

    def tampered(graph, inputs):
        values = real(graph, inputs)
        out = graph.ops[2].outputs[0]
        values[out] = values[out].copy()
        values[out].reshape(-1)[5] ^= 1
        return values
    monkeypatch.setattr(an, "run_graph", tampered)
    assert main(["analyze", str(DIGITS), "--board", "stm32h743", "--json"]) == 1
    captured = capsys.readouterr()
    d = json.loads(captured.out)
    assert d["bit_exact"] is False and d["fits"] is True
    assert [l["bit_exact"] for l in d["layers"]][:3] == [True, True, False]
    assert "layer 2 (CONV_2D" in captured.err and "flat index 5" in captured.err
    assert "NHWC [0, 0, 0, 5]" in captured.err


def test_caches_off_costs_wait_states_and_keeps_the_bits():
    on = json.loads(mcusim("analyze", MODELS / "digits_cnn.tflite", "--board", "stm32f746", "--json").stdout)
    off = json.loads(mcusim("analyze", MODELS / "digits_cnn.tflite", "--board", "stm32f746", "--json",
                            "--caches", "off").stdout)
    assert on["bit_exact"] and off["bit_exact"]
    assert on["instructions"] == off["instructions"]
    assert off["cycles"] > on["cycles"]


def test_lowering_errors_name_the_file(tmp_path):
    """An error raised far from the loader (here: the LOGISTIC reference refuses a float input
    with an int8 output) still names the model file."""
    from simulator.frontend import ModelBuilder, save_tflite

    b = ModelBuilder("float_logistic")
    x = b.input((1, 4), scale=0.1, zero_point=0)
    f = b.dequantize(x)
    z = b.tensor(b.shape(f), scale=1 / 256, zero_point=-128)    # float32 in, int8 out: no kernel
    b.op("LOGISTIC", [f], [z])
    b.output(z)
    path = tmp_path / "float_logistic.tflite"
    save_tflite(b.build(), path)
    p = mcusim("analyze", path, "--board", "stm32h743")
    assert p.returncode == 2
    line = p.stderr.strip().splitlines()[-1]
    assert line.startswith(f"mcusim: error: {path}: op #1 (LOGISTIC)"), line


def test_progress_reports_stages_and_every_layer():
    from simulator.analyze import analyze

    seen = []
    a = analyze(MODELS / "digits_cnn.tflite", "stm32h743", progress=seen.append)
    n = len(a.layers)
    # lowering (integers only) comes first: its plan is the RAM check before the reference
    assert seen[:3] == ["loading the model", "lowering to C", "running the NumPy reference"]
    assert seen[3].startswith("compiling with zig")
    assert [s for s in seen if ": layer " in s] == [f"emulating stm32h743: layer {i}/{n}" for i in range(1, n + 1)]


def test_progress_line_appears_only_on_a_terminal():
    p = mcusim("analyze", MODELS / "digits_cnn.tflite", "--board", "stm32h743")
    assert p.returncode == 0 and "emulating" not in p.stderr and "\r" not in p.stderr


def test_a_real_analysis_reads_back_into_report_and_compare(tmp_path, capsys):
    """analyze --json -> file -> report and compare: the same Analysis comes back, and the same
    file compared with itself is within any limit, also under --strict."""
    from simulator.analyze import analyze
    from simulator.cli import main
    from simulator.report.result import load_analysis

    a = analyze(DIGITS, "stm32h743")
    src = tmp_path / "a.json"
    src.write_text(json.dumps(a.to_dict()))
    back = load_analysis(src)
    assert back.to_dict() == a.to_dict()
    assert sum(back.ram_parts.values()) == back.ram_total == a.ram_total
    assert main(["report", str(src)]) == 0
    md = capsys.readouterr().out
    assert "✅ fits, bit-exact" in md and f"| input | 0 | {a.inputs[0].name} | 1x8x8x1 | int8 |" in md
    assert main(["compare", str(src), str(src), "--strict", "--fail-on", "cycles:0%"]) == 0
    assert "warning" not in capsys.readouterr().err
