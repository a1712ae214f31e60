"""Why a run stops, and the plug-in shape of everything that can stop it.

:class:`Stop` is the one reason an :class:`~simulator.machine.emulator.Emulator` run ended.
A :class:`Check` is a machine check the emulator runs beside the program (alignment and
divide-by-zero faults unicorn does not raise, the hint instructions, buffer guards; later the
memory system): the emulator attaches each registered check to its engine and asks them, in
order, why a run stopped; faults.py asks them to describe a stop before its own table does.
A check that stops the run from a hook calls ``emu.halt(Stop(...))``.

The hooks are about the run's edges, never its instructions: a check that must look at
instructions does it in a native hook on exactly the sites it needs (machine/checks.py).
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field


@dataclass
class Stop:
    """Why the emulator stopped: exactly one of these is the reason."""
    kind: str      # "exit", "returned", "fault", "budget", "breakpoint", "wfi", "wallclock", "output"
    detail: str = ""
    pc: int | None = None
    address: int | None = None
    access: str = ""
    size: int = 0
    registers: dict = field(default_factory=dict)


class Check:
    """A machine check: override what applies; every default does nothing."""

    def attach(self, emu) -> None:
        """Hook ``emu``'s engine (called once, before any run)."""

    def resume_point(self) -> int | None:
        """After the engine returned with no stop: where to start it again because this check
        interrupted it for itself (machine/checks.py re-translates a block), or None."""
        return None

    def recorded_stop(self, emu) -> Stop | None:
        """A stop the check recorded while the engine ran without calling ``emu.halt`` (a
        native hook cannot call Python), looked at before the run's limits."""
        return None

    def explain_return(self, emu, pc: int) -> Stop | None:
        """The engine returned short of its end address, no stop and no limit hit: the reason
        this check knows (a WFI halts unicorn's CPU silently), or None."""
        return None

    def describe(self, emu, stop: Stop, located: dict):
        """The typed error for ``stop`` when this check knows better than faults.py's table
        (``located``: pc, location, registers, disassembly, source_line), or None."""
        return None


class SiteCache:
    """Per-image results of a check's site scan, owned by the check: computed once per loaded
    ELF (every run of a Firmware shares its image) and dropped with the image."""

    def __init__(self, scan):
        self._scan = scan
        self._by_image = weakref.WeakKeyDictionary()

    def get(self, image, *args):
        sites = self._by_image.get(image)
        if sites is None:
            sites = self._by_image[image] = self._scan(image, *args)
        return sites
