"""RAM-aware schedules on the bundled MLPerf-shaped models (docs/scheduling.md): at 32 KB,
VWW fits with a patch schedule and ResNet-8 with its residual blocks row by row, both
bit-exact (every checked layer, the printed output, and TFLM's interpreter); at 16 KB ResNet-8
fits with no schedule, and the overflow names the smallest need reached and the op that sets
its peak."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from simulator.analyze import analyze, prepare_input
from simulator.frontend import load_tflite

MODELS = Path(__file__).resolve().parents[2] / "models"
PROVENANCE = json.loads((MODELS / "provenance.json").read_text())


@pytest.mark.slow
def test_vww_fits_32k_with_patches_bit_exact():
    path = MODELS / PROVENANCE["vww_mobilenet_v1_025"]["file"]
    a = analyze(path, "stm32h743", ram="32K")
    assert a.fits and a.ran, a.overflow
    assert a.bit_exact and all(l.bit_exact for l in a.layers), a.mismatch
    assert a.ram_total <= 32 * 1024
    ch = a.schedule
    assert ch.chosen == "patch" and [c.schedule for c in ch.candidates] == ["plain", "inplace",
                                                                           "patch"]
    assert not ch.candidates[0].fits and not ch.candidates[1].fits
    assert ch.best.patches.endswith("for layers 0-3")
    assert ch.baseline_cycles and a.cycles > ch.baseline_cycles     # patches recompute halos
    pytest.importorskip("tflite_micro")
    from simulator.frontend.tflm_oracle import run_tflm
    (y,) = run_tflm(path.read_bytes(), prepare_input(load_tflite(path)))
    assert np.array_equal(a.output, y.reshape(a.output.shape))


@pytest.mark.slow
def test_resnet8_fits_32k_row_by_row_bit_exact():
    path = MODELS / PROVENANCE["resnet8"]["file"]
    a = analyze(path, "stm32h743", ram="32K")
    assert a.fits and a.ran, a.overflow
    assert a.bit_exact and all(l.bit_exact for l in a.layers), a.mismatch
    ch = a.schedule
    assert [c.schedule for c in ch.candidates] == ["plain", "inplace", "rows"]
    assert ch.chosen == "rows" and ch.best.row_blocks == [(1, 3), (4, 7)]
    assert not ch.candidates[1].fits and a.ram_total <= 32 * 1024
    pytest.importorskip("tflite_micro")
    from simulator.frontend.tflm_oracle import run_tflm
    (y,) = run_tflm(path.read_bytes(), prepare_input(load_tflite(path)))
    assert np.array_equal(a.output, y.reshape(a.output.shape))


def test_resnet8_overflow_names_the_smallest_need():
    a = analyze(MODELS / PROVENANCE["resnet8"]["file"], "stm32h743", ram="16K")
    assert not a.fits and not a.ran
    ch = a.schedule
    assert [c.schedule for c in ch.candidates] == ["plain", "inplace", "rows"]  # no patch chain
    best = min(ch.candidates, key=lambda c: c.ram_total)
    assert ch.chosen == best.schedule == "rows"
    assert best.ram_total < ch.candidates[1].ram_total < ch.candidates[0].ram_total
    assert "no schedule fits" in a.overflow
    assert f"op #{best.peak_op} ({best.peak_opcode})" in a.overflow
