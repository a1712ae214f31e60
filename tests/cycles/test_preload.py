"""Stored blocks entered before emulation (engine.Accounting.preload) count exactly what the
misses they replace would have: the oracle is a run of the same code with no store at all.

The hard case is a block that the store holds whole but that this run reaches by falling
through from a piece of a straight-line run Unicorn cut at a 1 KB page boundary: then it must
be charged its share of that run's schedule (engine._split_block_cost), not its stored cost.
"""
import pytest
from unicorn import UC_PROT_EXEC, UC_PROT_READ, UC_HOOK_BLOCK
from unicorn.arm_const import UC_ARM_REG_R0, UC_ARM_REG_SP

from simulator.cycles.engine import Accounting
from simulator.cycles.testing import FLASH, SRAM, TCM, assemble, new_uc

# X sits on a 1 KB boundary. r0 != 0: X is reached by a branch (a whole block of its own);
# r0 == 0: by falling through from `run`, which Unicorn cuts at the boundary, and whose last
# multiply X's second instruction waits for (so X's share of the run costs more than X alone).
CUT_RUN = """
    cmp r0, #0
    bne.w X
    b.w run
    .org 0x3c0
run:
""" + "    add r1, r1, r1, lsl #1\n" * 15 + """
    mul r5, r1, r1
X:
    adds r2, r2, #1
    add r3, r5, r2
    add r4, r6, r3
""" + "    adds r2, r2, #1\n" * 4 + """
    b done
done:
    bkpt #0
"""


def _run(code: bytes, r0: int, digest: str | None):
    uc = new_uc("m7")
    uc.mem_map(FLASH, 0x40000, UC_PROT_READ | UC_PROT_EXEC)     # read-only: preloadable
    for base in (SRAM, TCM):
        uc.mem_map(base, 0x40000)
    uc.mem_write(FLASH, code)
    uc.reg_write(UC_ARM_REG_SP, SRAM + 0x1000)
    uc.reg_write(UC_ARM_REG_R0, r0)
    acc = Accounting(uc, "m7")
    if digest:
        acc.use_block_cache(digest)
    acc.attach()
    acc.preload()
    preloaded = set(acc._preloaded)
    sizes = []
    uc.hook_add(UC_HOOK_BLOCK, lambda uc, a, s, u: sizes.append((a - FLASH, s)))
    uc.emu_start(FLASH | 1, FLASH + code.rfind(b"\x00\xbe"))
    acc.check()
    acc.save_block_cache()
    return acc, preloaded, sizes


@pytest.mark.parametrize("first, second", [(1, 0), (0, 1), (1, 1), (0, 0)])
def test_preloaded_blocks_count_what_their_misses_would(tmp_path, monkeypatch, first, second):
    monkeypatch.setenv("MCUSIM_CACHE_DIR", str(tmp_path))
    code = assemble(CUT_RUN, "m7")
    assert code.index(bytes.fromhex("01fb01f5")) == 0x3fc        # mul r5, r1, r1: X on the boundary
    xsize = code.rfind(b"\x00\xbe") - 0x400
    _, _, sizes = _run(code, first, "image")                      # stores this path's blocks
    assert ((0x400, xsize) if first else (0x3c0, 64)) in sizes       # X whole, or the piece before it
    oracle, _, _ = _run(code, second, None)
    again, preloaded, _ = _run(code, second, "image")
    x = FLASH + 0x400
    assert (x in preloaded) == bool(first)                        # X stored whole only if run so
    if first and not second:                                      # then reached by falling through:
        assert x not in again._preloaded                          # dropped, decoded as the cut's share
    assert (again.cycles, again.instructions, again.mispredicts) == \
        (oracle.cycles, oracle.instructions, oracle.mispredicts)
    symbols = [("all", FLASH, len(code))]
    assert again.profile(symbols) == oracle.profile(symbols)
