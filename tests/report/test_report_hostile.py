"""Analysis files and baselines are untrusted input: absurd nesting, values and sizes are one
ConfigError line, and a report's cost does not grow with the layer count past a bound
(issue 10, item 9)."""
from __future__ import annotations

import json
import struct

import pytest

from simulator import cli
from simulator.errors import ConfigError
from simulator.report.baseline import load_baseline
from simulator.report.plots import MAX_BARS, _bars, layer_cost_png, memory_timeline_png
from simulator.report.result import load_analysis

from .conftest import as_analysis, make_analysis


def _png_size(png: bytes) -> tuple[int, int]:
    return struct.unpack(">II", png[16:24])              # IHDR width, height


@pytest.mark.parametrize("command", ["report", "compare"])
def test_deeply_nested_json_is_one_line(tmp_path, capsys, command):
    src = tmp_path / "a.json"
    src.write_text("[" * 100_000 + "]" * 100_000)
    args = [command, str(src)] + ([str(src)] if command == "compare" else [])
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err == f"mcusim: error: {src}: not JSON: nested too deeply\n"


@pytest.mark.parametrize("path, value, words", [
    (("cycles",), 10**400, "is not a count"), (("layers", 1, "macc"), -5, "is not a count"),
    (("memory_plan", "tensors", 0, "offset"), 2**64, "is not a count"),
    (("layers", 0, "share"), float("nan"), "is not a count"), (("ram_bytes", "arena"), "12", "expected int"),
])
def test_absurd_values_are_refused(tmp_path, path, value, words):
    a = make_analysis()
    target = a
    for k in path[:-1]:
        target = target[k]
    target[path[-1]] = value
    src = tmp_path / "a.json"
    src.write_text(json.dumps(a))
    with pytest.raises(ConfigError, match=words):
        load_analysis(src)


def test_a_4000_layer_report_draws_bounded_charts():
    a = make_analysis()
    base = a["layers"]
    a["layers"] = [dict(base[i % 4], index=i, name=f"layer_{i}") for i in range(4000)]
    a["memory_plan"]["tensors"] = [{"index": i, "name": f"t{i}", "offset": (i % 50) * 64, "size": 64,
                                    "first_op": max(i - 1, 0), "last_op": i} for i in range(4000)]
    a = as_analysis(a)
    values, labels, rest = _bars(a.layers, "cycles")
    assert len(values) == MAX_BARS and rest == 4000 - (MAX_BARS - 1)
    assert sum(values) == sum(layer.cycles for layer in a.layers)     # nothing lost, only folded
    assert labels[-1] == f"the other {rest:,} layers"
    assert _png_size(layer_cost_png(a))[1] < 3000             # was 1.2 + 0.32 * 4000 inches tall
    assert _png_size(memory_timeline_png(a))[1] < 1000


@pytest.mark.parametrize("entry", [{"board": "b", "cycles": "12", "instructions": 5},
                                   {"board": "b", "cycles": None, "instructions": "5"},
                                   {"board": 3, "cycles": None, "instructions": 5},
                                   {"board": "b", "cycles": None, "instructions": True},
                                   {"board": "b", "cycles": -1, "instructions": 5}])
def test_baseline_values_are_checked(tmp_path, entry):
    path = tmp_path / "base.json"
    path.write_text(json.dumps({"t.py::test_x": entry}))
    with pytest.raises(ConfigError, match=r"entry 't.py::test_x' is not"):
        load_baseline(path)


def test_baseline_nested_too_deeply(tmp_path):
    path = tmp_path / "base.json"
    path.write_text("[" * 100_000)
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_baseline(path)
