"""`mcusim analyze` reports TFLite Micro's arena beside mcusim's plan and judges fit with it."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_ds_cnn_fits_mcusims_plan_but_not_tflms_arena_in_24k():
    pytest.importorskip("tflite_micro", reason="the tflite-micro package gives TFLM's figure")
    args = [sys.executable, "-m", "simulator.cli", "analyze", str(REPO / "models" / "ds_cnn.tflite"),
            "--board", "stm32h743", "--ram", "24K"]
    p = subprocess.run(args + ["--json"], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    t = d["tflm_arena"]
    assert d["fits"] and d["ram_bytes"]["total"] <= 24576
    assert t["bytes"] == 24372 and t["head"] == 16000 and not t["fits"]
    assert t["ram_needed"] == d["ram_bytes"]["total"] - d["ram_bytes"]["arena"] - d["ram_bytes"]["scratch"] + 24372
    text = subprocess.run(args, capture_output=True, text=True, timeout=600).stdout
    assert "TFLM arena 24,372 B" in text and "does not fit" in text
