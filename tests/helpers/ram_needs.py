"""The RAM a chain of convolutions needs under each schedule on one board: the budget tests and the
CLI schedule tests pick their --ram from it."""
from __future__ import annotations

from simulator.analyze import ram_need
from simulator.machine import Machine
from simulator.schedule import pick_schedule
from tests.helpers.lower_graphs import chain


BOARD = "stm32h743"


def needs():
    g = chain()
    m = Machine(BOARD)
    out = {}
    for s in ("plain", "inplace"):
        c = pick_schedule(g, m.board, 10 ** 9, lambda l: ram_need(l, m.stack_size), s)
        out[s] = c.best.ram_total
    return g, out
