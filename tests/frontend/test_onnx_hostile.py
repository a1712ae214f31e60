"""Hostile ONNX files: each used to escape load_onnx as an IndexError, ValueError, OverflowError,
TypeError ... (issue 10, item 9); each is now a ModelError naming the file and what is wrong.
The long run is `benchmarks/fuzz_importer.py --target onnx`."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import AttributeProto

from simulator.errors import ModelError
from simulator.frontend.onnx_reader import load_onnx

from tests.helpers import onnx_models as om


def _node(m, name):
    return next(n for n in m.graph.node if n.name == name)


def _init(m, name):
    return next(t for t in m.graph.initializer if t.name == name)


def short_initializer(m):
    t = _init(m, "w1")
    t.raw_data = t.raw_data[:-4]


def huge_initializer(m):
    _init(m, "b1").dims[:] = [2**40]


def negative_dims(m):
    _init(m, "b1").dims[:] = [-4]


def wrong_data_type(m):
    _init(m, "b1").data_type = 8                      # STRING


def input_dim_2_62(m):
    m.graph.input[0].type.tensor_type.shape.dim[2].dim_value = 2**62


def opset_max(m):
    m.opset_import[0].version = 2**63 - 1
    _node(m, "conv1").attribute.add().CopyFrom(onnx.helper.make_attribute("group", 2**40))


def no_outputs(m):
    del _node(m, "relu1").output[:]


def no_inputs(m):
    del _node(m, "relu1").input[:]


def strides_zero(m):
    _node(m, "pool1").attribute.add().CopyFrom(onnx.helper.make_attribute("dilations", [1, 1]))
    a = next(a for a in _node(m, "pool1").attribute if a.name == "strides")
    a.ints[:] = [0, 2]


def pads_as_float(m):
    a = next(a for a in _node(m, "conv1").attribute if a.name == "pads")
    a.type, a.f = AttributeProto.FLOAT, 1.5
    del a.ints[:]


def auto_pad_not_utf8(m):
    _node(m, "conv1").attribute.add().CopyFrom(onnx.helper.make_attribute("auto_pad", b"\xff"))


def kernel_shape_long(m):
    a = next(a for a in _node(m, "pool1").attribute if a.name == "kernel_shape")
    a.ints[:] = [2**63 - 1, 2]


def bias_wrong_size(m):
    t = _init(m, "b1")
    t.dims[:] = [2]
    t.raw_data = t.raw_data[:8]


def batchnorm_wrong_size(m):
    t = _init(m, "g")
    t.dims[:] = [2]
    t.raw_data = t.raw_data[:8]


def constant_of_strings(m):
    m.graph.node.insert(0, onnx.helper.make_node("Constant", [], ["lo"], value=onnx.helper.make_tensor(
        "v", onnx.TensorProto.STRING, [1], [b"s"])))
    del m.graph.initializer[[t.name for t in m.graph.initializer].index("lo")]


def clip_bound_vector(m):
    t = _init(m, "hi")
    t.CopyFrom(onnx.numpy_helper.from_array(np.array([6, 7], np.float32), "hi"))


@pytest.mark.parametrize("mutate", [
    short_initializer, huge_initializer, negative_dims, wrong_data_type, input_dim_2_62, opset_max,
    no_outputs, no_inputs, strides_zero, pads_as_float, auto_pad_not_utf8, kernel_shape_long,
    bias_wrong_size, batchnorm_wrong_size, constant_of_strings, clip_bound_vector,
], ids=lambda f: f.__name__)
def test_hostile_model_is_a_model_error_naming_the_file(tmp_path, mutate):
    m = om.cnn()
    mutate(m)
    path = tmp_path / "m.onnx"
    path.write_bytes(m.SerializeToString())
    with pytest.raises(ModelError) as info:
        load_onnx(path)
    assert info.value.path == str(path) and str(path) in str(info.value)
    assert "malformed node (" not in str(info.value), "caught only by the last-resort branch"


def test_reshape_with_a_nan_shape_and_concat_without_axis(tmp_path):
    reshape = om.single("Reshape", [1, 3, 4, 5], {"s": np.array([1, np.nan], np.float64)}, ["s"])
    concat = om.single("Concat", [1, 3, 4, 5], inputs=["x"])
    for k, m in enumerate((reshape, concat)):
        path = tmp_path / f"m{k}.onnx"
        path.write_bytes(m.SerializeToString())
        with pytest.raises(ModelError, match="shape|axis"):
            load_onnx(path)
