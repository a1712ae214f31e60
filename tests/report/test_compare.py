"""`mcusim compare`: deltas, thresholds and exit codes."""
import json

import pytest

from simulator import cli
from simulator.errors import ConfigError
from simulator.report.compare import compare_analyses, violations

from .conftest import as_analysis, make_analysis, not_run


def _files(tmp_path, old, new):
    a, b = tmp_path / "old.json", tmp_path / "new.json"
    a.write_text(json.dumps(old))
    b.write_text(json.dumps(new))
    return str(a), str(b)


def test_deltas_per_layer_and_total():
    cmp = compare_analyses(as_analysis(make_analysis()), as_analysis(make_analysis(scale=1.1)))
    assert cmp.metric == "cycles"
    assert cmp.totals["cycles"].old == 55000 and cmp.totals["cycles"].new == 60500
    assert cmp.totals["cycles"].pct == pytest.approx(10.0)
    assert [round(d.pct, 1) for *_, d in cmp.layers] == [10.0, 10.0, 10.0, 10.0]
    assert violations(cmp, {"cycles": 5.0}) == ["cycles 55,000 -> 60,500 (+10.0%) exceeds cycles:5%"]
    assert violations(cmp, {"cycles": 15.0, "flash": 1.0, "ram": 1.0}) == []


def test_gate_exit_codes_and_message(tmp_path, capsys):
    old, new = _files(tmp_path, make_analysis(), make_analysis(scale=1.1))
    assert cli.main(["compare", old, new, "--fail-on", "cycles:5%,flash:1%,ram:1%"]) == 1
    captured = capsys.readouterr()
    assert "mcusim: regression: cycles 55,000 -> 60,500 (+10.0%) exceeds cycles:5%" in captured.err
    assert "conv2d_0" in captured.out
    assert cli.main(["compare", old, new, "--fail-on", "cycles:20%"]) == 0
    assert cli.main(["compare", new, old, "--fail-on", "cycles:5%"]) == 0        # faster is fine


def test_flash_and_ram_thresholds(tmp_path, capsys):
    bigger = make_analysis()
    bigger["flash_bytes"]["code"] += 500
    bigger["flash_bytes"]["total"] += 500
    bigger["ram_bytes"]["static"] += 10
    bigger["ram_bytes"]["total"] += 10
    old, new = _files(tmp_path, make_analysis(), bigger)
    assert cli.main(["compare", old, new, "--fail-on", "flash:1%,ram:1%"]) == 1
    err = capsys.readouterr().err
    assert "flash 11,600 -> 12,100 (+4.3%) exceeds flash:1%" in err
    assert "ram" not in err.replace("mcusim: regression: flash", "")


def test_without_cycles_compares_instructions_and_says_so(tmp_path, capsys):
    old, new = _files(tmp_path, make_analysis(cycles=False), make_analysis(cycles=False, scale=1.2))
    assert cli.main(["compare", old, new, "--fail-on", "cycles:5%", "--markdown"]) == 1
    captured = capsys.readouterr()
    assert "(no cycle counts: compared instructions)" in captured.err
    assert captured.out.startswith("### mcusim compare: kws_tiny on stm32h743 (no cycle counts")
    assert "| instructions |" in captured.out


@pytest.mark.parametrize("problem", ["missing", "not-json", "other-model", "other-layers", "bad-spec"])
def test_unreadable_or_mismatched_files_exit_2_with_one_line(tmp_path, capsys, problem):
    other = make_analysis(model="other") if problem == "other-model" else make_analysis()
    if problem == "other-layers":
        other["layers"].pop()
    old, new = _files(tmp_path, make_analysis(), other)
    if problem == "missing":
        new = str(tmp_path / "nope.json")
    if problem == "not-json":
        (tmp_path / "new.json").write_text("{oops")
    spec = "speed:5%" if problem == "bad-spec" else "cycles:5%"
    assert cli.main(["compare", old, new, "--fail-on", spec]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mcusim: error:") and err.count("\n") == 1, err


def _other_board(d: dict) -> dict:
    """The same model measured on a slower board with another toolchain (issue 14: cycles +91 %
    while latency went 0.68 -> 9.8 ms)."""
    d["board"], d["core"], d["clock_hz"] = "nrf52840", "m4", 64_000_000
    d["context"]["toolchain"] = "gcc 13.2.1"
    d["latency_ms"] = d["cycles"] * 1e3 / d["clock_hz"]
    return d


def test_latency_is_shown_next_to_cycles(tmp_path, capsys):
    old, new = _files(tmp_path, make_analysis(), _other_board(make_analysis(scale=1.91)))
    assert cli.main(["compare", old, new]) == 0
    out = capsys.readouterr().out
    cycles = next(line for line in out.splitlines() if line.startswith("cycles"))
    latency = next(line for line in out.splitlines() if line.startswith("latency"))
    assert "55,000" in cycles and "105,050" in cycles and "+91.0%" in cycles
    assert "0.115 ms" in latency and "1.641 ms" in latency and "+1332.5%" in latency


def test_a_different_context_warns_and_strict_refuses(tmp_path, capsys):
    old, new = _files(tmp_path, make_analysis(), _other_board(make_analysis()))
    assert cli.main(["compare", old, new]) == 0
    captured = capsys.readouterr()
    warning = ("measured under different contexts: board stm32h743 -> nrf52840; clock 480000000 -> 64000000; "
               "toolchain zig ziglang 0.13.0 -> gcc 13.2.1")
    assert f"mcusim: warning: {warning}" in captured.err
    assert f"warning: {warning}" in captured.out                   # and in the report itself
    assert cli.main(["compare", old, new, "--strict", "--markdown"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mcusim: error:") and err.count("\n") == 1 and "toolchain zig" in err
    same, _ = _files(tmp_path, make_analysis(), make_analysis())
    assert cli.main(["compare", same, same, "--strict"]) == 0
    assert "warning" not in capsys.readouterr().err


@pytest.mark.parametrize("key, old_value, new_value, words", [
    ("memory_model", "realistic", "ideal", "memory model realistic -> ideal"),
    ("flags", ["-O2"], ["-Os"], "flags -O2 -> -Os"),
    ("kernel_library", "cross_kernels sha256:aa", "cross_kernels sha256:bb", "kernel library"),
])
def test_each_context_fact_is_compared(key, old_value, new_value, words):
    old, new = make_analysis(), make_analysis()
    old["context"][key], new["context"][key] = old_value, new_value
    cmp = compare_analyses(as_analysis(old), as_analysis(new))
    assert len(cmp.context) == 1 and words in cmp.context[0]
    with pytest.raises(ConfigError, match="--strict"):
        compare_analyses(as_analysis(old), as_analysis(new), strict=True)


def test_a_run_that_did_not_happen_compares_as_not_measured(tmp_path, capsys):
    """An analysis that did not fit has no cycles, code size or layer costs: they show as –, never
    as a change to or from 0, and no limit is judged on them."""
    old, new = _files(tmp_path, make_analysis(), not_run(make_analysis()))
    assert cli.main(["compare", old, new, "--fail-on", "cycles:5%,flash:1%"]) == 0
    out = capsys.readouterr().out
    assert "-100.0%" not in out and "-30,000" not in out
    assert "kws_tiny on stm32h743 (new not run: its costs were not measured)" in out
    assert "42,000                 –       –  –" in out
