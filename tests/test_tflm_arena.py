"""TFLite Micro's arena (simulator/tflm_arena.py) against the tflite-micro package, and the fit
verdict per backend (simulator/fit.py).

Oracle: the package's RecordingMicroAllocator (head, tail, total) on every bundled model TFLM
can run. The replica's head must equal the package's; its tail leaves out the kernels' OpData,
the parsed options and the allocator's bookkeeping, so it is below the package's by a positive
amount of at most REPLICA_SHORTFALL (module docstring: 1,136-3,760 B measured)."""
from pathlib import Path
from types import SimpleNamespace

import pytest

from simulator.errors import ConfigError
from simulator.fit import judge_fit
from simulator.frontend import load_model
from simulator.tflm_arena import REPLICA_SHORTFALL, replica, tflm_arena

MODELS = Path(__file__).resolve().parents[2] / "models"
RUNNABLE = ["ds_cnn", "resnet8", "vww_mobilenet_v1_025", "fc_autoencoder", "digits_cnn", "digits_float",
            "fashion_float"]


def _package():
    pytest.importorskip("tflite_micro", reason="the tflite-micro package is the oracle")
    from simulator.tflm_arena import from_package
    return from_package


@pytest.mark.parametrize("name", RUNNABLE)
def test_replica_against_the_package(name):
    from_package = _package()
    path = MODELS / f"{name}.tflite"
    measured = from_package(path.read_bytes())
    ours = replica(load_model(path))
    assert measured is not None and measured.bytes == measured.head + measured.tail
    assert ours.head == measured.head
    assert 0 < measured.tail - ours.tail <= REPLICA_SHORTFALL, (ours, measured)


def test_ds_cnn_figure_is_the_issues():
    """Issue 15 quotes TFLM's arena for DS-CNN: 24,372 B (mcusim's plan: 16,000 B)."""
    _package()
    path = MODELS / "ds_cnn.tflite"
    t = tflm_arena(load_model(path), path.read_bytes())
    assert (t.bytes, t.head, t.tail) == (24372, 16000, 8372) and t.source.startswith("tflite-micro")


def test_model_tflm_cannot_run_has_no_figure_and_no_bytes_means_replica():
    _package()
    path = MODELS / "digits_binary_mixed.tflite"          # mcusim's binary layers: CUSTOM ops for TFLM
    assert tflm_arena(load_model(path), path.read_bytes()) is None
    assert tflm_arena(load_model(MODELS / "ds_cnn.tflite")).source == "replica"


def _analysis(limit: int, tflm: dict | None):
    return SimpleNamespace(arena=16000, scratch=256, ram_total=20380, ram_limit=limit, arena_in_ram=True,
                           tflm_arena=tflm)


def test_fit_is_judged_per_backend():
    tflm = {"bytes": 24372, "head": 16000, "tail": 8372, "source": "tflite-micro"}
    a = _analysis(24 * 1024, tflm)
    assert judge_fit(a, "mcusim").fits and judge_fit(a, "mcusim").ram_needed == 20380
    verdict = judge_fit(a, "tflm")
    assert verdict.ram_needed == 20380 - 16000 - 256 + 24372 and not verdict.fits
    assert judge_fit(_analysis(verdict.ram_needed, tflm), "cmsis-nn").fits       # exactly at the limit
    assert judge_fit(_analysis(1 << 20, None), "tflm") is None
    with pytest.raises(ConfigError, match="no fit rule"):
        judge_fit(a, "no-such-kernels")
