"""Instruction counting and the instruction budget, in a Python block hook.

The cycle model (simulator.cycles) replaces this with native accounting; this counter is
the fallback that needs nothing but unicorn and capstone.
"""
from __future__ import annotations

import capstone
from unicorn import UC_HOOK_BLOCK


class BlockCounter:
    """Counts instructions per translated block, decoding each block once."""

    def __init__(self, mclass_v8: bool = False):
        self.md = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
        self._cache: dict[tuple[int, int], int] = {}
        self.instructions = 0
        self.cycles = None
        self.budget = None
        self.budget_exceeded = False
        self.block_trace_hook = None      # optional callable(addr, ninsn), used for per-function profiles

    def attach(self, uc) -> None:
        uc.hook_add(UC_HOOK_BLOCK, self._on_block)

    def set_budget(self, n: int | None) -> None:
        self.budget = n

    def _count(self, uc, addr: int, size: int) -> int:
        key = (addr, size)
        n = self._cache.get(key)
        if n is None:
            code = bytes(uc.mem_read(addr, size))
            n = sum(1 for _ in self.md.disasm_lite(code, addr))
            self._cache[key] = n = max(n, 1)
        return n

    def _on_block(self, uc, addr, size, _user):
        n = self._count(uc, addr, size)
        self.instructions += n
        if self.block_trace_hook is not None:
            self.block_trace_hook(addr, n)
        if self.budget is not None and self.instructions > self.budget:
            self.budget_exceeded = True
            uc.emu_stop()
