"""The host <-> firmware protocol (simulator/lower/firmware_io.py): what main.c prints is what
the reader reads, for every output dtype, and the bytes the firmware leaves in g_output."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulator.analyze import model_firmware, prepare_input
from simulator.frontend import load_model
from simulator.lower import firmware_io as io
from simulator.reference.graph import run_graph

ROOT = Path(__file__).resolve().parents[2]
DIGITS = ROOT / "models" / "digits_cnn.tflite"
FLOAT = ROOT / "models" / "digits_float.tflite"


@pytest.mark.parametrize("dtype", ["int8", "int32", "float32"])
def test_encode_then_read_is_the_identity_on_the_bits(dtype):
    rng = np.random.default_rng(1)
    if dtype == "float32":
        x = rng.normal(size=(1, 3, 5)).astype(np.float32)
        x.reshape(-1)[:3] = [-0.0, np.nan, np.inf]
        bits = lambda a: a.view(np.uint32)        # noqa: E731  -0.0 and NaN compared as bits
    else:
        x = rng.integers(np.iinfo(dtype).min, np.iinfo(dtype).max, (1, 3, 5), dtype=dtype)
        bits = lambda a: a                        # noqa: E731
    got = io.read_output("hello\n" + io.encode_output(x) + "\nbye\n", x.shape, dtype)
    assert got.dtype == x.dtype and np.array_equal(bits(got), bits(x))


@pytest.mark.parametrize("stdout", ["no marker\n", "output:0\n", "output:zz\n", "output:0102\n",
                                    "output:" + "00" * 16 + "\n"])
def test_reader_refuses_what_main_c_never_prints(stdout):
    assert io.read_output(stdout, (1, 3), "int8") is None


def test_failure_line_is_read_with_its_status_and_layer():
    assert io.read_failure("x\nmodel_invoke failed: status -1 at layer 7\n") == (-1, 7)
    assert io.read_failure("output:00\n") is None


def test_input_bytes_are_the_little_endian_values():
    x = np.array([[1.5, -2.0]], np.float32)
    assert io.input_bytes(x, "float32") == b"\x00\x00\xc0\x3f\x00\x00\x00\xc0"
    assert io.input_bytes(np.array([-1, 2], np.int8), "int8") == b"\xff\x02"


@pytest.mark.parametrize("model", [DIGITS, FLOAT], ids=["int8", "float32"])
def test_firmware_prints_what_it_holds_and_what_the_reference_computes(model):
    graph = load_model(model)
    x = prepare_input(graph, None)
    fw = model_firmware(model, "stm32h743", input=x)
    run = fw.run()
    out_t = graph.tensor(graph.outputs[0])
    printed = io.read_output(run.stdout, out_t.shape, out_t.dtype)
    held = io.decode_output(_g_output(fw, out_t.nbytes), out_t.shape, out_t.dtype)
    want = run_graph(graph, [x])[graph.outputs[0]]
    assert printed is not None and run.exit_code == 0
    assert np.array_equal(printed.view(np.uint8), held.view(np.uint8))
    assert np.array_equal(printed.view(np.uint8), np.ascontiguousarray(want).view(np.uint8))


def _g_output(fw, nbytes) -> bytes:
    """g_output's bytes at the end of a run (read when main() has printed it)."""
    seen = {}

    def at_region(kind, name, emu):
        if (kind, name) == ("end", io.WARM_REGION):
            seen["bytes"] = emu.read_memory(fw.symbol_address(io.OUTPUT_SYMBOL), nbytes)
    fw.run(region_listener=at_region)
    return seen["bytes"]
