"""Hand-computed micro-kernels, costed statically (no emulation), for test_table_coverage.py.

Each kernel is assembled, classified and costed by the model alone: ``block_cost`` for a block
(static cycles and its branch penalties), ``edge_correction`` for two blocks run one after the
other, the M7 predictor (``predictor.Btac``) for a trace of branch outcomes. Every expected value
is written as a sum of the table rows it uses (sources in simulator/cycles/tables/<core>.toml:
TRM = the core's TRM, PIPE = jnk0le "pipeline cycle test", LLVM = ARMScheduleM7.td).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from simulator.cycles.classify import KIND_COND, KIND_DIRECT, classify, make_disassembler
from simulator.cycles.model import block_cost, edge_correction
from simulator.cycles.predictor import Btac
from simulator.cycles.regions import Regions
from simulator.cycles.testing import assemble

_MD = make_disassembler()


@dataclass(frozen=True)
class K:
    """One kernel. ``expect``: the static cycles, or {field: value} of the BlockCost (or "corr"
    for an edge, "pen" for a predictor trace)."""
    name: str
    asm: str = ""
    expect: object = None
    at: int = 0x1000                  # address of the first instruction
    fetch_wait: int = 0               # wait states per fetch chunk of the code's region
    prev: str = ""                    # edge: the previous block (ending in a branch)
    taken: bool = True                # edge: the previous block's branch was taken
    trace: tuple = field(default=())  # predictor: (kind, pc, static target, taken, target) events


@lru_cache(maxsize=None)
def insns_of(asm: str, core: str, at: int):
    """Decoded once per kernel: the sweep costs every kernel once per table entry."""
    code = assemble(asm, core)
    return tuple(classify(i) for i in _MD.disasm(code, at)), len(code)


def cost(k: K, table, core: str):
    """The kernel's cost under ``table``: a dict of the fields ``k.expect`` names (all of them
    when it names none, so a sweep sees any change)."""
    if k.trace:
        btac = Btac(table.params)
        pen = int(table.params.get("mispredict", 0))
        got = {"pen": sum(btac.penalty(btac.predict(*ev), ev[3], pen) for ev in k.trace)}
    elif k.prev:
        prev, cur = list(insns_of(k.prev, core, k.at)[0]), list(insns_of(k.asm, core, k.at + 0x100)[0])
        got = {"corr": edge_correction(prev, cur, table, k.taken)}
    else:
        insns, size = insns_of(k.asm, core, k.at)
        insns = list(insns)
        regions = Regions([(k.at & ~0xFFF, 0x10000, 0, 0, k.fetch_wait)])
        c = block_cost(insns, table, regions, k.at, size)
        got = {"cycles": c.cycles, "taken_pen": c.taken_pen, "nottaken_pen": c.nottaken_pen,
               "entry_pen": c.entry_pen, "mispredict_pen": c.mispredict_pen}
    want = k.expect if isinstance(k.expect, dict) else {"cycles": k.expect}
    return {f: got[f] for f in want}, got


def loop_trace(pc: int, n: int, repeat: int, kind: int = KIND_COND):
    """A backward loop branch at ``pc`` taken n-1 times then not, ``repeat`` times."""
    target = pc - 8
    out = []
    for _ in range(repeat):
        out += [(kind, pc, target, True, target)] * (n - 1) + [(kind, pc, target, False, pc + 2)]
    return tuple(out)


def round_robin(pcs, rounds: int):
    """Unconditional branches at ``pcs`` executed in turn (each jumps forward by 64)."""
    return tuple((KIND_DIRECT, pc, pc + 64, True, pc + 64) for _ in range(rounds) for pc in pcs)
