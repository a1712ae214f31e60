"""ONNX float import: our float32 reference on the imported (NHWC) graph against ONNX's own
evaluator (onnx.reference.ReferenceEvaluator) on the original (NCHW) model, the layout and
padding mappings, and the named errors.

The compare is ``allclose`` with a tight tolerance, not bit equality: the two are different
implementations of float math (ONNX's evaluator sums with NumPy's pairwise/BLAS order and its
own exp; ours mirrors the C kernels' order, and BatchNorm is folded into the conv weights), so
only the last few bits may differ. Everything below the importer (reference vs C kernels) is
compared bit for bit in test_onnx_end_to_end.py and tests/kernels/."""
from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

from simulator.errors import ModelError  # noqa: E402
from simulator.frontend import ir_outputs_to_onnx, load_onnx, onnx_inputs_to_ir  # noqa: E402
from simulator.reference.graph import run_graph  # noqa: E402
from tests.helpers import onnx_models as om  # noqa: E402

RTOL, ATOL = 1e-5, 1e-6


def save(tmp_path, model, name="m"):
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, path)
    return path


def input_shape(model):
    return [d.dim_value or 1 for d in model.graph.input[0].type.tensor_type.shape.dim]


def compare(tmp_path, model, seed=0, name="m"):
    """ONNX evaluator on NCHW input vs our reference on the imported graph; returns the graph."""
    g = load_onnx(save(tmp_path, model, name))
    for k in range(3):
        x = (np.random.default_rng(seed + k).normal(size=input_shape(model)) * 2).astype(np.float32)
        want = ReferenceEvaluator(model).run(None, {"x": x})
        values = run_graph(g, onnx_inputs_to_ir(g, x))
        got = ir_outputs_to_onnx(g, [values[o] for o in g.outputs])
        for w, y in zip(want, got):
            assert y.shape == w.shape
            np.testing.assert_allclose(y, w, rtol=RTOL, atol=ATOL)
    return g


def test_cnn_matches_onnx_evaluator(tmp_path):
    g = compare(tmp_path, om.cnn())
    assert [op.opcode for op in g.ops] == ["CONV_2D", "RELU", "MAX_POOL_2D", "PAD",
                                           "DEPTHWISE_CONV_2D", "RELU6", "RESHAPE",
                                           "FULLY_CONNECTED", "SOFTMAX"]
    assert g.tensor(g.inputs[0]).shape == (1, 8, 8, 3)          # NHWC, symbolic batch -> 1
    conv, dw = g.ops[0], g.ops[4]
    assert conv.options["padding"] == "SAME"                     # pads [1,1,1,1], k3 s1
    assert g.tensor(conv.inputs[1]).shape == (4, 3, 3, 3)        # [O, KH, KW, I]
    assert g.tensor(conv.inputs[2]).is_const                     # BatchNorm folded into bias
    assert dw.options["padding"] == "VALID" and dw.options["depth_multiplier"] == 1
    assert g.tensor(dw.inputs[1]).shape == (1, 3, 3, 4)          # [1, KH, KW, O]
    assert g.tensor(g.ops[3].inputs[1]).data.tolist() == [[0, 0], [0, 2], [1, 1], [0, 0]]
    assert g.metadata["onnx"]["inputs"][0]["layout"] == "nhwc"


def test_more_ops_match_onnx_evaluator(tmp_path):
    g = compare(tmp_path, om.more_ops(), seed=10)
    ops = [op.opcode for op in g.ops]
    assert ops == ["CONV_2D", "LOGISTIC", "MUL", "ADD", "PAD", "TANH", "AVERAGE_POOL_2D",
                   "MAX_POOL_2D", "CONCATENATION", "MUL", "ADD", "MEAN", "RESHAPE",
                   "FULLY_CONNECTED", "RELU", "SOFTMAX"]          # MatMul + Add: one FC
    assert g.ops[2].opcode == "MUL" and g.tensor(g.ops[2].inputs[1]).shape == (1, 1, 1, 4)
    assert g.ops[8].options["axis"] == 3                          # ONNX channel axis 1 -> 3
    assert g.ops[13].inputs[2] >= 0                               # the Add became the bias


def test_float_kernel_model_matches_onnx_evaluator(tmp_path):
    compare(tmp_path, om.float_kernels(), seed=20)


@pytest.mark.parametrize("op,attrs,x_shape", [
    ("MaxPool", dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]), [1, 3, 7, 7]),
    ("AveragePool", dict(kernel_shape=[2, 3], auto_pad="SAME_UPPER"), [1, 2, 5, 5]),
    ("AveragePool", dict(kernel_shape=[3, 3], strides=[2, 2]), [1, 2, 7, 7]),
    ("GlobalAveragePool", {}, [1, 3, 4, 5]),
    ("Relu", {}, [1, 3, 4, 5]),
    ("Softmax", dict(axis=1), [1, 6, 2, 3]),                 # over channels: IR's last axis
])
def test_4d_outputs_come_back_as_nchw(tmp_path, op, attrs, x_shape):
    compare(tmp_path, om.single(op, x_shape, **attrs))


def test_conv_padding_modes(tmp_path):
    rng = np.random.default_rng(3)
    w = rng.normal(size=(3, 2, 3, 3)).astype(np.float32)
    cases = [(dict(auto_pad="SAME_UPPER", strides=[2, 2]), "SAME", 0),
             (dict(auto_pad="SAME_LOWER", strides=[2, 2]), "VALID", 1),   # odd total: PAD
             (dict(pads=[2, 0, 0, 1]), "VALID", 1),
             (dict(pads=[0, 0, 0, 0], dilations=[2, 2]), "VALID", 0)]
    for k, (attrs, padding, n_pad) in enumerate(cases):
        g = compare(tmp_path, om.single("Conv", [1, 2, 7, 8], {"w": w}, ["w"], **attrs),
                    name=f"c{k}")
        conv = g.ops[-1]
        assert conv.options["padding"] == padding
        assert sum(op.opcode == "PAD" for op in g.ops) == n_pad


def test_opset_10_clip_and_pad_attributes(tmp_path):
    g = compare(tmp_path, om.single("Clip", [1, 3, 4, 4], opset=10, min=0.0, max=6.0))
    assert g.ops[0].opcode == "RELU6"
    g = compare(tmp_path, om.single("Pad", [1, 2, 3, 3], opset=10, pads=[0, 0, 1, 2, 0, 0, 0, 1],
                                    value=0.0), name="p")
    assert g.tensor(g.ops[0].inputs[1]).data.tolist() == [[0, 0], [1, 0], [2, 1], [0, 0]]


def test_pad_with_a_value_is_padv2(tmp_path):
    pads = np.array([0, 1, 0, 0, 0, 0, 1, 1], np.int64)
    value = np.array(-1.5, np.float32)
    g = compare(tmp_path, om.single("Pad", [1, 2, 3, 3], {"p": pads, "v": value}, ["p", "v"]))
    assert g.ops[0].opcode == "PADV2"


def error(tmp_path, model):
    with pytest.raises(ModelError) as err:
        load_onnx(save(tmp_path, model, "bad"))
    return str(err.value)


def test_unsupported_op_names_node_index_type_name_and_file(tmp_path):
    msg = error(tmp_path, om.single("Elu", [1, 2, 3, 3], alpha=0.1))
    assert "bad.onnx" in msg and "op #0 (Elu)" in msg and "'the_elu'" in msg
    assert "not supported" in msg and "Conv" in msg            # and what is


@pytest.mark.parametrize("model,what", [
    (lambda: om.single("Conv", [1, 4, 5, 5], {"w": np.ones((4, 2, 3, 3), np.float32)}, ["w"],
                       group=2), "group=2"),
    (lambda: om.single("MaxPool", [1, 2, 6, 6], kernel_shape=[3, 3], pads=[1, 1, 0, 0],
                       strides=[2, 2]), "neither TFLite SAME nor VALID"),
    (lambda: om.single("Clip", [1, 2, 3, 3], {"lo": np.array(-1, np.float32)}, ["lo"]),
     "Clip(-1.0, inf)"),
    (lambda: om.single("Softmax", [1, 2, 3, 3], axis=2), "only over the channels"),
    (lambda: om.single("Conv", [1, 2, 5, 5], inputs=["x"]), "must be a constant initializer"),
    (lambda: om.single("Pad", [1, 2, 3, 3], {"p": np.zeros(8, np.int64)}, ["p"], mode="reflect"),
     "mode='reflect'"),
])
def test_unsupported_attributes_are_named(tmp_path, model, what):
    msg = error(tmp_path, model())
    assert "bad.onnx" in msg and "op #0" in msg and what in msg


def test_reshape_that_needs_a_transpose_is_an_error(tmp_path):
    shape = np.array([1, 3, 20], np.int64)
    msg = error(tmp_path, om.single("Reshape", [1, 3, 4, 5], {"s": shape}, ["s"]))
    assert "would need a transpose" in msg


def test_not_onnx_and_int_inputs(tmp_path):
    bad = tmp_path / "junk.onnx"
    bad.write_bytes(b"\x00\x01not a protobuf at all\xff" * 3)
    with pytest.raises(ModelError, match="junk.onnx"):
        load_onnx(bad)
    node = helper.make_node("Relu", ["x"], ["y"])
    int8 = onnx.TensorProto.INT8
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", int8, [1, 4])],
                              [helper.make_tensor_value_info("y", int8, [1, 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(ModelError, match="only float32 models"):
        load_onnx(save(tmp_path, model, "ints"))
