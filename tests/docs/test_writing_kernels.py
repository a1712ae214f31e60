"""docs/writing-kernels.md works as written: its kernel.c runs from the CLI, its Python call
returns the right value, and its parametrized pytest passes on every board it names.

The code blocks are taken from the document itself, so an example that stops working (a
changed API, a budget the cycle model no longer meets) fails here.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "writing-kernels.md"
RMS_1234 = float(np.sqrt(np.mean(np.float32([1, 2, 3, 4]) ** 2)))


def _blocks() -> list[tuple[str, str]]:
    return re.findall(r"```(\w+)\n(.*?)```", DOC.read_text(), re.S)


def _block(lang: str, marker: str) -> str:
    found = [body for kind, body in _blocks() if kind == lang and marker in body]
    assert len(found) == 1, f"expected one {lang} block containing {marker!r} in {DOC.name}"
    return found[0]


@pytest.fixture
def kernel_dir(tmp_path, monkeypatch):
    (tmp_path / "kernel.c").write_text(_block("c", "/* kernel.c */"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_kernel_runs_from_the_cli(kernel_dir):
    cmd = [sys.executable, "-m", "simulator.cli", "run", "kernel.c", "--board", "rp2040", "-O", "s", "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["stdout"] == "rms = 2.738613\n"
    assert "-Os" in out["build"]["compile"]


def test_the_python_call_returns_the_rms(kernel_dir):
    ns: dict = {}
    exec(_block("python", "x = np.array([1, 2, 3, 4]"), ns)   # noqa: S102 - the document's own example
    r = ns["r"]
    assert r.float_value == pytest.approx(RMS_1234, rel=1e-6)
    assert r.cycles > 0 and r.instructions > 0


@pytest.mark.parametrize("board", ["rp2040", "nrf52840", "stm32h743"])
def test_the_parametrized_pytest_passes_on_every_board_it_names(kernel_dir, board):
    ns: dict = {}
    exec(_block("python", "# test_rms.py"), ns)         # noqa: S102
    assert board in ns["BUDGET"]
    from simulator import Machine
    fw = Machine(board).build(["kernel.c"])
    for n in (1, 7, 64, 1000):
        ns["test_rms"](fw, n)
