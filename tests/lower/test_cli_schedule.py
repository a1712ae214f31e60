"""`mcusim analyze --ram ... --schedule ...` from the command line: the chosen schedule in the
text report and the JSON, plain keeping today's overflow (exit 2), a bad name refused."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers.lower_graphs import chain
from simulator.frontend.tflite_writer import save_tflite
from tests.helpers.ram_needs import needs

ROOT = Path(__file__).resolve().parents[2]


def mcusim(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "simulator.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=600, env=env, cwd=ROOT)


def test_cli_budget_schedule(tmp_path):
    path = tmp_path / "chain.tflite"
    save_tflite(chain(), path)
    _, need = needs()
    budget = (need["inplace"] + need["plain"]) // 2
    r = mcusim("analyze", path, "--board", "stm32h743", "--ram", budget, "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["schedule"]["chosen"] == "inplace" and d["fits"] and d["bit_exact"]
    assert d["schedule"]["summary"].startswith("fits in ")
    r = mcusim("analyze", path, "--board", "stm32h743", "--ram", budget)
    assert r.returncode == 0 and "schedule   fits in " in r.stdout
    r = mcusim("analyze", path, "--board", "stm32h743", "--ram", budget, "--schedule", "plain")
    assert r.returncode == 2 and "does not fit" in r.stderr
    r = mcusim("analyze", path, "--schedule", "tiled")
    assert r.returncode == 2 and "invalid choice" in r.stderr
