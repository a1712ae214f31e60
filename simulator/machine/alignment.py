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
site: :class:`AlignmentCheck` hands it to the native check hook (checks.py), a code hook on exactly its address (unicorn decides at
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

from .stop import Check, SiteCache

# mnemonic -> required alignment in bytes
_CHECKED = {name: 4 for name in (
    "ldrd", "strd", "ldm", "ldmia", "ldmdb", "stm", "stmia", "stmdb", "ldrex", "strex",
    "vldr", "vstr", "vldmia", "vldmdb", "vstmia", "vstmdb")}
_CHECKED.update({"ldrexh": 2, "strexh": 2})
CS_TO_UC = {getattr(arm, f"ARM_REG_R{i}"): getattr(A, f"UC_ARM_REG_R{i}") for i in range(13)}
CS_TO_UC[arm.ARM_REG_LR] = A.UC_ARM_REG_LR


def _disassembler():
    md = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
    md.detail = True
    return md


def alignment_sites(image) -> list[tuple[int, int, int, int, bool]]:
    """(address, uc base register, offset, alignment, post_indexed) for each checked access,
    less those another site proves aligned (:func:`function_sites`)."""
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
        sites.extend(function_sites(list(md.disasm(blob[offset:offset + sym.size], sym.addr))))
    return sites


def function_sites(insns) -> list[tuple[int, int, int, int, bool]]:
    """The checked accesses of one function's instructions (capstone, detail on).

    A site B right after a site A is left out when A proves it aligned: same base register,
    not written by A (no writeback, not loaded), B's offset congruent to A's modulo B's
    alignment (which divides A's), neither predicated (IT), and nothing can reach B without
    passing A: no direct branch targets B and the function has no computed branch other than
    ``bx lr``. Then A faults whenever B would, first, as on the core. Each left-out site saves
    a hook call per execution (VWW: the LDRD/STRD pairs of its conv MAC loop, 36% of calls)."""
    targets, computed = _branch_targets(insns)
    out, prev = [], None
    for ins in insns:
        site = _site(ins)
        if site is not None and not (prev is not None and not computed and _proves(prev, ins, site, targets)):
            out.append(site)
        prev = (ins, site) if site is not None else None
    return out


def _site(ins):
    name = ins.insn_name()                    # without the condition an IT block adds ("ldrdeq")
    need = _CHECKED.get(name)
    if need is None:
        return None
    mem = next((op for op in ins.operands if op.type == arm.ARM_OP_MEM), None)
    base = mem.mem.base if mem is not None else (ins.operands[0].reg if ins.operands else 0)
    if base == arm.ARM_REG_SP or base not in CS_TO_UC:
        return None
    disp, post = 0, bool(getattr(ins, "post_index", False))
    if mem is not None and not post:
        disp = -mem.mem.disp if mem.subtracted else mem.mem.disp
    if name in ("ldmdb", "stmdb", "vldmdb", "vstmdb"):
        disp = 0          # the lowest address is base - 4n: aligned exactly when base is
    return (ins.address, CS_TO_UC[base], disp, need, post)


def _proves(prev, ins, site, targets) -> bool:
    a_ins, a = prev
    _, base, disp, need, _ = site
    return (a_ins.address + a_ins.size == ins.address and ins.address not in targets
            and a[1] == base and a[3] % need == 0 and (disp - a[2]) % need == 0
            and not predicated(a_ins) and not predicated(ins) and not writes_base(a_ins, base))


def predicated(ins) -> bool:
    return ins.cc not in (arm.ARM_CC_AL, arm.ARM_CC_INVALID)


def writes_base(ins, uc_base: int) -> bool:
    _, written = ins.regs_access()
    return ins.writeback or any(CS_TO_UC.get(r) == uc_base for r in written)


_DIRECT = ("b", "bl", "cbz", "cbnz")


def _branch_targets(insns) -> tuple[set, bool]:
    """Direct branch targets, and whether any computed branch (other than ``bx lr``) exists."""
    targets, computed = set(), False
    for ins in insns:
        name = ins.insn_name()
        if name in _DIRECT:
            targets.update(op.imm for op in ins.operands if op.type == arm.ARM_OP_IMM)
        elif (name == "bx" and ins.op_str == "lr") or name in ("pop", "ldm"):
            continue              # returns: they land after a call, never right after a site
        elif name in ("tbb", "tbh", "blx", "bx") or arm.ARM_REG_PC in ins.regs_access()[1]:
            computed = True
    return targets, computed


class AlignmentCheck(Check):
    """The alignment faults of LDRD/STRD/LDM/STM/exclusives/VFP transfers on ARMv7-M and v8-M,
    checked by the native hook (``emu.checks``) on each site of the image."""

    sites = SiteCache(alignment_sites)          # one disassembly per ELF, shared by its runs

    def attach(self, emu) -> None:
        if emu.board.core.unaligned_faults:      # ARMv6-M: unicorn faults by itself
            return
        for addr, base_reg, disp, need, _post in self.sites.get(emu.image):
            emu.checks.add_alignment_site(addr, base_reg, disp, need)
