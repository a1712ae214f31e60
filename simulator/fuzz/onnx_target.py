"""Fuzz target ``onnx``: structure-aware mutations of the test ONNX models through load_onnx.

Contract (simulator/frontend/onnx_reader.py): any file ends in a consistent Graph (the same
check as the .tflite harness) or a ModelError naming the file.

Seeds are the models tests/helpers/onnx_models.py builds (cnn, more_ops, float_kernels and
a few one-node models). A mutation edits the protobuf message, not bytes: an attribute of a node
gets a hostile value (empty, zero, negative, 2^31-1, 2^63-1, wrong length, wrong type), a node
loses or gains an input or output or names an unknown value, its op_type becomes another
supported op, an initializer's dims, data type or data no longer agree, a graph input gets a
huge, zero, negative or missing dimension or another rank, the opset becomes 0 or 2^63-1, nodes
are deleted, duplicated or reordered. Byte mutations (flips, truncation) cover the decoder.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

from ..errors import ModelError
from .harness import check_graph
from .targets import Target

SEED_SCRIPT = Path(__file__).resolve().parents[2] / "tests" / "helpers" / "onnx_models.py"
_SEEDS: list[tuple[str, bytes]] = []

INTS = [0, 1, 2, 3, -1, -2, 7, 64, 2**31 - 1, -(2**31), 2**32 + 1, 2**40, 2**63 - 1, -(2**63)]
DIMS = [0, 1, 3, -1, -5, 2**31 - 1, 2**40, 2**62, 2**63 - 1]
OPS = ["Conv", "BatchNormalization", "MaxPool", "AveragePool", "GlobalAveragePool", "Gemm",
       "MatMul", "Add", "Mul", "Relu", "Sigmoid", "Tanh", "Clip", "Identity", "Dropout", "Flatten",
       "Reshape", "Softmax", "Pad", "Concat", "Constant"]
ATTRS = ["kernel_shape", "strides", "pads", "dilations", "group", "axis", "transA", "transB",
         "alpha", "beta", "epsilon", "auto_pad", "mode", "min", "max", "value", "allowzero"]


def seeds() -> list[tuple[str, bytes]]:
    if not _SEEDS:
        if not SEED_SCRIPT.is_file():
            raise FileNotFoundError(f"the onnx target's seed models come from {SEED_SCRIPT} (a source checkout)")
        spec = importlib.util.spec_from_file_location("_mcusim_onnx_seed_models", SEED_SCRIPT)
        om = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(om)
        import numpy as np
        models = {"cnn": om.cnn(), "more_ops": om.more_ops(), "float_kernels": om.float_kernels(),
                  "conv": om.single("Conv", [1, 2, 5, 5], {"w": np.ones((3, 2, 3, 3), np.float32)}, ["w"],
                                    strides=[2, 2], dilations=[1, 1], pads=[1, 1, 1, 1]),
                  "reshape": om.single("Reshape", [1, 3, 4, 5], {"s": np.array([1, -1], np.int64)}, ["s"]),
                  "pad": om.single("Pad", [1, 2, 3, 3], {"p": np.array([0, 0, 1, 2, 0, 0, 0, 1], np.int64),
                                                         "v": np.array(0.5, np.float32)}, ["p", "v"]),
                  "clip10": om.single("Clip", [1, 3, 4, 4], opset=10, min=0.0, max=6.0),
                  "softmax": om.single("Softmax", [1, 10], axis=1),
                  "gemm": om.single("Gemm", [2, 4], {"w": np.ones((3, 4), np.float32),
                                                     "b": np.ones(3, np.float32)}, ["w", "b"], transB=1)}
        _SEEDS.extend((k, m.SerializeToString()) for k, m in models.items())
    return _SEEDS


def _hostile_attr(rng, a) -> None:
    from onnx import AttributeProto
    kind = rng.randrange(6)
    if kind == 0:
        a.type, a.ints[:] = AttributeProto.INTS, [rng.choice(INTS) for _ in range(rng.choice([0, 1, 2, 3, 4, 8]))]
    elif kind == 1:
        a.type, a.i = AttributeProto.INT, rng.choice(INTS)
    elif kind == 2:
        a.type, a.f = AttributeProto.FLOAT, rng.choice([float("nan"), float("inf"), -1.0, 0.0, 1e38])
    elif kind == 3:
        a.type, a.s = AttributeProto.STRING, rng.choice([b"", b"SAME_LOWER", b"NOTSET", b"VALID", b"\xff", b"edge"])
    elif kind == 4 and a.ints:
        a.ints[rng.randrange(len(a.ints))] = rng.choice(INTS)
    else:
        a.type = rng.choice([AttributeProto.INTS, AttributeProto.INT, AttributeProto.FLOAT,
                             AttributeProto.TENSOR, AttributeProto.GRAPH, AttributeProto.STRINGS])


def m_attr(rng, model) -> None:
    node = rng.choice(model.graph.node)
    if node.attribute and rng.random() < 0.7:
        _hostile_attr(rng, rng.choice(node.attribute))
    else:
        a = node.attribute.add()
        a.name = rng.choice(ATTRS)
        _hostile_attr(rng, a)


def m_node_io(rng, model) -> None:
    node = rng.choice(model.graph.node)
    names = [n for x in model.graph.node for n in x.output] + [i.name for i in model.graph.initializer]
    field = node.input if rng.random() < 0.7 else node.output
    choice = rng.randrange(5)
    if choice == 0 and field:
        del field[rng.randrange(len(field))]
    elif choice == 1:
        field.append(rng.choice(["", "nowhere", *names]))
    elif choice == 2 and field:
        field[rng.randrange(len(field))] = rng.choice(["", "nowhere", node.output[0] if node.output else "", *names])
    elif choice == 3:
        del field[:]
    else:
        field.extend(list(field) * 2)


def m_op_type(rng, model) -> None:
    rng.choice(model.graph.node).op_type = rng.choice(OPS + ["LeakyRelu", ""])


def m_initializer(rng, model) -> None:
    from onnx import TensorProto
    if not model.graph.initializer:
        return m_attr(rng, model)
    t = rng.choice(model.graph.initializer)
    choice = rng.randrange(6)
    if choice == 0:
        t.dims[:] = [rng.choice(DIMS) for _ in range(rng.choice([0, 1, 2, 4, 5]))]
    elif choice == 1 and t.dims:
        t.dims[rng.randrange(len(t.dims))] = rng.choice(DIMS)
    elif choice == 2 and t.raw_data:
        t.raw_data = t.raw_data[:rng.randrange(len(t.raw_data))]
    elif choice == 3:
        t.data_type = rng.choice([TensorProto.INT8, TensorProto.INT64, TensorProto.DOUBLE, TensorProto.STRING,
                                  TensorProto.FLOAT16, TensorProto.BOOL, 0, 77])
    elif choice == 4:
        t.ClearField("raw_data")
        t.float_data[:] = [float("nan"), float("inf"), 3e38][:rng.randrange(4)]
    else:
        t.name = rng.choice([n for x in model.graph.node for n in x.input] or ["x"])


def m_input(rng, model) -> None:
    if not model.graph.input:
        return
    vi = rng.choice(model.graph.input)
    tt = vi.type.tensor_type
    choice = rng.randrange(5)
    if choice == 0 and tt.shape.dim:
        d = tt.shape.dim[rng.randrange(len(tt.shape.dim))]
        d.dim_value = rng.choice(DIMS)
    elif choice == 1:
        del tt.shape.dim[rng.randrange(len(tt.shape.dim) + 1):]
    elif choice == 2:
        for _ in range(rng.choice([1, 2, 6])):
            tt.shape.dim.add().dim_value = rng.choice(DIMS)
    elif choice == 3:
        tt.elem_type = rng.choice([0, 2, 7, 11, 99])
    else:
        del model.graph.input[:]


def m_graph(rng, model) -> None:
    nodes = model.graph.node
    choice = rng.randrange(6)
    if choice == 0 and nodes:
        del nodes[rng.randrange(len(nodes))]
    elif choice == 1 and nodes:
        nodes.append(nodes[rng.randrange(len(nodes))])
    elif choice == 2 and len(nodes) > 1:
        order = list(nodes)
        rng.shuffle(order)
        del nodes[:]
        nodes.extend(order)
    elif choice == 3:
        model.opset_import[0].version = rng.choice([0, 1, 6, 10, 99, 2**63 - 1, -1])
    elif choice == 4:
        del model.graph.output[:]
    else:
        model.graph.output.add().name = rng.choice(["x", "nowhere", ""])


def m_constant(rng, model) -> None:
    import numpy as np
    from onnx import helper, numpy_helper
    target = rng.choice(model.graph.node)
    name = rng.choice(list(target.input) or ["c"])
    value = rng.choice([np.zeros((0,), np.float32), np.array(3e38, np.float32), np.ones((2, 3), np.int64),
                        np.array([2**62, -1], np.int64), np.array(["s"], object)])
    attrs = {"value": numpy_helper.from_array(value)} if rng.random() < 0.8 else {"value_float": 1.0}
    model.graph.node.insert(0, helper.make_node("Constant", [], [name], **attrs))
    for i in [i for i, t in enumerate(model.graph.initializer) if t.name == name][::-1]:
        del model.graph.initializer[i]


STRUCTURED = {"attr": m_attr, "node_io": m_node_io, "op_type": m_op_type, "initializer": m_initializer,
              "input": m_input, "graph": m_graph, "constant": m_constant}


def _bytes(rng, data: bytes) -> bytes:
    raw = bytearray(data)
    if rng.random() < 0.5:
        return bytes(raw[:rng.randrange(len(raw))])
    for _ in range(rng.choice([1, 2, 8])):
        raw[rng.randrange(len(raw))] = rng.randrange(256)
    return bytes(raw)


def make(rng) -> tuple[str, bytes]:
    import onnx
    _name, data = rng.choice(seeds())
    if rng.random() < 0.1:
        return "bytes", _bytes(rng, data)
    model = onnx.ModelProto.FromString(data)
    names = [rng.choice(sorted(STRUCTURED)) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
    for name in names:
        if model.graph.node:
            STRUCTURED[name](rng, model)
    return names[0] if len(names) == 1 else "+".join(names), model.SerializeToString()


def judge(data: bytes, workdir: Path) -> tuple[str, str]:
    from ..frontend.onnx_reader import load_onnx
    path = workdir / "case.onnx"
    path.write_bytes(data)
    try:
        graph = load_onnx(path)
    except ModelError as exc:
        if exc.path != str(path) or str(path) not in str(exc):
            return "bad_message", f"does not name the file: {exc}"
        if "malformed node (" in str(exc):
            return "fallback", str(exc)          # caught only by the reader's last resort
        return "rejected", str(exc)
    problem = check_graph(graph)
    return ("bad_message", f"inconsistent graph: {problem}") if problem else ("accepted", "")


TARGET = Target("onnx", make, judge, suffix=".onnx", setup=seeds)
