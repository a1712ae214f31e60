"""Every in-place kernel variant, lowered with schedule "inplace" (no pruning: every op that
may run in place does), built, run and compared layer by layer with the NumPy reference on
Cortex-M0+, M4 and M7 boards. The layer check reads each output at its own offset, which for
an in-place op is the input's bytes, so a kernel that clobbers data still needed fails here."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers.lower_graphs import chain, mobile_block
from simulator.analyze import _base, _build_and_run, analyze, prepare_input, ram_need
from simulator.lower import lower_graph
from simulator.machine import Machine
from simulator.reference.graph import run_graph

BOARDS = ["generic-m0plus", "generic-m4", "stm32h743"]
MODELS = {"chain": chain, "mobile_block": mobile_block}
# which in-place kernels each model must exercise (the test fails if lowering stops using them)
EXPECT = {"chain": {"ck_depthwise_conv_s8_ring_inplace", "ck_conv_s8_pointwise_inplace",
                    "ck_conv_s8_ring_inplace", "ck_depthwise_conv_s8_inplace", "ck_relu_s8"},
          "mobile_block": {"ck_conv_s8_ring_inplace", "ck_depthwise_conv_s8_inplace",
                           "ck_add_s8", "ck_relu_s8"}}


def run_lowered(graph, board, schedule):
    machine = Machine(board)
    lm = lower_graph(graph, machine.board, schedule)
    x = prepare_input(graph)
    ref = run_graph(graph, [x])
    result = _base(lm, machine, machine.toolchain.name, ram_need(lm, machine.stack_size))
    _build_and_run(lm, machine, x, ref, result, None, lambda text: None)
    return lm, result, ref


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("name", sorted(MODELS))
def test_inplace_schedule_bit_exact(name, board):
    graph = MODELS[name]()
    lm, result, ref = run_lowered(graph, board, "inplace")
    used = {l.kernel for l in lm.layers if l.inplace}
    assert EXPECT[name] <= used, used
    assert result.bit_exact, result.mismatch
    assert all(l.bit_exact for l in result.layers)
    assert np.array_equal(result.output, ref[lm.output])


def test_inplace_arena_below_plain():
    """The chain's plain peak is the RELU after the widening pointwise conv (its input and
    output, 2 x 16x16x8); in place every op of the chain needs one buffer of the widest."""
    from simulator.boards import get_board
    graph = chain()
    board = get_board("stm32h743")
    plain = lower_graph(graph, board, "plain")
    inplace = lower_graph(graph, board, "inplace")
    assert plain.arena_bytes == 2 * 16 * 16 * 8
    assert inplace.arena_bytes == 16 * 16 * 8


@pytest.mark.parametrize("board", BOARDS)
def test_pruned_inplace_through_analyze(board):
    """The schedule analyze runs (in-place variants only where they lower the arena): here
    the first depthwise stays out of place and its output roots the in-place group, so the
    layer check reads a group root at its own size."""
    a = analyze(chain(), board, schedule="inplace")
    assert a.schedule.chosen == "inplace" and a.schedule.best.inplace_ops
    assert a.bit_exact and all(l.bit_exact for l in a.layers), a.mismatch
