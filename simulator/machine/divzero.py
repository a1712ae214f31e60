"""CCR.DIV_0_TRP for SDIV/UDIV, which unicorn 2.1.4 does not implement.

Architecture (ARMv7-M ARM, A7.7.127 SDIV / A7.7.195 UDIV and B3.2.8 CCR): a division by zero
returns 0, unless CCR.DIV_0_TRP (bit 4 of 0xE000ED14) is set, in which case it raises a
UsageFault (DIVBYZERO). Unicorn keeps its own CCR, which firmware cannot reach (we map the
SCS as a register file), so the trap never fires there: the result is always 0.

We implement the trap (:class:`DivideCheck`): at load, every SDIV/UDIV in the loaded code
gets a native code hook on exactly its address (checks.py, ``begin == end``: unicorn decides at translation time
which instructions carry a hook, so nothing else slows down). The hook runs before the
instruction; when the firmware has set DIV_0_TRP in the SCS registers (the SCS tells the
hook on every CCR write) and the divisor register (Rm) is 0, it stops with
``Stop("fault", "divzero")``, which ``faults.py`` turns into :class:`DivideByZero` with
symbol and source line. The same hook applies the core's data-dependent divide timing.

The sites are found by the T1 encodings themselves (``FB9x Fxfx`` SDIV, ``FBBx Fxfx`` UDIV,
ARMv7-M ARM A7.7.127 / A7.7.195) at every halfword of the executable load chunks, rather than
by a linear capstone sweep, which loses its alignment after literal pools and would miss
some. A false match (data that looks like a divide) costs one hook that never runs, and the
hook re-checks the encoding at the PC before acting. ARMv6-M (Cortex-M0+) has no divide
instruction: division calls compiler-rt's ``__aeabi_idiv``/``__aeabi_uidiv``; zig's
compiler-rt returns 0 for a zero divisor without calling ``__aeabi_idiv0``, so there is no
trap to model on those cores.
"""
from __future__ import annotations

import numpy as np

from .stop import Check, SiteCache

CCR_ADDR = 0xE000ED14
CCR_DIV_0_TRP = 1 << 4


def is_divide(hw1: int, hw2: int) -> bool:
    """SDIV (FB90-FB9F) or UDIV (FBB0-FBBF) with the 1111 op2 field in the second halfword."""
    return (hw1 & 0xFFD0) == 0xFB90 and (hw2 & 0xF0F0) == 0xF0F0


def divide_sites(chunks) -> list[int]:
    """Addresses of every halfword-aligned SDIV/UDIV encoding in ``(address, bytes)`` chunks."""
    sites: list[int] = []
    for addr, data in chunks:
        start = addr & 1
        body = bytes(data[start:])
        n = len(body) // 2
        if n < 2:
            continue
        hw = np.frombuffer(body[:2 * n], dtype="<u2")
        hits = np.flatnonzero(((hw[:-1] & 0xFFD0) == 0xFB90) & ((hw[1:] & 0xF0F0) == 0xF0F0))
        sites.extend(int(addr + start + 2 * i) for i in hits)
    return sorted(set(sites))


def _code_chunks(image, board) -> list[tuple[int, bytes]]:
    flash = [r for r in board.regions if r.kind == "flash"]
    chunks = image.get_load_chunks()
    code = [(a, d) for a, d in chunks if any(r.origin <= a < r.end for r in flash)]
    return code or chunks   # RAM-only boards run code from RAM


class DivideCheck(Check):
    """CCR.DIV_0_TRP on every SDIV/UDIV, and the core's data-dependent divide timing, both in
    the native hook (``emu.checks``) on each divide site of the image."""

    sites = SiteCache(lambda image, board: divide_sites(_code_chunks(image, board)))

    def attach(self, emu) -> None:
        native = emu.checks
        if emu.board.core.arch != "armv6-m":    # no SDIV/UDIV there (see above)
            for addr in self.sites.get(emu.image, emu.board):
                native.add_divide_site(addr)
        emu.scs.watch(CCR_ADDR, lambda ccr: native.set_divide_trap(bool(ccr & CCR_DIV_0_TRP)))
        emu.counter.time_divides(native)
