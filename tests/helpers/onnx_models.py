"""Small float32 ONNX models built with onnx.helper (no exporter needed), for the importer's
tests: each exercises a group of operators and the NCHW -> NHWC boundary."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


def _w(rng, *shape, scale=0.5):
    return (rng.normal(size=shape) * scale).astype(np.float32)


def _model(nodes, inits, inputs, outputs, opset=OPSET, name="m", check=True):
    graph = helper.make_graph(nodes, name, inputs, outputs,
                              [numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="mcusim-tests")
    model.ir_version = 8
    if check:                        # the checker wants output shapes, single() leaves them out
        onnx.checker.check_model(model)
    return model


def _io(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def cnn(seed=0):
    """Conv(SAME pads)+BatchNorm(folded)+Relu, MaxPool, depthwise Conv with asymmetric pads
    (-> PAD), Clip(0,6), Flatten of an NCHW map, Gemm(transB), Softmax. Symbolic batch."""
    rng = np.random.default_rng(seed)
    inits = {"w1": _w(rng, 4, 3, 3, 3), "b1": _w(rng, 4), "g": 1 + _w(rng, 4, scale=0.1),
             "beta": _w(rng, 4), "mu": _w(rng, 4, scale=0.1),
             "var": np.abs(_w(rng, 4)) + 0.5, "w2": _w(rng, 4, 1, 3, 3),
             "w3": _w(rng, 10, 4 * 4 * 4, scale=0.2), "b3": _w(rng, 10)}
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "g", "beta", "mu", "var"], ["bn1"],
                         name="bn1", epsilon=1e-3),
        helper.make_node("Relu", ["bn1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("Conv", ["p1", "w2"], ["c2"], name="dw", group=4, pads=[0, 1, 2, 1]),
        helper.make_node("Clip", ["c2", "lo", "hi"], ["r2"], name="relu6"),
        helper.make_node("Flatten", ["r2"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "w3", "b3"], ["logits"], name="fc", transB=1, alpha=0.5,
                         beta=2.0),
        helper.make_node("Softmax", ["logits"], ["y"], name="softmax"),
    ]
    inits["lo"], inits["hi"] = np.array(0, np.float32), np.array(6, np.float32)
    # depthwise: p1 is 4x4, k3, pads t0 l1 b2 r1 -> 6x6 padded -> 4x4 out
    return _model(nodes, inits, [_io("x", ["N", 3, 8, 8])], [_io("y", ["N", 10])])


def more_ops(seed=1):
    """1x1 Conv (auto_pad VALID), Sigmoid, per-channel Mul/Add constants, Pad, Tanh,
    AveragePool and MaxPool with SAME_UPPER, Concat on channels, BatchNorm after Concat
    (-> MUL + ADD), GlobalAveragePool, Flatten, MatMul + Add (-> bias), Relu, Dropout,
    Identity, Softmax."""
    rng = np.random.default_rng(seed)
    inits = {"w1": _w(rng, 4, 2, 1, 1), "m": _w(rng, 4, 1, 1), "a": _w(rng, 1, 4, 1, 1),
             "pads": np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64),
             "g": 1 + _w(rng, 8, scale=0.1), "beta": _w(rng, 8), "mu": _w(rng, 8, scale=0.1),
             "var": np.abs(_w(rng, 8)) + 0.5, "w2": _w(rng, 8, 5), "b2": _w(rng, 5)}
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], name="pw", auto_pad="VALID"),
        helper.make_node("Sigmoid", ["c1"], ["s1"], name="sig"),
        helper.make_node("Mul", ["s1", "m"], ["m1"], name="scale"),
        helper.make_node("Add", ["a", "m1"], ["a1"], name="shift"),
        helper.make_node("Pad", ["a1", "pads"], ["pd"], name="pad"),
        helper.make_node("Tanh", ["pd"], ["t1"], name="tanh"),
        helper.make_node("AveragePool", ["t1"], ["ap"], name="avg", kernel_shape=[3, 3],
                         auto_pad="SAME_UPPER"),
        helper.make_node("MaxPool", ["t1"], ["mp"], name="max", kernel_shape=[2, 2],
                         auto_pad="SAME_UPPER"),
        helper.make_node("Concat", ["ap", "mp"], ["cat"], name="cat", axis=1),
        helper.make_node("BatchNormalization", ["cat", "g", "beta", "mu", "var"], ["bn"],
                         name="bn"),
        helper.make_node("GlobalAveragePool", ["bn"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["f"], name="flat"),
        helper.make_node("MatMul", ["f", "w2"], ["mm"], name="mm"),
        helper.make_node("Add", ["mm", "b2"], ["fc"], name="bias"),
        helper.make_node("Relu", ["fc"], ["r"], name="relu"),
        helper.make_node("Dropout", ["r"], ["d"], name="drop"),
        helper.make_node("Identity", ["d"], ["i"], name="id"),
        helper.make_node("Softmax", ["i"], ["y"], name="softmax"),
    ]
    return _model(nodes, inits, [_io("x", [1, 2, 6, 6])], [_io("y", [1, 5])])


def float_kernels(seed=2):
    """The ops the new float32 C kernels run, end to end: Sigmoid, Tanh, per-channel Mul/Add
    (broadcast), Pad, Concat, GlobalAveragePool (MEAN), then Flatten + Gemm."""
    rng = np.random.default_rng(seed)
    inits = {"w1": _w(rng, 4, 2, 3, 3), "m": _w(rng, 4, 1, 1), "a": _w(rng, 4, 1, 1),
             "pads": np.array([0, 0, 1, 0, 0, 0, 0, 1], np.int64), "w2": _w(rng, 3, 8)}
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Sigmoid", ["c1"], ["s"], name="sig"),
        helper.make_node("Tanh", ["c1"], ["t"], name="tanh"),
        helper.make_node("Mul", ["s", "m"], ["sm"], name="mul"),
        helper.make_node("Add", ["t", "a"], ["ta"], name="add"),
        helper.make_node("Mul", ["sm", "ta"], ["prod"], name="gate"),
        helper.make_node("Concat", ["prod", "ta"], ["cat"], name="cat", axis=1),
        helper.make_node("Pad", ["cat", "pads"], ["pd"], name="pad"),
        helper.make_node("GlobalAveragePool", ["pd"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "w2"], ["y"], name="fc", transB=1),
    ]
    return _model(nodes, inits, [_io("x", [1, 2, 5, 5])], [_io("y", [1, 3])])


def single(op_type, x_shape, inits=None, inputs=(), outputs=1, y_shape=None, opset=OPSET,
           **attrs):
    """One node on input x (for error tests)."""
    node = helper.make_node(op_type, ["x", *inputs], [f"y{i}" for i in range(outputs)],
                            name=f"the_{op_type.lower()}", **attrs)
    return _model([node], inits or {}, [_io("x", list(x_shape))],
                  [_io(f"y{i}", None) for i in range(outputs)] if y_shape is None
                  else [_io("y0", list(y_shape))], opset=opset, check=y_shape is not None)


def arithmetic(seed=3):
    """Conv, then LeakyRelu(alpha), PRelu with a per-channel slope [C, 1, 1], HardSwish, Sub of
    a per-channel constant, Max and Min against a scalar and against another activation."""
    rng = np.random.default_rng(seed)
    inits = {"w": _w(rng, 4, 2, 3, 3), "slope": _w(rng, 4, 1, 1, scale=0.3),
             "mu": _w(rng, 1, 4, 1, 1), "lo": np.array(-0.5, np.float32),
             "hi": np.array([1.5], np.float32)}
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("LeakyRelu", ["c"], ["l"], name="leaky", alpha=0.15),
        helper.make_node("PRelu", ["c", "slope"], ["p"], name="prelu"),
        helper.make_node("HardSwish", ["p"], ["h"], name="hswish"),
        helper.make_node("Sub", ["h", "mu"], ["s"], name="sub"),
        helper.make_node("Max", ["s", "lo"], ["m"], name="max"),
        helper.make_node("Min", ["m", "l"], ["n"], name="min_act"),
        helper.make_node("Min", ["n", "hi"], ["y"], name="min_const"),
    ]
    return _model(nodes, inits, [_io("x", [1, 2, 5, 5])], [_io("y", [1, 4, 5, 5])])
