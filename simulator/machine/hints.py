"""WFI, WFE, YIELD and SEV: the hint instructions, with defined semantics.

What unicorn 2.1.4 does with them (measured here on M0+, M4, M7 and M33): WFI halts the
virtual CPU, so ``emu_start`` returns as if the program had finished (the rest of main()
never ran and the run looked like a clean exit); WFE and YIELD end emulation with
UC_ERR_INSN_INVALID, blamed on the *next* instruction; SEV and NOP execute as NOPs.

What mcusim does instead (ARMv7-M ARM, DDI 0403E.e; ARMv6-M and ARMv8-M say the same):
- WFE, YIELD and SEV are hints (A7.7.261 WFE, A7.7.263 YIELD, A7.7.129 SEV; B1.5.18 "Wait
  For Event and Send Event"): WFE may complete at any time, for any reason, so software
  always re-checks its condition in a loop, and YIELD has no architectural effect. They
  are executed as NOPs: a code hook on exactly the WFE and YIELD addresses moves the PC
  past them (unicorn runs SEV as a NOP by itself).
- WFI (A7.7.262) suspends the core until an interrupt (or a debug event) arrives. mcusim
  delivers no interrupts: SysTick and the DWT are readable counters (cycles/debugregs.py)
  that never raise an exception, so nothing could ever wake the core. A WFI therefore ends
  the run as a named condition, Stop("wfi"), which the caller turns into the typed
  :class:`~simulator.errors.WaitForInterrupt` naming the PC, function and source line.
  Idling to the next SysTick interrupt is out of scope until interrupts are modelled.

Sites are found as machine/alignment.py finds its accesses: every function symbol is
disassembled from its start to its size, and a hook is added on each hint's address only,
so nothing else slows down. A WFI outside any sized function symbol (hand-written assembly
without ``.size``) is still caught after the fact by :func:`wfi_before`.
"""
from __future__ import annotations

import struct

import capstone
from unicorn import UC_HOOK_CODE
from unicorn import arm_const as A

from .stop import Check, SiteCache, Stop

# executed as NOPs by moving the PC past them. SEV (and NOP) unicorn already runs as a NOP;
# hooking it would re-translate the rest of its block and count those instructions twice
# (WFE and YIELD end their translation block, so skipping them costs no double count).
SKIPPED = ("wfe", "yield")
HALTS = ("wfi",)
WFI_T1 = 0xBF30                          # 16-bit encoding; WFI.W is F3AF 8003
WFI_T2 = (0xF3AF, 0x8003)
# little-endian bytes of WFI, WFE, YIELD (T1) and the first halfword of every 32-bit hint (T2)
_ENCODINGS = (b"\x30\xbf", b"\x20\xbf", b"\x10\xbf", b"\xaf\xf3")


def hint_sites(image) -> list[tuple[int, int, str]]:
    """(address, size, mnemonic) of every WFI/WFE/YIELD inside a function symbol."""
    md = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
    with open(image.path, "rb") as fh:
        blob = fh.read()
    sites = []
    for sym in image.symbols:
        if sym.kind != "func" or sym.size <= 0:
            continue
        offset = image.file_offset(sym.addr)
        if offset is None:
            continue
        code = blob[offset:offset + sym.size]
        if not any(enc in code for enc in _ENCODINGS):
            continue                      # no hint encoding anywhere: skip the disassembly
        for address, size, mnemonic, _ in md.disasm_lite(code, sym.addr):
            name = mnemonic.split(".")[0]
            if name in SKIPPED or name in HALTS:
                sites.append((address, size, name))
    return sites


class HintCheck(Check):
    """WFE/YIELD run as NOPs, WFI ends the run as ``Stop("wfi")``: a code hook on each hint
    inside a sized function, and :func:`wfi_before` for one outside (caught after the fact)."""

    sites = SiteCache(hint_sites)
    hooked = 0

    def attach(self, emu) -> None:
        sites = self.sites.get(emu.image)
        for site in sites:
            fn = _on_wfi if site[2] in HALTS else _on_skip
            emu.uc.hook_add(UC_HOOK_CODE, fn, (emu, site), site[0], site[0])
        self.hooked = len(sites)

    def explain_return(self, emu, pc: int) -> Stop | None:
        wfi = wfi_before(emu.read_memory, pc)
        fn = emu.image.function_at(wfi) if wfi is not None else None
        if wfi is not None and not (fn and fn.size):     # a WFI in a sized function was hooked
            return _wfi_stop(emu, wfi)
        return None


def _on_skip(uc, address, size, user) -> None:
    uc.reg_write(A.UC_ARM_REG_PC, (address + size) | 1)


def _on_wfi(uc, address, size, user) -> None:
    emu, _ = user
    emu.halt(_wfi_stop(emu, address))


def _wfi_stop(emu, address: int) -> Stop:
    return Stop("wfi", "WFI with no interrupt that could wake the core", pc=address,
                registers=emu.registers())


def wfi_before(read_mem, pc: int) -> int | None:
    """The address of a WFI ending just before ``pc`` (where unicorn leaves the PC after
    halting on one), or None."""
    try:
        prev = read_mem(pc - 4, 4)
    except Exception:                     # noqa: BLE001 - nothing mapped there: no WFI
        return None
    first, second = struct.unpack("<HH", prev)
    if second == WFI_T1:
        return pc - 2
    if (first, second) == WFI_T2:
        return pc - 4
    return None
