"""ONNX LeakyRelu, PRelu, HardSwish, Sub, Max and Min: imported onto LEAKY_RELU, PRELU,
HARD_SWISH, SUB, MAXIMUM and MINIMUM; our float32 reference against ONNX's own evaluator
(allclose, as test_onnx_reader.py explains), the float model bit-exact through analyze, and
the named errors for what is not imported."""
from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnx.reference")
from onnx import helper  # noqa: E402

from simulator.analyze import analyze  # noqa: E402
from simulator.errors import ModelError  # noqa: E402
from simulator.frontend import load_onnx  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

from simulator.frontend import ir_outputs_to_onnx, onnx_inputs_to_ir  # noqa: E402
from simulator.reference.graph import run_graph  # noqa: E402
from tests.helpers import onnx_models as om  # noqa: E402


def save(tmp_path, model, name="m"):
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, path)
    return path


def compare(tmp_path, model, seed=0):
    """ONNX's evaluator on NCHW input vs our float reference on the imported graph (allclose:
    different float implementations, as test_onnx_reader.py explains)."""
    g = load_onnx(save(tmp_path, model))
    shape = [d.dim_value or 1 for d in model.graph.input[0].type.tensor_type.shape.dim]
    for k in range(3):
        x = (np.random.default_rng(seed + k).normal(size=shape) * 2).astype(np.float32)
        want = ReferenceEvaluator(model).run(None, {"x": x})
        values = run_graph(g, onnx_inputs_to_ir(g, x))
        got = ir_outputs_to_onnx(g, [values[o] for o in g.outputs])
        for w, y in zip(want, got):
            assert y.shape == w.shape
            np.testing.assert_allclose(y, w, rtol=1e-5, atol=1e-6)
    return g


def test_arithmetic_matches_onnx_evaluator(tmp_path):
    g = compare(tmp_path, om.arithmetic(), seed=30)
    assert [op.opcode for op in g.ops] == ["CONV_2D", "LEAKY_RELU", "PRELU", "HARD_SWISH", "SUB",
                                           "MAXIMUM", "MINIMUM", "MINIMUM"]
    assert g.ops[1].options["alpha"] == pytest.approx(0.15)
    assert g.tensor(g.ops[2].inputs[1]).shape == (1, 1, 1, 4)     # slope [C,1,1] -> NHWC


def test_arithmetic_model_is_bit_exact_through_analyze(tmp_path):
    path = save(tmp_path, om.arithmetic())
    x = np.random.default_rng(31).normal(size=(1, 2, 5, 5)).astype(np.float32)
    a = analyze(path, "stm32h743", input=x)
    assert a.fits and a.ran and a.bit_exact, a.mismatch
    assert {"ck_leaky_relu_f32", "ck_prelu_f32", "ck_hard_swish_f32", "ck_sub_f32",
            "ck_maximum_f32", "ck_minimum_f32"} <= {layer.kernel for layer in a.layers}


def test_leaky_relu_default_alpha_is_onnxs(tmp_path):
    g = compare(tmp_path, om.single("LeakyRelu", [1, 3, 4, 5], y_shape=[1, 3, 4, 5]))
    assert g.ops[0].options["alpha"] == pytest.approx(0.01)


@pytest.mark.parametrize("model,what", [
    (lambda: om.single("Max", [1, 3], inputs=("x", "x"), y_shape=[1, 3]), "Max of 3 inputs"),
    (lambda: om.single("PRelu", [1, 3, 2, 2], inputs=("x",), y_shape=[1, 3, 2, 2]),
     "constant slope"),
])
def test_unsupported_forms_are_named(tmp_path, model, what):
    with pytest.raises(ModelError, match=what):
        load_onnx(save(tmp_path, model()))
