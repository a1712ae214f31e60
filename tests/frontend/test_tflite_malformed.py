"""Malformed .tflite input ends in a ModelError that says where and what, never anything else."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from simulator.errors import ModelError
from simulator.frontend import ModelBuilder, load_tflite, save_tflite
from simulator.frontend import tflite_writer
from simulator.ir import QuantParams

MODELS = Path(__file__).resolve().parents[2] / "models"


def small_graph():
    b = ModelBuilder("small")
    x = b.input((1, 4, 4, 2), 0.1, 0)
    y = b.conv2d(x, np.arange(3 * 2 * 2 * 2, dtype=float).reshape(3, 2, 2, 2) - 10,
                 np.ones(3), out_scale=0.5, out_zp=0)
    b.output(b.fully_connected(b.reshape(y, (1, -1)), np.ones((2, 48)), None,
                               out_scale=1.0, out_zp=0))
    return b.build()


def expect_error(data, *fragments, **attrs) -> ModelError:
    with pytest.raises(ModelError) as info:
        load_tflite(data)
    text = str(info.value)
    for frag in fragments:
        assert frag in text, text
    for key, value in attrs.items():
        assert getattr(info.value, key) == value, text
    return info.value


def test_empty_and_truncated():
    data = save_tflite(small_graph())
    expect_error(b"", "too short")
    for cut in (7, 8, 12, 100, len(data) // 2, len(data) - 40):
        expect_error(data[:cut])


def test_bad_identifier():
    data = bytearray(save_tflite(small_graph()))
    data[4:8] = b"TFL2"
    expect_error(bytes(data), "identifier", "TFL3")


def test_root_offset_out_of_range():
    data = bytearray(save_tflite(small_graph()))
    data[0:4] = (len(data) + 100).to_bytes(4, "little")
    expect_error(bytes(data), "root", "outside")


def test_missing_file_names_it(tmp_path):
    err = expect_error(tmp_path / "nope.tflite", "cannot read")
    assert err.path == str(tmp_path / "nope.tflite")


def test_path_is_named(tmp_path):
    path = tmp_path / "broken.tflite"
    path.write_bytes(b"\0" * 64)
    expect_error(path, "broken.tflite", path=str(path))


def test_tensor_index_out_of_range():
    g = small_graph()
    g.ops[0].inputs[1] = 99
    expect_error(save_tflite(g), "tensor 99", op_index=0, opcode="CONV_2D")


def test_graph_output_out_of_range():
    g = small_graph()
    g.outputs = [len(g.tensors)]
    expect_error(save_tflite(g), "outputs refers to tensor")


def test_quant_array_length_mismatch():
    g = small_graph()
    t = g.tensors[g.inputs[0]]
    t.quant = QuantParams([0.1, 0.2], [0], axis=3)
    t.quant.zero_point = np.array([0])
    expect_error(save_tflite(g), "2 scales but 1 zero points", tensor_index=t.index)


def test_per_channel_scale_count_must_match_dimension():
    g = small_graph()
    w = g.tensors[g.ops[0].inputs[1]]
    w.quant = QuantParams(w.quant.scale[:2], w.quant.zero_point[:2], axis=0)
    expect_error(save_tflite(g), "2 per-channel scales", tensor_index=w.index)


def test_bad_scale_and_zero_point():
    g = small_graph()
    g.tensors[0].quant = QuantParams([-1.0], [0])
    expect_error(save_tflite(g), "scale", tensor_index=0)
    g.tensors[0].quant = QuantParams([0.5], [300])
    expect_error(save_tflite(g), "zero_point", tensor_index=0)


def test_buffer_size_mismatch():
    g = small_graph()
    w = g.tensors[g.ops[0].inputs[1]]
    w.data = w.data.reshape(-1)[:-1]
    expect_error(save_tflite(g), "holds 23 bytes", "needs 24", tensor_index=w.index)


def test_negative_and_huge_dims():
    g = small_graph()
    g.tensors[0].shape = (1, -4, 4, 2)
    expect_error(save_tflite(g), "negative", tensor_index=0)
    g.tensors[0].shape = (1 << 20, 1 << 20, 4, 2)
    expect_error(save_tflite(g), "2 GiB", tensor_index=0)


def test_opcode_index_out_of_range(monkeypatch):
    real = tflite_writer._Writer._operator
    monkeypatch.setattr(tflite_writer._Writer, "_operator",
                        lambda self, op, i: real(self, op, i + 7 if op.index == 1 else i))
    expect_error(save_tflite(small_graph()), "opcode_index", op_index=1)


def test_external_buffer_outside_file():
    data = save_tflite(small_graph(), external_buffers=True)
    expect_error(data[:-8], "external data")


def _mutations(data: bytes, count: int, seed: int):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        d = bytearray(data)
        kind = rng.integers(0, 4)
        if kind == 0:            # bit flips
            for _ in range(rng.integers(1, 4)):
                d[rng.integers(0, len(d))] ^= 1 << int(rng.integers(0, 8))
        elif kind == 1:          # truncation
            d = d[:rng.integers(0, len(d))]
        elif kind == 2:          # a random 32-bit word (hits offsets, lengths, indices)
            p = int(rng.integers(0, len(d) // 4)) * 4
            d[p:p + 4] = int(rng.integers(0, 1 << 32)).to_bytes(4, "little")
        else:                    # a nearby 32-bit value (offsets that point slightly off)
            p = int(rng.integers(0, len(d) // 4)) * 4
            v = int.from_bytes(d[p:p + 4], "little") + int(rng.integers(-32, 33))
            d[p:p + 4] = (v % (1 << 32)).to_bytes(4, "little")
        yield bytes(d)


@pytest.mark.parametrize("model,count,seed", [("digits_cnn", 200, 1), ("ds_cnn", 100, 2)])
def test_random_mutations_end_in_graph_or_model_error(model, count, seed):
    data = (MODELS / f"{model}.tflite").read_bytes()
    outcomes = {"graph": 0, "error": 0}
    for mutated in _mutations(data, count, seed):
        start = time.perf_counter()
        try:
            g = load_tflite(mutated)
            outcomes["graph"] += 1
            assert all(t.nbytes <= 1 << 31 for t in g.tensors)
        except ModelError as err:
            outcomes["error"] += 1
            assert str(err).startswith("<bytes>: ")
        assert time.perf_counter() - start < 2.0
    assert outcomes["graph"] and outcomes["error"]
