"""Patch-based inference (lower/patches.py, schedule "patch"): windows and receptive fields
against a direct computation, and whole models built, run and compared with the NumPy
reference on M0+, M4 and M7. Layers inside a stage have no region of their own: the stage's
last layer stands for them (its output, the whole tensor, is checked at its region end), and
the model's output is checked as always."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers.lower_graphs import stem
from simulator.analyze import _base, _build_and_run, analyze, prepare_input, ram_need
from simulator.boards import get_board
from simulator.lower import lower_graph
from simulator.lower.patches import chain_ops, make_stage
from simulator.machine import Machine
from simulator.reference.graph import run_graph

BOARDS = ["generic-m0plus", "generic-m4", "stm32h743"]


def test_windows_cover_the_output_and_need_only_real_rows():
    g = stem()
    st = make_stage(g, 0, 3, (3, 2))
    y = g.tensor(st.output)
    covered = np.zeros(y.shape[1:3], dtype=int)
    for chain in st.patches:
        last = chain[-1].out_win
        covered[last.y0:last.y1, last.x0:last.x1] += 1
        for a, b in zip(chain, chain[1:]):
            assert a.out_win == b.in_win          # each layer makes what the next reads
        for pl in chain:
            x = g.tensor(g.ops[pl.op].inputs[0])
            assert 0 <= pl.in_win.y0 < pl.in_win.y1 <= x.shape[1]
            assert 0 <= pl.in_win.x0 < pl.in_win.x1 <= x.shape[2]
            assert pl.pad_top == 0 or pl.in_win.y0 == 0
    assert np.array_equal(covered, np.ones_like(covered))   # a partition: no gaps, no overlap
    assert st.macc > st.macc_plain                           # the halos are recomputed


def test_chain_stops_at_a_branch():
    g = stem()
    assert chain_ops(g) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("last,grid", [(3, (3, 3)), (1, (2, 3)), (4, (4, 1))])
def test_patch_stage_bit_exact(board, last, grid):
    g = stem()
    machine = Machine(board)
    stage = make_stage(g, 0, last, grid)
    lm = lower_graph(g, machine.board, "inplace", stage=stage)
    x = prepare_input(g)
    ref = run_graph(g, [x])
    result = _base(lm, machine, machine.toolchain.name, ram_need(lm, machine.stack_size))
    _build_and_run(lm, machine, x, ref, result, None, lambda text: None)
    assert result.bit_exact, result.mismatch
    assert all(l.bit_exact for l in result.layers)
    assert np.array_equal(result.output, ref[lm.output])
    # the stage's inner tensors and the streamed input are not in the arena
    assert stage.streamed and g.inputs[0] not in lm.memory.slots
    assert not set(stage.inner) & set(lm.memory.slots)
    assert result.layers[last].cycles and not any(result.layers[i].cycles for i in range(last))


def test_patch_schedule_through_analyze():
    a = analyze(stem(), "generic-m4", schedule="patch")
    assert a.bit_exact, a.mismatch
    best = a.schedule.best
    assert best.patches and "patch schedule for layers 0-" in a.schedule_summary
    plain = lower_graph(stem(), get_board("generic-m4"), "plain")
    assert a.arena < plain.arena_bytes


@pytest.mark.parametrize("board", ["generic-m0plus", "stm32h743"])
def test_patch_stage_with_input_kept_in_the_arena(board):
    """The stage input is read again after the stage (a residual from the model input): it
    stays in the arena, live over the stage, and the windows are read from there."""
    from tests.helpers.lower_graphs import input_residual
    g = input_residual()
    assert chain_ops(g) == [0, 1]
    machine = Machine(board)
    stage = make_stage(g, 0, 1, (2, 2))
    assert not stage.streamed
    lm = lower_graph(g, machine.board, "inplace", stage=stage)
    assert g.inputs[0] in lm.memory.slots
    x = prepare_input(g)
    ref = run_graph(g, [x])
    result = _base(lm, machine, machine.toolchain.name, ram_need(lm, machine.stack_size))
    _build_and_run(lm, machine, x, ref, result, None, lambda text: None)
    assert result.bit_exact, result.mismatch
    assert np.array_equal(result.output, ref[lm.output])
