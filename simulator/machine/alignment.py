"""Alignment faults that unicorn 2.1.4 does not raise on ARMv7-M and ARMv8-M.

On these cores LDR/STR/LDRH/STRH may be unaligned, but LDRD, STRD, LDM, STM, the exclusives
and the FP loads and stores (VLDR, VSTR, VLDM, VSTM) always take an alignment UsageFault when
their address is not word aligned (halfword for LDREXH/STREXH), whatever CCR.UNALIGN_TRP says
(ARMv7-M ARM, DDI 0403E, A3.2.1 "Alignment behavior"). Measured here: unicorn runs an
unaligned LDRD on its Cortex-M7 model without complaint, so a kernel that would HardFault on
the board passed in the simulator.

At load, every function in the ELF's symbol table is disassembled from its start to its size
(bounded by the symbol, so literal pools are never mistaken for code), and each of those
instructions whose base register is not SP (SP is always word aligned on M-profile) is a
site: checks.py gives it a native code hook on exactly its address (unicorn decides at
translation time which instructions carry a hook, so nothing else slows down), which checks
base + displacement (the base alone for post-indexed forms) against the site's alignment.
Instructions skipped inside an IT block get no callback, so only accesses that really happen
are checked. ARMv6-M cores fault on every unaligned access already (emulator.EXCP_DATA_ABORT),
so nothing is installed there.
"""
from __future__ import annotations

import capstone
from capstone import arm
from unicorn import arm_const as A

# mnemonic -> required alignment in bytes
_CHECKED = {name: 4 for name in (
    "ldrd", "strd", "ldm", "ldmia", "ldmdb", "stm", "stmia", "stmdb", "ldrex", "strex",
    "vldr", "vstr", "vldmia", "vldmdb", "vstmia", "vstmdb")}
_CHECKED.update({"ldrexh": 2, "strexh": 2})
_CS_TO_UC = {getattr(arm, f"ARM_REG_R{i}"): getattr(A, f"UC_ARM_REG_R{i}") for i in range(13)}
_CS_TO_UC[arm.ARM_REG_LR] = A.UC_ARM_REG_LR
_SITES_ATTR = "_mcusim_alignment_sites"


def _disassembler():
    md = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
    md.detail = True
    return md


def alignment_sites(image) -> list[tuple[int, int, int, int, bool]]:
    """(address, uc base register, offset, alignment, post_indexed) for each checked access."""
    md = _disassembler()
    sites = []
    with open(image.path, "rb") as fh:
        blob = fh.read()
    for sym in image.symbols:
        if sym.kind != "func" or sym.size <= 0:
            continue
        offset = image.file_offset(sym.addr)
        if offset is None:
            continue
        for ins in md.disasm(blob[offset:offset + sym.size], sym.addr):
            need = _CHECKED.get(ins.mnemonic.split(".")[0])
            if need is None:
                continue
            mem = next((op for op in ins.operands if op.type == arm.ARM_OP_MEM), None)
            base = mem.mem.base if mem is not None else (ins.operands[0].reg if ins.operands else 0)
            if base == arm.ARM_REG_SP or base not in _CS_TO_UC:
                continue
            disp, post = 0, bool(getattr(ins, "post_index", False))
            if mem is not None and not post:
                disp = -mem.mem.disp if mem.subtracted else mem.mem.disp
            if ins.mnemonic.startswith(("ldmdb", "stmdb", "vldmdb", "vstmdb")):
                disp = 0          # the lowest address is base - 4n: aligned exactly when base is
            sites.append((ins.address, _CS_TO_UC[base], disp, need, post))
    return sites


def sites_for(image) -> list[tuple[int, int, int, int, bool]]:
    """:func:`alignment_sites` of ``image``, computed once per image (checks.py hooks them)."""
    sites = getattr(image, _SITES_ATTR, None)
    if sites is None:
        sites = alignment_sites(image)
        setattr(image, _SITES_ATTR, sites)
    return sites
