"""PAD folded into the conv that reads it (lower/fold.py, schedules "inplace" and after):
which PADs fold, and the model built, run and compared with the NumPy reference on M0+, M4
and M7, with the folded PADs' outputs never in the arena."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers.lower_graphs import padded_convs
from simulator.analyze import _base, _build_and_run, prepare_input, ram_need
from simulator.boards import get_board
from simulator.lower import lower_graph
from simulator.lower.fold import pad_folds
from simulator.machine import Machine
from simulator.reference.graph import run_graph

BOARDS = ["generic-m0plus", "generic-m4", "stm32h743"]


def test_pads_that_fold():
    """PAD and PADV2 with the zero point fold; the PADV2 filling 0 over zero point 5 does not
    (its taps would add (0 - 5) * w, which the conv's own padding never does)."""
    folds = pad_folds(padded_convs())
    assert [(f.pad, f.conv, f.top, f.left) for f in folds] == [(0, 1, 1, 2), (2, 3, 2, 0)]


def test_plain_keeps_the_pads():
    lm = lower_graph(padded_convs(), get_board("generic-m4"), "plain")
    assert not lm.folds and lm.layers[0].kernel == "ck_pad_s8"


@pytest.mark.parametrize("board", BOARDS)
def test_folded_pads_bit_exact(board):
    g = padded_convs()
    machine = Machine(board)
    lm = lower_graph(g, machine.board, "inplace")
    assert [f.pad for f in lm.folds] == [0, 2]
    assert lm.layers[0].kernel == "folded into L1" and lm.layers[4].kernel == "ck_pad_s8"
    x = prepare_input(g)
    ref = run_graph(g, [x])
    result = _base(lm, machine, machine.toolchain.name, ram_need(lm, machine.stack_size))
    _build_and_run(lm, machine, x, ref, result, None, lambda text: None)
    assert result.bit_exact, result.mismatch
    assert all(l.bit_exact for l in result.layers)
    assert np.array_equal(result.output, ref[lm.output])
    for f in lm.folds:
        assert f.padded not in lm.memory.slots
        assert result.layers[f.pad].cycles is None and result.layers[f.conv].cycles
    plain = lower_graph(g, machine.board, "plain")
    assert lm.arena_bytes < plain.arena_bytes
