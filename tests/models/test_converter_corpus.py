"""Every model of models/converter_corpus/ (Keras models as TF's converter writes them) either
runs as TFLite Micro runs it, or is refused with the named error its row expects.

``EXPECTED`` is the table to flip when an op or scheme lands: "bit-exact" rows load, and our
NumPy reference agrees with TFLM's interpreter (bit for bit on integer outputs; within float32
rounding of the sums on float outputs, as tests/models/test_real_converter_model.py explains);
the ``FIRMWARE`` subset also runs on the emulated STM32H743, bit-exact against the reference.
"error: ..." rows must raise a ModelError (exit 2 through the CLI) whose text holds the
fragment, which names the op by index and TFLite name.
"""
from pathlib import Path

import numpy as np
import pytest

from simulator.analyze import analyze
from simulator.cli import main
from simulator.errors import ModelError
from simulator.frontend import load_tflite
from simulator.frontend.tflm_oracle import run_tflm
from simulator.reference.graph import run_graph

CORPUS = Path(__file__).resolve().parents[2] / "models" / "converter_corpus"
BOARD = "stm32h743"
EXACT = "bit-exact"

HYBRID = "dynamic-range (hybrid) quantization: int8 weights"
INT16_IN = "is int16; code generation needs int8 or float32"
UNKNOWN_SHAPES = "op #6 (RESHAPE): tensor #27: the new shape computed at import is [1, 8, 8, 4]"
NO_REFERENCE = "no NumPy reference for TILE"


def _rows() -> dict[str, str]:
    rows = {}
    models = ["add_skip", "batchnorm_folded", "concat_skip", "conv1d_gap", "conv_nobias_relu6_gap",
              "conv_relu_flatten", "conv_relu_flatten_batch1", "dense_sigmoid", "dense_softmax",
              "dense_tanh", "depthwise_nobias_stride2", "depthwise_pointwise", "hard_swish",
              "hybrid_conv", "hybrid_dense", "leaky_relu", "multiply_squeeze_excite",
              "pool_max_avg", "reshape_conv", "separable_relu", "zero_padding"]
    first_op = {"conv1d_gap": "EXPAND_DIMS", "reshape_conv": "RESHAPE", "zero_padding": "PAD",
                "dense_sigmoid": "FULLY_CONNECTED", "dense_softmax": "FULLY_CONNECTED",
                "dense_tanh": "FULLY_CONNECTED", "hybrid_dense": "FULLY_CONNECTED",
                "depthwise_nobias_stride2": "DEPTHWISE_CONV_2D",
                "depthwise_pointwise": "DEPTHWISE_CONV_2D", "separable_relu": "DEPTHWISE_CONV_2D"}
    for m in models:
        for variant in ("f32", "int8", "int8fio"):
            rows[f"{m}_{variant}"] = EXACT
        if m != "hard_swish":                    # the converter has no 16x8 HARD_SWISH
            rows[f"{m}_int16x8"] = f"error: op #0 ({first_op.get(m, 'CONV_2D')}): tensor #0: " \
                                   f"model input " + "{name} " + INT16_IN
    rows["hybrid_conv_dynamic"] = f"error: op #0 (CONV_2D): {HYBRID}"
    rows["hybrid_dense_dynamic"] = f"error: op #0 (FULLY_CONNECTED): {HYBRID}"
    for variant in ("f32", "int8", "int16x8"):
        rows[f"upsampling_nearest_{variant}"] = "error: " + UNKNOWN_SHAPES
    rows["upsampling_nearest_int8fio"] = ("error: op #7 (RESHAPE): tensor #28: the new shape "
                                          "computed at import is [1, 8, 8, 4]")
    for variant in ("f32", "int8", "int16x8"):
        rows[f"upsampling_nearest_batch1_{variant}"] = "error: op #2 (TILE): " + NO_REFERENCE
    rows["upsampling_nearest_batch1_int8fio"] = "error: op #3 (TILE): " + NO_REFERENCE
    return rows


EXPECTED = _rows()
# Run on the emulated board too (the rest: reference vs TFLM only, to keep the file near a
# minute): one of each layer kind, the dynamic-batch Flatten, float I/O and a float model.
FIRMWARE = ["conv_relu_flatten_int8", "add_skip_int8", "concat_skip_int8fio",
            "depthwise_nobias_stride2_int8", "multiply_squeeze_excite_int8", "pool_max_avg_int8",
            "conv1d_gap_int8", "leaky_relu_int8", "hard_swish_int8", "zero_padding_int8",
            "dense_softmax_f32", "leaky_relu_f32", "hard_swish_f32"]


def _path(stem: str) -> Path:
    return CORPUS / f"{stem}.tflite"


def _sample(graph, seed=0) -> np.ndarray:
    t = graph.tensor(graph.inputs[0])
    rng = np.random.default_rng(seed)
    if t.dtype == "float32":
        return rng.normal(0.0, 1.0, t.shape).astype(np.float32)
    info = np.iinfo(t.dtype)
    return rng.integers(info.min, info.max + 1, t.shape).astype(t.dtype)


def test_the_table_covers_every_committed_model():
    assert sorted(p.stem for p in CORPUS.glob("*.tflite")) == sorted(EXPECTED)
    assert set(FIRMWARE) <= {k for k, v in EXPECTED.items() if v == EXACT}


@pytest.mark.parametrize("stem", sorted(k for k, v in EXPECTED.items() if v == EXACT))
def test_reference_agrees_with_tflm(stem):
    path = _path(stem)
    g = load_tflite(path)
    assert not any(op.opcode in ("SHAPE", "STRIDED_SLICE", "PACK") for op in g.ops)
    for seed in (0, 1):
        x = _sample(g, seed)
        ours = run_graph(g, [x])[g.outputs[0]]
        theirs = run_tflm(path.read_bytes(), x)[0]
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        if ours.dtype == np.float32:
            np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
        else:
            assert np.array_equal(ours, theirs)


@pytest.mark.parametrize("stem", FIRMWARE)
def test_firmware_is_bit_exact(stem):
    g = load_tflite(_path(stem))
    x = _sample(g)
    a = analyze(_path(stem), BOARD, input=x)
    assert a.fits and a.bit_exact
    assert np.array_equal(a.output, run_graph(g, [x])[g.outputs[0]])


def _fragment(stem: str) -> str:
    fragment = EXPECTED[stem].removeprefix("error: ")
    if "{name}" in fragment:
        g = load_tflite(_path(stem))
        fragment = fragment.replace("{name}", repr(g.tensor(g.inputs[0]).name))
    return fragment


@pytest.mark.parametrize("stem", sorted(k for k, v in EXPECTED.items() if v != EXACT))
def test_unsupported_models_are_refused_by_name(stem):
    with pytest.raises(ModelError) as info:
        analyze(_path(stem), BOARD)
    assert _fragment(stem) in str(info.value)
    assert info.value.op_index is not None and info.value.opcode


@pytest.mark.parametrize("stem", ["hybrid_conv_dynamic", "leaky_relu_int16x8"])
def test_the_cli_refuses_with_one_line_and_exit_2(stem, capsys):
    assert main(["analyze", str(_path(stem)), "--board", BOARD]) == 2
    err = capsys.readouterr().err
    assert _fragment(stem) in err and "Traceback" not in err
    if "hybrid" in stem:
        assert "representative_dataset" in err and "TFLITE_BUILTINS_INT8" in err


@pytest.mark.parametrize("stem", ["conv_relu_flatten_f32", "multiply_squeeze_excite_f32"])
def test_our_quantization_of_the_converters_float_model_matches_tflm(stem):
    """The folded graph (no SHAPE/STRIDED_SLICE/PACK left) goes through mcusim's PTQ and our
    writer, and TFLM runs the result as our reference does."""
    from simulator.frontend import save_tflite
    from simulator.quantize import quantize_graph

    g = load_tflite(_path(stem))
    shape = g.tensor(g.inputs[0]).shape
    calib = np.random.default_rng(0).normal(0.0, 1.0, (32,) + shape[1:]).astype(np.float32)
    q = quantize_graph(g, calib, int8_io=True)
    data = save_tflite(q)
    x = np.random.default_rng(1).integers(-128, 128, shape).astype(np.int8)
    assert np.array_equal(run_graph(q, [x])[q.outputs[0]], run_tflm(data, x)[0])


def test_readme_counts_are_this_table():
    """The README's corpus sentence quotes this table's counts: it fails when a row flips."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    exact = sum(v == EXACT for v in EXPECTED.values())
    text = " ".join(readme.split())
    assert (f"runs {exact} bit-exact against TFLM and checks that the other "
            f"{len(EXPECTED) - exact}") in text
    assert f"the {len(EXPECTED)} files of `models/converter_corpus/`" in text
