"""Where ``Firmware.call`` puts its arguments: the free RAM after .bss, each buffer between
guard pages by default.

Layout of one guarded buffer (unicorn maps RAM in 1 KiB pages; a guard page is unmapped,
so any access to it faults natively, at the instruction, with no per-access hook)::

    | guard page (unmapped) | canary pad | buffer ................... | slack | guard page ...
                                       ^ aligned start                ^ end, < align bytes
                                                                        before the page edge

An access that runs off the end of a buffer into the next page stops the run at once and
is reported as a :class:`~simulator.guards.BufferOverrun` naming the argument, the byte
offset past its end, the function and source line. The few slack bytes between the end and
the page edge (less than the buffer's alignment) and the pad before it hold a canary
pattern, checked after the call: a write there is reported too, without the instruction.
Guarding costs address space, not modelled RAM: when the guarded layout does not fit under
the RAM limit, the buffers are packed as before (``guard=False`` asks for that always, e.g.
for deliberate aliasing of two arguments).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import RamOverflow
from ..guards import BufferOverrun, canary
from ..sizes import format_size
from .emulator import PAGE
from .stop import Check


@dataclass
class Zone:
    what: str         # "argument 2", "argument 0: Context.buf"
    start: int        # first byte of the buffer
    size: int
    lo: int           # guarded span: [lo, hi) holds the leading guard page .. trailing page edge
    hi: int


def _round_up(n: int, to: int) -> int:
    return (n + to - 1) // to * to


class ArgArena(Check):
    """Hands out target RAM to call() arguments in order, guarded unless told otherwise. As a
    check of the emulator it describes a fault on a guard page as a :class:`BufferOverrun`."""

    def __init__(self, emu, layout, function: str, guard: bool = True):
        self.emu = emu
        self.layout = layout
        self.function = function
        self.guard = guard
        self.cursor = layout.ram_end
        self.limit = layout.ram.origin + layout.ram_limit
        self.mapped_end = layout.ram.origin + _round_up(layout.ram_limit, PAGE)
        self.zones: list[Zone] = []
        self.marshallers = []
        self._pending_guard = None

    def place(self, data: bytes, align: int, what: str) -> int:
        n = len(data)
        if self.guard:
            addr = self._place_guarded(n, align, what)
            if addr is not None:
                self.emu.uc.mem_write(addr, data)
                return addr
        addr = _round_up(self.cursor, align)
        if addr + n > self.limit:
            need = addr + n - self.layout.ram.origin
            raise RamOverflow(
                f"{self.function}: {what} ({n} B) does not fit in the free RAM after .bss: "
                f"needs {need} B of the {format_size(self.layout.ram_limit)} limit",
                limit=self.layout.ram_limit, needed=need)
        self.emu.uc.mem_write(addr, data)
        self.cursor = addr + n
        return addr

    def _place_guarded(self, n: int, align: int, what: str) -> int | None:
        guard_page = _round_up(self.cursor, PAGE)
        body = guard_page + PAGE
        edge = body + _round_up(max(n, 1), PAGE)
        start = (edge - n) // align * align
        if edge > self.limit or edge > self.mapped_end:
            return None            # no room for guards: pack this one (and the rest) instead
        self.emu.uc.mem_unmap(guard_page, PAGE)
        self.emu.uc.mem_write(body, bytes(canary(start - body, salt=1)))
        self.emu.uc.mem_write(start + n, bytes(canary(edge - start - n, salt=2)))
        self.zones.append(Zone(what, start, n, guard_page, edge))
        self.cursor = edge
        if edge < self.mapped_end:
            self._pending_guard = edge     # the trailing guard: unmapped when the next one is not packed
        return start

    def seal(self) -> None:
        """Unmap the guard page after the last guarded buffer (call once, after placing all)."""
        if self._pending_guard is not None and self.cursor == self._pending_guard:
            self.emu.uc.mem_unmap(self._pending_guard, PAGE)
            self.cursor += PAGE

    def zone_of(self, addr: int) -> Zone | None:
        for z in self.zones:
            if z.lo <= addr < z.hi + PAGE:
                return z
        return None

    def describe(self, emu, stop, located: dict) -> BufferOverrun | None:
        return self.overrun_error(stop, located)

    def overrun_error(self, stop, located: dict) -> BufferOverrun | None:
        """The fault ``stop`` as a BufferOverrun if it hit a guard page, else None."""
        if stop.kind != "fault" or stop.detail != "memory" or stop.address is None:
            return None
        z = self.zone_of(stop.address)
        if z is None:
            return None
        offset = stop.address - z.start
        if offset >= z.size:
            side, where = "after", f"{offset - z.size + 1} B past its end (offset {offset})"
        else:
            side, where = "before", f"{-offset} B before its start (offset {offset})"
        return BufferOverrun(f"{self.function}: {stop.access} of {stop.size} B outside {z.what} "
                             f"({z.size} B buffer at 0x{z.start:08x}): {where}",
                             buffer=z.what, offset=offset, side=side, count=1, access=stop.access,
                             address=stop.address, **located)

    def check_canaries(self) -> None:
        """After a call: a write into the pad or slack beside a buffer (too close to be caught
        by a guard page) is an overrun too."""
        for z in self.zones:
            body = z.lo + PAGE
            for lo, hi, salt, side in ((body, z.start, 1, "before"), (z.start + z.size, z.hi, 2, "after")):
                if hi <= lo:
                    continue
                got = np.frombuffer(self.emu.read_memory(lo, hi - lo), np.uint8)
                bad = np.flatnonzero(got != canary(hi - lo, salt=salt))
                if bad.size:
                    first = int(bad[0] if side == "after" else bad[-1])
                    offset = lo + first - z.start
                    raise BufferOverrun(
                        f"{self.function}: {z.what} ({z.size} B) was written "
                        + (f"{offset - z.size + 1} B past its end (offset {offset})" if side == "after"
                           else f"{-offset} B before its start (offset {offset})")
                        + " (found after the call; the writing instruction is not known)",
                        buffer=z.what, offset=offset, side=side, count=int(bad.size), address=lo + first)

    def read_back(self) -> None:
        for m in self.marshallers:
            m.read_back(self.emu.read_memory)
