"""benchmarks/kernel_cycles.py --before: earlier --json runs printed beside today's figures."""
import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("kernel_cycles", ROOT / "benchmarks" / "kernel_cycles.py")
kernel_cycles = importlib.util.module_from_spec(_spec)
sys.modules["kernel_cycles"] = kernel_cycles
_spec.loader.exec_module(kernel_cycles)


def row(board, layer, per_mac, inner=None):
    return {"board": board, "layer": layer, "per_mac": per_mac, "inner_per_mac": inner}


def run_file(tmp_path, name, rows, elementwise=()):
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"benchmark": "kernel_cycles", "rows": rows,
                                "elementwise": list(elementwise)}))
    return path


def test_columns_oldest_first_then_now(tmp_path):
    old = run_file(tmp_path, "old-model", [row("b1", "conv", 1.5, 0.84), row("b1", "fc", 1.0)],
                   [{"board": "b1", "layer": "add", "per_element": 12.0}])
    mid = run_file(tmp_path, "old-kernels", [row("b1", "conv", 1.93, 1.148)])
    before = kernel_cycles.load_before([old, mid])
    now = [row("b1", "conv", 1.29, 0.738), row("b1", "fc", 1.04)]
    text = kernel_cycles.before_after(before, now,
                                      [{"board": "b1", "layer": "add", "per_element": 11.04}])
    lines = text.splitlines()
    assert "| layer (int8) | old-model | old-kernels | now |" in lines
    assert "| conv | 1.50 (0.84) | 1.93 (1.15) | 1.29 (0.74) |" in lines
    assert "| fc | 1.00 | - | 1.04 |" in lines          # absent from the middle run
    assert "| add | 12.00 | - | 11.04 |" in lines


def test_boards_get_one_table_each(tmp_path):
    old = run_file(tmp_path, "a", [row("b1", "conv", 2.0), row("b2", "conv", 3.0)])
    text = kernel_cycles.before_after(kernel_cycles.load_before([old]),
                                      [row("b1", "conv", 1.0), row("b2", "conv", 4.0)], [])
    b1, b2 = text.split("b2, cycles per MAC")
    assert "| conv | 2.00 | 1.00 |" in b1 and "| conv | 3.00 | 4.00 |" in b2


@pytest.mark.parametrize("content", ["not json", json.dumps({"benchmark": "sim_speed", "rows": []}),
                                     json.dumps({"benchmark": "kernel_cycles"})])
def test_a_file_that_is_not_a_kernel_cycles_run_is_named(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(SystemExit, match="bad.json"):
        kernel_cycles.load_before([path])


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(SystemExit, match="nowhere.json"):
        kernel_cycles.load_before([tmp_path / "nowhere.json"])
