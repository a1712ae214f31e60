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
        self.profiling = False
        self._block_hits: dict[int, int] = {}

    def attach(self, uc) -> None:
        uc.hook_add(UC_HOOK_BLOCK, self._on_block)

    def enable_profile(self) -> None:
        self.profiling = True

    def block_profile(self) -> dict[int, tuple[int, int | None]]:
        """Block start address -> (instructions, cycles); cycles None: this counter has no timing."""
        return {addr: (n, None) for addr, n in self._block_hits.items()}

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
        if self.profiling:
            self._block_hits[addr] = self._block_hits.get(addr, 0) + n
        if self.budget is not None and self.instructions > self.budget:
            self.budget_exceeded = True
            uc.emu_stop()
