"""Writer -> reader round trips: every builder op survives save_tflite/load_tflite unchanged."""
from __future__ import annotations

import numpy as np
import pytest

from simulator.frontend import ModelBuilder, load_tflite, save_tflite
from simulator.errors import ModelError
from simulator.frontend.schema import BUILTIN_CODES, OPERATOR_OPTIONS, OPTION_TABLES
from simulator.reference.graph import run_graph
from tests.helpers.builder_graphs import all_ops_graph


def assert_same_graph(g1, g2):
    assert (g1.inputs, g1.outputs) == (g2.inputs, g2.outputs)
    assert len(g1.tensors) == len(g2.tensors)
    for t1, t2 in zip(g1.tensors, g2.tensors):
        assert (t1.name, t1.shape, t1.dtype) == (t2.name, t2.shape, t2.dtype)
        assert (t1.quant is None) == (t2.quant is None)
        if t1.quant is not None:
            np.testing.assert_allclose(t1.quant.scale, t2.quant.scale, rtol=1e-7)
            np.testing.assert_array_equal(t1.quant.zero_point, t2.quant.zero_point)
            assert t1.quant.axis == t2.quant.axis
        assert t1.is_const == t2.is_const
        if t1.is_const:
            assert t1.data.dtype == t2.data.dtype
            np.testing.assert_array_equal(t1.data, t2.data)
    assert [(o.opcode, o.inputs, o.outputs, o.options) for o in g1.ops] == \
        [(o.opcode, o.inputs, o.outputs, o.options) for o in g2.ops]


@pytest.mark.parametrize("external", [False, True])
def test_write_read_equal(external):
    g = all_ops_graph()
    data = save_tflite(g, external_buffers=external)
    assert data[4:8] == b"TFL3"
    assert_same_graph(g, load_tflite(data))


def test_rewrite_is_byte_identical(tmp_path):
    first = save_tflite(all_ops_graph(), tmp_path / "m.tflite")
    g = load_tflite(tmp_path / "m.tflite")
    assert g.name == "m" and g.source == str(tmp_path / "m.tflite")
    assert save_tflite(g) == first


def test_options_are_named_and_defaulted():
    g = load_tflite(save_tflite(all_ops_graph()))
    conv = next(op for op in g.ops if op.opcode == "CONV_2D")
    assert conv.options == {"padding": "VALID", "stride_w": 1, "stride_h": 2,
                            "fused_activation_function": "RELU6", "dilation_w_factor": 1,
                            "dilation_h_factor": 1}
    assert next(op for op in g.ops if op.opcode == "MEAN").options == {"keep_dims": True}
    for op in g.ops:
        table = OPERATOR_OPTIONS.get(op.opcode)
        names = [f[0] for f in OPTION_TABLES[table]] if table else []
        assert sorted(op.options) == sorted(names), op.opcode


def test_per_channel_quant_axes():
    g = load_tflite(save_tflite(all_ops_graph()))
    conv = next(op for op in g.ops if op.opcode == "CONV_2D")
    dw = next(op for op in g.ops if op.opcode == "DEPTHWISE_CONV_2D")
    assert g.tensors[conv.inputs[1]].quant.axis == 0
    assert g.tensors[dw.inputs[1]].quant.axis == 3
    assert g.tensors[dw.inputs[1]].quant.scale.size == 6
    bias = g.tensors[conv.inputs[2]]
    assert bias.dtype == "int32"
    np.testing.assert_allclose(bias.quant.scale,
                               0.05 * g.tensors[conv.inputs[1]].quant.scale, rtol=1e-6)


def test_unknown_and_custom_opcodes_are_not_import_errors():
    b = ModelBuilder("odd")
    x = b.input((1, 4), 0.1, 0)
    y = b.tensor((1, 4), "int8", 0.1, 0)
    z = b.tensor((1, 4), "int8", 0.1, 0)
    b.op("CUSTOM:MyOp", [x], [y], custom_options=b"\x01\x02")
    b.op("BUILTIN_250", [y], [z])          # beyond schema.fbs's BuiltinOperator enum
    b.op("HARD_SWISH", [z], [b.tensor((1, 4), "int8", 0.1, 0)])
    b.output(len(b.tensors) - 1)
    g = load_tflite(save_tflite(b.build()))
    assert [op.opcode for op in g.ops] == ["CUSTOM:MyOp", "BUILTIN_250", "HARD_SWISH"]
    assert g.ops[0].options == {"custom_options": b"\x01\x02"}
    assert BUILTIN_CODES["HARD_SWISH"] == 117


def test_ops_mcusim_does_not_run_are_named_by_their_tflite_names():
    """A builtin code from schema.fbs that mcusim has no reference for (SHAPE, 77, as the
    Keras converter emits for a dynamic batch) reads as its name, and the error says it."""
    b = ModelBuilder("shape_op")
    x = b.input((1, 4), 0.1, 0)
    b.op("BUILTIN_77", [x], [b.tensor((2,), "int32")])
    b.output(len(b.tensors) - 1)
    g = load_tflite(save_tflite(b.build()))
    assert [op.opcode for op in g.ops] == ["SHAPE"]
    with pytest.raises(ModelError, match=r"op #0 \(SHAPE\): no NumPy reference for SHAPE"):
        run_graph(g, [np.zeros((1, 4), np.int8)])
