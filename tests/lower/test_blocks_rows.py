"""Residual blocks row by row (lower/blocks.py, schedule "rows"): which blocks are found, that
no step writes bytes a later step reads (replayed independently of the planner's own check),
and whole models built, run and compared with the NumPy reference on M0+, M4 and M7. Layers
inside a block have no region of their own: the ADD's region stands for them (its output,
over the block input's bytes, is checked whole at its region end)."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers.lower_graphs import res_blocks, widening_block
from simulator.analyze import _base, _build_and_run, analyze, prepare_input, ram_need
from simulator.boards import get_board
from simulator.lower import lower_graph
from simulator.lower.blocks import ADD, SHIFT, _in_rows, find_blocks
from simulator.machine import Machine
from simulator.reference.graph import run_graph

BOARDS = ["generic-m0plus", "generic-m4", "stm32h743"]


def test_blocks_found_with_their_branches():
    found = [(b.first, b.last, b.main, b.skip, b.add_order) for b in find_blocks(res_blocks())]
    assert found == [(1, 3, [1, 2], None, ("main", "skip")),
                     (4, 7, [4, 5], 6, ("skip", "main")),
                     (8, 10, [8], 9, ("main", "skip"))]


def test_a_widening_block_is_refused():
    """Its first output row covers four input rows that later rows still read."""
    assert find_blocks(widening_block()) == []


@pytest.mark.parametrize("index", [0, 1, 2])
def test_every_read_sees_the_row_it_needs(index):
    """Replay each block's steps on labels instead of numbers: each buffer byte holds
    (op, row, byte in row) of what was written there, x's bytes start as the input's. A
    layer computing its k-th row must read exactly the rows its receptive field covers
    (lower/patches._back, the geometry), the ADD of row y the main and skip rows y, and no
    step may read x's bytes after an ADD overwrote them."""
    g = res_blocks()
    block = find_blocks(g)[index]
    x_t = g.tensor(block.input)
    x_row = x_t.shape[2] * x_t.shape[3]
    mem = {"x": [("x", i // x_row, i % x_row) for i in range(x_t.nbytes)]}
    mem.update({n: [None] * size for n, size in block.buffers.items()})
    made = {op: 0 for op in block.row_bytes}
    source = dict(zip(block.main[1:], block.main))
    adds = 0

    def read(ref, n):
        return mem[ref[0]][ref[1]:ref[1] + n]

    def rows_of(op, lo, hi):
        rb = x_row if op == "x" else block.row_bytes[op]
        return [(op, r, i) for r in range(lo, hi) for i in range(rb)]

    for step in block.steps:
        if step.kind == SHIFT:
            moved = read(step.a, step.n)
            mem[step.out[0]][step.out[1]:step.out[1] + step.n] = moved
            continue
        if step.kind == ADD:
            y = adds
            n = block.row_bytes[block.main[-1]]
            want = {"main": rows_of(block.main[-1], y, y + 1),
                    "skip": (rows_of(block.skip, y, y + 1) if block.skip is not None
                             else rows_of("x", y, y + 1))}
            assert read(step.a, n) == want[block.add_order[0]], ("add", y)
            assert read(step.b, n) == want[block.add_order[1]], ("add", y)
            mem["x"][step.out[1]:step.out[1] + n] = [("out", y, i) for i in range(n)]
            adds += 1
            continue
        op, in_h, _ = step.params
        row = made[op]
        lo, hi, _ = _in_rows(g, op, row)
        assert in_h == hi - lo
        src = source.get(op, "x")
        rb = x_row if src == "x" else block.row_bytes[src]
        assert read(step.a, in_h * rb) == rows_of(src, lo, hi), (op, row)
        n = block.row_bytes[op]
        mem[step.out[0]][step.out[1]:step.out[1] + n] = rows_of(op, row, row + 1)
        made[op] += 1
    y = g.tensor(block.output)
    assert adds == y.shape[1]
    assert mem["x"][:y.nbytes] == [("out", r, i) for r in range(y.shape[1])
                                   for i in range(y.shape[2] * y.shape[3])]


def run_rows(graph, board, blocks):
    machine = Machine(board)
    lm = lower_graph(graph, machine.board, "inplace", blocks=blocks)
    x = prepare_input(graph)
    ref = run_graph(graph, [x])
    result = _base(lm, machine, machine.toolchain.name, ram_need(lm, machine.stack_size))
    _build_and_run(lm, machine, x, ref, result, None, lambda text: None)
    return lm, result, ref


@pytest.mark.parametrize("board", BOARDS)
def test_rows_bit_exact(board):
    g = res_blocks()
    blocks = find_blocks(g)
    lm, result, ref = run_rows(g, board, blocks)
    assert result.bit_exact, result.mismatch
    assert all(l.bit_exact for l in result.layers)
    assert np.array_equal(result.output, ref[lm.output])
    for b in blocks:
        assert not set(b.inner) & {t for t, s in lm.memory.slots.items() if s.alias_of is None}
        assert lm.memory.slots[b.output].offset == lm.memory.slots[b.input].offset
        assert result.layers[b.last].cycles
        assert not any(result.layers[i].cycles for i in b.ops if i != b.last)
    plain = lower_graph(g, get_board(board), "inplace")
    assert lm.arena_bytes < plain.arena_bytes


@pytest.mark.parametrize("board", ["generic-m0plus", "stm32h743"])
def test_rows_schedule_through_analyze(board):
    a = analyze(res_blocks(), board, schedule="rows")
    assert a.bit_exact and all(l.bit_exact for l in a.layers), a.mismatch
    best = a.schedule.best
    assert a.schedule.chosen == "rows" and best.row_blocks
    assert "row by row" in a.schedule_summary
    inplace = analyze(res_blocks(), board, schedule="inplace")
    assert a.arena + a.scratch < inplace.arena + inplace.scratch


def test_rows_does_not_apply_without_blocks():
    from simulator.errors import ConfigError
    from tests.helpers.lower_graphs import chain
    with pytest.raises(ConfigError, match="rows needs a residual block"):
        analyze(chain(), "generic-m4", schedule="rows")
