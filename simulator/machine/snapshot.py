"""One firmware run many times from one saved machine: the machine-level half of ``mcusim validate``.

    replay = Replay(fw, region="model", capture=[(out_addr, out_size)])
    p = replay.run(patches=[(in_addr, input_bytes)])     # p.cycles, p.instructions, p.captured

The snapshot is the machine at reset: the ELF loaded, the stack painted, the unicorn context
(registers, FPU) and the bytes of every writable board region. Each run restores it, writes
``patches`` (the sample's input), resets the cycle model and runs from ``Reset_Handler`` until
``region`` ends, where ``capture`` is read and the run stops.

Why reset, not after startup: the cycle model's caches, branch predictor and counters live in
native state (simulator/cycles/native) that cannot be saved and restored, and startup touches
the caches (DS-CNN on the H743: 9 I-cache lines, 1 D-cache line before ``main``). Replaying the
startup from a reset cycle model costs 12,247 instructions there (0.2 % of one inference) and
makes every run the state sequence of a fresh ``Firmware.run``: the region's cycles are
exactly the cold cycles ``analyze`` reports for the same input. The engine, its translated
blocks and the decoded block costs are kept from run to run (that is the speed-up).
"""
from __future__ import annotations

from dataclasses import dataclass

from unicorn import UC_PROT_ALL, UC_PROT_WRITE

from .. import limits
from ..errors import SimulationError
from .emulator import PAGE, Emulator
from .faults import fault_error

NEVER = 0xFFFF_FFFE          # main() returns to no address: the run ends at an exit or the region


@dataclass
class Pass:
    """One run up to the end of the region."""
    instructions: int           # inside the region
    cycles: int | None          # inside the region (None without a cycle model)
    captured: list[bytes]       # the ``capture`` ranges, read at the region's end


class Replay:
    """A firmware booted into one engine, run again from its reset snapshot for each input."""

    def __init__(self, fw, region: str, capture=(), writable=()):
        """``writable``: (address, size) ranges in read-only memory the runs will patch (an
        input buffer in flash): their pages are made writable once, here. unicorn's host write
        into a read-only region flips the region's protection for the write and back, a memory
        map change per write (unicorn-engine/unicorn#1111 reports the TLB trouble it causes);
        once per engine is enough. Firmware writes to those pages then no longer fault: the
        generated firmware never writes its ``const`` data."""
        self.fw = fw
        self.region = region
        self.capture = list(capture)
        m = fw.machine
        self.emu = Emulator(fw.board, fw.layout, fw.image, m.make_counter, max_output=m.max_output)
        self.emu.paint_stack()
        self.emu.region_listener = self._on_region
        for addr, size in writable:
            start, end = addr // PAGE * PAGE, -(-(addr + size) // PAGE) * PAGE
            self.emu.uc.mem_protect(start, end - start, UC_PROT_ALL)
        self._entry = fw.symbol_address("Reset_Handler")
        self._context = self.emu.uc.context_save()
        self._memory = [(start, bytes(self.emu.uc.mem_read(start, size)))
                        for start, size in self._writable_ranges()]
        self._captured: list[bytes] | None = None
        self._broken = False

    def _writable_ranges(self) -> list[tuple[int, int]]:
        """The mapped, writable ranges inside the board's RAM regions (not the debug pages)."""
        rams = [(r.origin, r.origin + r.size) for r in self.fw.board.regions if r.kind != "flash"]
        out = []
        for begin, end, perms in self.emu.uc.mem_regions():
            if perms & UC_PROT_WRITE and any(lo <= begin < hi for lo, hi in rams):
                out.append((begin, end - begin + 1))
        return out

    def _on_region(self, kind: str, name: str, emu) -> None:
        if kind == "end" and name == self.region and self._captured is None:
            self._captured = [emu.read_memory(addr, size) for addr, size in self.capture]
            emu.uc.emu_stop()          # the rest of main() is not this pass's business

    def _restore(self, patches) -> None:
        uc = self.emu.uc
        uc.context_restore(self._context)
        for start, data in self._memory:
            uc.mem_write(start, data)
        for addr, data in patches:
            uc.mem_write(addr, bytes(data))    # flash too (``writable``), as a debugger's load would
        self.emu.counter.reset()
        self.emu.region_totals.clear()
        self.emu.semihost.stdout.clear()
        self._captured = None

    def run(self, patches=(), max_instructions: int | None = None,
            max_seconds: float | None = None) -> Pass:
        """Restore the snapshot, write ``patches`` ([(address, bytes)]), run to the region's end."""
        if self._broken:
            raise SimulationError("this replay stopped on a fault before; build a new one")
        self._restore(patches)
        m = self.fw.machine
        budget = m.max_instructions if max_instructions is None else limits.instruction_budget(max_instructions)
        seconds = m.max_seconds if max_seconds is None else limits.wall_seconds(max_seconds)
        stop = self.emu.run(self._entry, self.fw.layout.stack_top, until=NEVER, budget=budget,
                            max_seconds=seconds)
        if self._captured is None:
            self._broken = True        # a fault or an exit leaves the engine mid-run
            if stop.kind not in ("exit", "returned"):
                raise fault_error(self.emu, stop)
            out = self.emu.semihost.stdout.decode(errors="replace").strip()
            raise SimulationError(f"the firmware ended (exit code {self.emu.semihost.exit_code}) "
                                  f"before region {self.region!r} did: {out[:200]}")
        row = self.emu.region_totals[self.region]["first"]
        return Pass(instructions=int(row["instructions"]), cycles=row["cycles"],
                    captured=self._captured)
