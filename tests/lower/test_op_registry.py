"""One registration per op: the rules table, the emitters, PTQ, ModelBuilder and the ONNX
reader all read an op's facts from its reference registration (reference/spec.py OpSpec)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import simulator
from simulator.frontend import onnx_reader
from simulator.frontend.builder import ModelBuilder
from simulator.lower.lowering import EMITTERS
from simulator.lower.rules import load_rules
from simulator.quantize import ptq
from simulator.reference.registry import all_specs, fixed_outputs, spec_for

PACKAGE = Path(simulator.__file__).resolve().parent


def test_every_rule_row_has_a_reference_and_an_emitter():
    for rule in load_rules():
        assert rule.op in all_specs(), f"{rule.op}: rule row without a reference registration"
        assert rule.emitter in EMITTERS, f"{rule.op}: emitter {rule.emitter!r} does not exist"


def test_generic_unary_rows_have_kernel_fields():
    rows = [r for r in load_rules() if r.emitter == "unary"]
    assert {r.op for r in rows} >= {"RELU", "RELU6", "LOGISTIC", "TANH", "LEAKY_RELU",
                                    "HARD_SWISH"}
    for rule in rows:
        assert spec_for(rule.op).params is not None, f"{rule.op}: 'unary' row, no params"


def test_quantization_facts_are_tflites():
    """The values of the TFLite int8 quantization spec, read back through PTQ's tables."""
    assert ptq.WEIGHT_AXIS == {"CONV_2D": 0, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": 0}
    assert ptq.FIXED_OUTPUT == {"SOFTMAX": (1 / 256, -128), "LOGISTIC": (1 / 256, -128),
                                "TANH": (1 / 128, 0)}
    # TFLite's quantization spec: "input and outputs must all have same scale/zero_point"
    assert ptq.SHARED_QUANT == {"RESHAPE", "SQUEEZE", "MAX_POOL_2D", "AVERAGE_POOL_2D", "PAD",
                                "CONCATENATION", "TRANSPOSE", "STRIDED_SLICE", "GATHER", "PACK",
                                "RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR", "MAXIMUM",
                                "MINIMUM"}


@pytest.mark.parametrize("op", ["LOGISTIC", "TANH", "SOFTMAX"])
def test_builder_takes_fixed_outputs_from_the_registration(op):
    b = ModelBuilder()
    x = b.input((1, 8), scale=0.1, zero_point=0)
    y = getattr(b, op.lower())(x)
    q = b.quant(y)
    assert (float(q.scalar_scale), q.scalar_zero_point) == fixed_outputs()[op]


def test_onnx_supported_is_its_converter_table():
    assert onnx_reader.SUPPORTED == tuple(sorted(onnx_reader.CONVERTERS))
    one_to_one = {name: op for op, s in all_specs().items() for name in s.onnx}
    assert one_to_one == {"Relu": "RELU", "Sigmoid": "LOGISTIC", "Tanh": "TANH", "Add": "ADD",
                          "Mul": "MUL", "Sub": "SUB", "HardSwish": "HARD_SWISH"}
    assert set(one_to_one) <= set(onnx_reader.CONVERTERS)


def _private_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [f"{node.module}.{a.name}" for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            and (node.level > 0 or (node.module or "").startswith("simulator"))
            for a in node.names if a.name.startswith("_")]


@pytest.mark.parametrize("path", sorted((PACKAGE / "lower").glob("emitters*.py"))
                         + [PACKAGE / "lower" / "kernel_call.py",
                            PACKAGE / "reference" / "registry.py"],
                         ids=lambda p: p.name)
def test_emitters_import_no_private_names(path):
    assert _private_imports(path) == []


def test_supported_ops_doc_is_generated_from_the_rules():
    from simulator.lower.rules import SUPPORTED_OPS_DOC, render_supported_ops
    doc = PACKAGE.parent / SUPPORTED_OPS_DOC
    assert doc.read_text() == render_supported_ops(), (
        f"{SUPPORTED_OPS_DOC} is stale: python -m simulator.lower.supported_ops > "
        f"{SUPPORTED_OPS_DOC}")
    for rule in load_rules():
        assert f"| {rule.op} | {rule.dtype} |" in doc.read_text()
