"""simulator/validate.py against its oracles: analyze (cycles, outputs), the NumPy reference
(bits, accuracy), hand-computed and scikit-learn metrics, one worker against two."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from simulator.analyze import analyze
from simulator.errors import ConfigError, InexactInput
from simulator.frontend import load_model
from simulator.npy import CastNote
from simulator.quantize.runner import run_batch
from simulator.validate import dequantize, error_metrics, validate


def test_metrics_by_hand():
    m = error_metrics(np.array([3.0, 4.0]), np.array([3.0, 0.0]))
    assert m["rmse"] == pytest.approx(np.sqrt(8.0)) and m["mae"] == pytest.approx(2.0)
    assert m["l2r"] == pytest.approx(0.8) and m["cos"] == pytest.approx(0.6)
    assert error_metrics(np.zeros(2), np.ones(2))["l2r"] is None      # no norm to divide by


def test_each_sample_is_bit_exact_and_costs_what_analyze_says(digits):
    v = validate(digits["int8"], "stm32h743", data=digits["x"][:3], labels=digits["y"][:3])
    assert v.bit_exact and v.samples == 3 and v.mismatches == []
    for i in range(3):
        a = analyze(digits["int8"], "stm32h743", input=digits["x"][i:i + 1])
        assert v.cycles[i] == a.cycles and v.instructions[i] == a.instructions
        assert np.array_equal(v.outputs[i], a.output)


def test_accuracy_and_metrics_against_the_float_model(digits):
    from sklearn.metrics import mean_absolute_error, mean_squared_error

    v = validate(digits["int8"], "stm32h743", data=digits["dir"] / "x.npy",
                 labels=digits["dir"] / "y.npy", float_model=digits["float"])
    q = load_model(digits["int8"])
    (ref,) = run_batch(q, digits["x"])[:1]                       # the int8 model's NumPy reference
    want_acc = float(np.mean(ref.reshape(24, -1).argmax(1) == digits["y"]))
    assert v.accuracy == want_acc
    (f,) = run_batch(load_model(digits["float"]), digits["x"])[:1]
    f = f.reshape(24, -1).astype(np.float64)
    got = dequantize(q, v.outputs).reshape(24, -1)
    assert v.metrics["rmse"] == pytest.approx(np.sqrt(mean_squared_error(f, got)))
    assert v.metrics["mae"] == pytest.approx(mean_absolute_error(f, got))
    assert v.float_accuracy == float(np.mean(f.argmax(1) == digits["y"]))
    assert 0.9 < v.metrics["cos"] <= 1.0 + 1e-12        # a sane quantization of the same model
    d = v.to_dict()
    assert d["schema"] == "mcusim.validation/1" and d["cycles_kind"] == "cold"
    assert d["cycles"]["min"] <= d["cycles"]["median"] <= d["cycles"]["max"]


def test_two_workers_give_what_one_gives(digits):
    one = validate(digits["int8"], "stm32h743", data=digits["x"][:20], workers=1)
    two = validate(digits["int8"], "stm32h743", data=digits["x"][:20], workers=2)
    assert two.workers == 2
    assert one.cycles == two.cycles and np.array_equal(one.outputs, two.outputs)


def test_a_single_sample_with_or_without_its_batch_axis(digits):
    a = validate(digits["int8"], "generic-m4", data=digits["x"][5])
    b = validate(digits["int8"], "generic-m4", data=digits["x"][5:6])
    assert a.samples == b.samples == 1 and a.cycles == b.cycles


def test_float64_data_is_cast_when_exact_and_refused_when_not(digits):
    x64 = digits["x"][:2].astype(np.float64)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        v = validate(digits["int8"], "generic-m4", data=x64)
    assert v.bit_exact and any(issubclass(w.category, CastNote) for w in caught)
    x64[1, 2, 3, 0] = 0.1                                   # 0.1 has no exact float32
    with pytest.raises(InexactInput, match=r"0\.1 at index \[1, 2, 3, 0\]"):
        validate(digits["int8"], "generic-m4", data=x64)


@pytest.mark.parametrize("data, labels, words", [
    (np.zeros((2, 9, 8, 1), np.float32), None, "sample 0: input shape"),
    (np.zeros((2, 2, 8, 8, 1), np.float32), None, "neither a batch"),
    (np.zeros((2, 8, 8, 1), np.float32), np.zeros(3, np.int64), r"expected \[2\] class indices"),
])
def test_bad_data_and_labels_are_named_errors(digits, data, labels, words):
    with pytest.raises(ConfigError, match=words):
        validate(digits["int8"], "generic-m4", data=data, labels=labels)


def test_workers_must_be_a_positive_count(digits):
    with pytest.raises(ConfigError, match="--workers 0"):
        validate(digits["int8"], "generic-m4", data=digits["x"][:1], workers=0)
