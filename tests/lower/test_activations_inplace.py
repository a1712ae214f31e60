"""LEAKY_RELU and HARD_SWISH declare ``inplace = "elementwise"`` in rules.toml: lowered with
schedule "inplace" (every op that may run in place does) they write over their input, and
every layer still equals the NumPy reference on Cortex-M0+, M4 and M7 boards."""
from __future__ import annotations

import numpy as np
import pytest

from simulator.analyze import _base, _build_and_run, prepare_input, ram_need
from simulator.frontend.builder import ModelBuilder
from simulator.lower import lower_graph
from simulator.machine import Machine
from simulator.reference.graph import run_graph

BOARDS = ["rp2040", "nrf52840", "stm32h743"]


def conv_leaky_hswish_fc(seed: int = 0):
    rng = np.random.default_rng(seed)
    b = ModelBuilder("conv_leaky_hswish_fc")
    x = b.input((1, 6, 6, 4), scale=0.05, zero_point=3)
    c = b.conv2d(x, rng.normal(size=(8, 3, 3, 4)), rng.normal(size=8), out_scale=0.1,
                 out_zp=-2)
    y = b.tensor((1, 6, 6, 8), scale=0.08, zero_point=1)
    b.op("LEAKY_RELU", [c], [y], alpha=0.1)
    z = b.tensor((1, 6, 6, 8), scale=0.07, zero_point=-3)
    b.op("HARD_SWISH", [y], [z])
    f = b.fully_connected(b.reshape(z, (1, -1)), rng.normal(size=(4, 288)), rng.normal(size=4),
                          out_scale=0.2, out_zp=0)
    b.output(f)
    return b.build()


@pytest.mark.parametrize("board", BOARDS)
def test_new_activations_run_in_place_bit_exact(board):
    graph = conv_leaky_hswish_fc()
    machine = Machine(board)
    lm = lower_graph(graph, machine.board, "inplace")
    assert {l.kernel for l in lm.layers if l.inplace} >= {"ck_leaky_relu_s8", "ck_hard_swish_s8"}
    x = prepare_input(graph)
    ref = run_graph(graph, [x])
    result = _base(lm, machine, machine.toolchain.name, ram_need(lm, machine.stack_size))
    _build_and_run(lm, machine, x, ref, result, None, lambda text: None)
    assert result.bit_exact, result.mismatch
    assert all(l.bit_exact for l in result.layers)
    assert np.array_equal(result.output, ref[lm.output])
