"""Import-time folding of shape arithmetic (frontend/shape_fold.py) and the refusal of
quantization schemes mcusim does not run (frontend/quant_schemes.py), on small graphs written
by our own writer; tests/models/test_converter_corpus.py does the same on TF's files."""
import numpy as np
import pytest

from simulator.errors import ModelError
from simulator.frontend import ModelBuilder, load_tflite, save_tflite
from simulator.frontend.shape_fold import fold_shape_ops


def _dynamic_flatten(b: ModelBuilder, x: int, shrink=True) -> int:
    """What TF's converter writes for Flatten() with a dynamic batch."""
    shape = b.tensor([4], "int32")
    b.op("SHAPE", [x], [shape])
    batch = b.tensor([] if shrink else [1], "int32")
    b.op("STRIDED_SLICE", [shape, b.const([0], "int32"), b.const([1], "int32"),
                           b.const([1], "int32")], [batch], shrink_axis_mask=int(shrink))
    target = b.tensor([2], "int32")
    if shrink:
        minus_one = b.tensor((), "int32", data=np.array(-1, np.int32))    # a scalar, as TF's
        b.op("PACK", [batch, minus_one], [target], values_count=2, axis=0)
    else:
        b.op("CONCATENATION", [batch, b.const([-1], "int32")], [target], axis=0)
    n = int(np.prod(b.shape(x)))
    y = b.tensor([1, n], "int8", scale=b.quant(x).scale, zero_point=b.quant(x).zero_point)
    b.op("RESHAPE", [x, target], [y])
    return y


@pytest.mark.parametrize("shrink", [True, False], ids=["pack", "concatenation"])
def test_dynamic_batch_flatten_folds_to_a_constant_shape(shrink):
    b = ModelBuilder()
    x = b.input([1, 3, 3, 2], scale=0.1)
    b.output(b.relu(_dynamic_flatten(b, b.relu(x), shrink)))
    g = load_tflite(save_tflite(b.build()))
    assert [op.opcode for op in g.ops] == ["RELU", "RESHAPE", "RELU"]
    assert [op.index for op in g.ops] == [0, 1, 2]
    assert [f["opcode"] for f in g.metadata["folded_ops"]] == [
        "SHAPE", "STRIDED_SLICE", "PACK" if shrink else "CONCATENATION"]
    shape = g.tensor(g.ops[1].inputs[1])
    assert shape.is_const and shape.data.tolist() == [1, -1]


def test_gather_and_arithmetic_on_constants_fold_but_activations_do_not():
    b = ModelBuilder()
    x = b.input([1, 2, 6], scale=0.1)
    shape = b.tensor([3], "int32")
    b.op("SHAPE", [x], [shape])
    dims = b.tensor([2], "int32")
    b.op("GATHER", [shape, b.const([1, 2], "int32")], [dims], axis=0)
    prod = b.tensor([2], "int32")
    b.op("MUL", [dims, b.const([3, 1], "int32")], [prod])
    b.output(b.relu(x))                             # an activation: never folded
    g = fold_shape_ops(b.build())
    assert [op.opcode for op in g.ops] == ["RELU"]
    assert g.tensor(prod).data.tolist() == [6, 6]


def test_a_model_output_and_quantized_tensors_are_left_alone():
    b = ModelBuilder()
    x = b.input([1, 4], scale=0.1)
    shape = b.tensor([2], "int32")
    b.op("SHAPE", [x], [shape])
    b.output(shape)                                  # the graph's result: must stay an op
    g = fold_shape_ops(b.build())
    assert [op.opcode for op in g.ops] == ["SHAPE"] and not g.tensor(shape).is_const


def test_strided_slice_with_an_ellipsis_is_not_guessed():
    b = ModelBuilder()
    x = b.input([1, 4], scale=0.1)
    shape = b.tensor([2], "int32")
    b.op("SHAPE", [x], [shape])
    part = b.tensor([1], "int32")
    b.op("STRIDED_SLICE", [shape, b.const([0], "int32"), b.const([1], "int32"),
                           b.const([1], "int32")], [part], ellipsis_mask=1)
    b.output(b.relu(x), part)
    g = fold_shape_ops(b.build())
    assert [op.opcode for op in g.ops] == ["STRIDED_SLICE", "RELU"]


# ---- refused schemes ------------------------------------------------------------------------

def _float_fc_with_int8_weights(dequantize: bool) -> bytes:
    rng = np.random.default_rng(3)
    b = ModelBuilder()
    x = b.input([1, 8], dtype="float32")
    w = b.const(rng.integers(-127, 128, (4, 8)), "int8", scale=0.02)
    if dequantize:                                   # the DEQUANTIZE-of-weights form
        wf = b.tensor([4, 8], "float32")
        b.op("DEQUANTIZE", [w], [wf])
        w = wf
    y = b.tensor([1, 4], "float32")
    b.op("FULLY_CONNECTED", [x, w, -1], [y])
    b.output(y)
    return save_tflite(b.build())


@pytest.mark.parametrize("dequantize,opcode", [(False, "FULLY_CONNECTED"), (True, "DEQUANTIZE")])
def test_hybrid_models_are_refused_with_how_to_convert(dequantize, opcode):
    with pytest.raises(ModelError) as info:
        load_tflite(_float_fc_with_int8_weights(dequantize))
    err = info.value
    assert (err.op_index, err.opcode) == (0, opcode)
    assert "dynamic-range (hybrid)" in str(err)
    assert "representative_dataset" in str(err) and "TFLITE_BUILTINS_INT8" in str(err)
    assert "docs/supported-ops.md" in str(err)


def test_float16_weights_are_refused():
    b = ModelBuilder()
    x = b.input([1, 4], dtype="float32")
    w = b.const(np.ones((2, 4)), "float16")
    wf = b.tensor([2, 4], "float32")
    b.op("DEQUANTIZE", [w], [wf])
    y = b.tensor([1, 2], "float32")
    b.op("FULLY_CONNECTED", [x, wf, -1], [y])
    b.output(y)
    with pytest.raises(ModelError, match=r"op #0 \(DEQUANTIZE\): float16 weights"):
        load_tflite(save_tflite(b.build()))


def test_uint8_activations_are_refused():
    b = ModelBuilder()
    x = b.input([1, 4], scale=0.1, zero_point=128, dtype="uint8")
    y = b.tensor([1, 4], "uint8", scale=0.1, zero_point=128)
    b.op("RELU", [x], [y])
    b.output(y)
    with pytest.raises(ModelError, match=r"op #0 \(RELU\): uint8 activations"):
        load_tflite(save_tflite(b.build()))


def _conv(weight_axis: int, activation_per_channel=False) -> bytes:
    rng = np.random.default_rng(4)
    b = ModelBuilder()
    x = b.input([1, 4, 4, 2], scale=0.1)
    w = rng.integers(-127, 128, (3, 1, 1, 2))
    scales = np.full(w.shape[weight_axis], 0.01)
    wt = b.const(w, "int8", scale=scales, axis=weight_axis)
    bias = b.const(np.zeros(3), "int32", scale=np.full(3, 0.001), axis=0)
    y = b.tensor([1, 4, 4, 3], "int8", scale=[0.1, 0.2, 0.3] if activation_per_channel else 0.1,
                 zero_point=[0, 0, 0] if activation_per_channel else 0, axis=3)
    b.op("CONV_2D", [x, wt, bias], [y], padding="VALID", stride_h=1, stride_w=1)
    if activation_per_channel:
        z = b.tensor([1, 4, 4, 3], "int8", scale=0.1)
        b.op("RELU", [y], [z])
        y = z
    b.output(y)
    return save_tflite(b.build())


def test_per_channel_weights_on_the_wrong_axis_are_refused():
    load_tflite(_conv(0))                               # output channels: fine
    with pytest.raises(ModelError, match=r"op #0 \(CONV_2D\).*along axis 3; CONV_2D takes "
                                         r"per-channel scales only along its output channels, "
                                         r"axis 0"):
        load_tflite(_conv(3))


def test_per_channel_activations_are_refused():
    with pytest.raises(ModelError, match=r"op #1 \(RELU\): .*per-channel quantization of an "
                                         r"activation"):
        load_tflite(_conv(0, activation_per_channel=True))


def test_a_folded_shape_that_contradicts_the_declared_one_is_refused():
    """The converter stores 1 for a dimension it cannot infer; the folded RESHAPE shape then
    disagrees with the file, and everything after it would be lowered with wrong shapes."""
    b = ModelBuilder()
    x = b.input([1, 2, 2, 2], scale=0.1)
    shape = b.tensor([4], "int32")
    b.op("SHAPE", [x], [shape])
    y = b.tensor([1, 1, 2, 2], "int8", scale=0.1)             # truly [1, 2, 2, 2]
    b.op("RESHAPE", [x, shape], [y])
    b.output(b.relu(y))
    with pytest.raises(ModelError, match=r"op #0 \(RESHAPE\): tensor #2: the new shape computed "
                                         r"at import is \[1, 2, 2, 2\], but the file declares "
                                         r"\[1, 1, 2, 2\]"):
        load_tflite(save_tflite(b.build()))


def test_a_hybrid_graph_built_in_python_is_refused_by_analyze_too():
    from simulator.analyze import analyze

    b = ModelBuilder()
    x = b.input([1, 8], dtype="float32")
    w = b.const(np.ones((4, 8)), "int8", scale=0.02)
    y = b.tensor([1, 4], "float32")
    b.op("FULLY_CONNECTED", [x, w, -1], [y])
    b.output(y)
    with pytest.raises(ModelError, match=r"op #0 \(FULLY_CONNECTED\): dynamic-range"):
        analyze(b.build(), "stm32h743")
