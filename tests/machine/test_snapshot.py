"""Replay (simulator/machine/snapshot.py): a firmware run again from its reset snapshot gives,
for every input, exactly what a fresh run of the same firmware gives (the oracle: analyze's
cold inference, and a fresh Firmware.run of the same firmware)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulator.analyze import analyze, model_firmware
from simulator.errors import SimulationError
from simulator.frontend import load_model
from simulator.lower import firmware_io as io
from simulator.machine.snapshot import Replay

ROOT = Path(__file__).resolve().parents[2]
DIGITS = ROOT / "models" / "digits_cnn.tflite"


def _replay(board):
    g = load_model(DIGITS)
    x_t, y_t = g.tensor(g.inputs[0]), g.tensor(g.outputs[0])
    fw = model_firmware(DIGITS, board, input=np.zeros(x_t.shape, np.int8))
    addr = fw.symbol_address(io.INPUT_SYMBOL)
    rp = Replay(fw, io.COLD_REGION, [(fw.symbol_address(io.OUTPUT_SYMBOL), y_t.nbytes)],
                writable=[(addr, x_t.nbytes)])
    return rp, addr, x_t, y_t


@pytest.mark.parametrize("board", ["stm32h743", "generic-m0plus"])
def test_each_replayed_input_matches_a_fresh_analyze(board):
    rp, addr, x_t, y_t = _replay(board)
    rng = np.random.default_rng(11)
    for _ in range(3):
        x = rng.integers(-128, 128, x_t.shape).astype(np.int8)
        p = rp.run([(addr, io.input_bytes(x, "int8"))])
        a = analyze(DIGITS, board, input=x)
        assert (p.cycles, p.instructions) == (a.cycles, a.instructions)
        assert np.array_equal(io.decode_output(p.captured[0], y_t.shape, y_t.dtype), a.output)


def test_the_same_input_twice_gives_the_same_pass():
    rp, addr, x_t, _ = _replay("stm32h743")
    x = np.full(x_t.shape, 7, np.int8)
    first = rp.run([(addr, io.input_bytes(x, "int8"))])
    rp.run([(addr, io.input_bytes(-x, "int8"))])
    again = rp.run([(addr, io.input_bytes(x, "int8"))])
    assert first == again


def test_a_region_that_never_ends_is_an_error_not_a_hang():
    fw = model_firmware(DIGITS, "stm32h743")
    rp = Replay(fw, "no_such_region")
    with pytest.raises(SimulationError, match="before region 'no_such_region'"):
        rp.run()
    with pytest.raises(SimulationError, match="stopped on a fault before"):
        rp.run()
