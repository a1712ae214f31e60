"""Named errors: malformed model, ops without a reference or a kernel, unsupported options,
bad inputs, and the bit-mismatch message."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulator.analyze import analyze, compare_layer, prepare_input
from simulator.boards import get_board
from simulator.errors import BitMismatch, ConfigError, ModelError
from simulator.frontend import ModelBuilder, load_tflite, save_tflite
from simulator.lower import lower_graph
from simulator.reference.graph import run_graph

MODELS = Path(__file__).resolve().parents[2] / "models"


def _tiny(extra=None):
    b = ModelBuilder("tiny")
    x = b.input((1, 4, 4, 2), scale=0.1, zero_point=0)
    y = b.relu(x)
    if extra:
        y = extra(b, y)
    b.output(y)
    return b.build()


def test_malformed_tflite_is_a_model_error(tmp_path):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"TFL3" + bytes(range(200)))
    with pytest.raises(ModelError) as err:
        analyze(bad, "stm32h743")
    assert "bad.tflite" in str(err.value)


def test_custom_op_without_reference_names_op_and_what_is_missing():
    def custom(b, y):
        z = b.tensor(b.shape(y), scale=0.1, zero_point=0)
        b.op("CUSTOM_FANCY", [y], [z])
        return z
    with pytest.raises(ModelError) as err:
        analyze(_tiny(custom), "stm32h743")
    msg = str(err.value)
    assert err.value.op_index == 1 and "op #1 (CUSTOM_FANCY)" in msg and "no NumPy reference" in msg


def test_op_without_a_kernel_names_op_and_what_is_missing():
    """LOGISTIC from float32 to int8 has a NumPy reference but no C kernel (kernels exist for
    float32 -> float32 and int8 -> int8)."""
    def float_to_int8_logistic(b, y):
        f = b.dequantize(y)
        z = b.tensor(b.shape(f), scale=1 / 256, zero_point=-128)
        b.op("LOGISTIC", [f], [z])
        return z
    g = _tiny(float_to_int8_logistic)
    with pytest.raises(ModelError) as err:
        lower_graph(g, get_board("stm32h743"))
    msg = str(err.value)
    assert "op #2 (LOGISTIC)" in msg and "no C kernel" in msg and "float32->int8" in msg


def test_unsupported_option_names_op():
    def conv_tanh(b, y):
        w = np.ones((3, 1, 1, 2), np.float32)
        return b.conv2d(y, w, activation="RELU", out_scale=0.1, out_zp=0)
    g = _tiny(conv_tanh)
    g.ops[1].options["fused_activation_function"] = "TANH"
    with pytest.raises(ModelError) as err:
        lower_graph(g, get_board("stm32h743"))
    assert "op #1 (CONV_2D)" in str(err.value) and "TANH" in str(err.value)


def test_model_built_in_python_runs_bit_exact(tmp_path):
    def body(b, y):
        w = np.random.default_rng(0).normal(size=(4, 3, 3, 2)).astype(np.float32)
        c = b.conv2d(y, w, activation="RELU", out_scale=0.2, out_zp=-128)
        s = b.squeeze(b.mean(c, (1, 2), keep_dims=True, out_scale=0.1, out_zp=-128), (1, 2))
        return b.add(s, s, out_scale=0.2, out_zp=0)
    path = tmp_path / "built.tflite"
    path.write_bytes(save_tflite(_tiny(body)))
    a = analyze(path, "nrf52840")
    assert a.bit_exact, a.mismatch
    assert [l.op for l in a.layers] == ["RELU", "CONV_2D", "MEAN", "SQUEEZE", "ADD"]


def test_input_shape_and_dtype_are_checked(tmp_path):
    g = load_tflite(MODELS / "digits_cnn.tflite")
    with pytest.raises(ConfigError, match=r"input shape \[1, 8, 8\]"):
        prepare_input(g, np.zeros((1, 8, 8), np.int8))
    with pytest.raises(ConfigError, match="dtype int16"):
        prepare_input(g, np.zeros((1, 8, 8, 1), np.int16))
    npy = tmp_path / "x.npy"
    np.save(npy, np.ones((1, 8, 8, 1), np.int8))
    assert prepare_input(g, npy).sum() == 64
    (tmp_path / "junk.npy").write_text("nope")
    with pytest.raises(ConfigError, match="junk.npy"):
        prepare_input(g, tmp_path / "junk.npy")


def test_graph_reference_matches_layer_by_layer_shapes():
    g = load_tflite(MODELS / "ds_cnn.tflite")
    values = run_graph(g, [prepare_input(g)])
    for op in g.ops:
        assert values[op.outputs[0]].shape == g.tensor(op.outputs[0]).shape


def test_mismatch_message_names_layer_op_index_coordinates_and_values():
    g = load_tflite(MODELS / "digits_cnn.tflite")
    layer = lower_graph(g, get_board("stm32h743")).layers[0]
    want = np.zeros(layer.output_shape, np.int8)
    got = want.copy().reshape(-1)
    got[1 * 16 + 3] = 5                        # (n=0, h=0, w=1, c=3)
    msg = compare_layer(layer, got, want)
    assert "layer 0 (CONV_2D" in msg and "flat index 19" in msg and "NHWC [0, 0, 1, 3]" in msg
    assert "simulated 5" in msg and "reference 0" in msg
    assert compare_layer(layer, want, want) is None
    a = analyze(MODELS / "digits_cnn.tflite", "stm32h743")
    a.bit_exact, a.mismatch = False, msg
    with pytest.raises(BitMismatch, match="flat index 19") as err:
        a.raise_for_status()
    assert err.value.exit_code == 1


def test_link_time_overflow_is_reported_like_the_planned_one(monkeypatch):
    """If the pre-build estimate ever passes but the linker's check fails, the message still
    names the overflow and the layer whose live tensors set the peak."""
    import simulator.analyze as an
    monkeypatch.setattr(an, "check_ram", lambda *a, **k: None)
    a = analyze(MODELS / "digits_cnn.tflite", "stm32h743", ram="5K")
    assert not a.fits and not a.ran and a.exit_code == 2
    assert "RAM overflow" in a.overflow and "over by" in a.overflow
    assert "peaks at op #" in a.overflow and "live" in a.overflow
