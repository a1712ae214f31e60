"""Thumb instruction -> timing class and the operand facts the cost model needs.

The class names are the row keys of ``tables/<core>.toml``; every core table defines the
classes it can execute. Decoding is capstone's; its register-access lists miss a few
operands (UXTAB's Rm, SSAT's Rn, PKHBT's shifted Rm), so reads are the union of
``regs_access()`` and every register operand not marked write-only.
"""
from __future__ import annotations

from dataclasses import dataclass

import capstone
from capstone import arm

_CLASS_OF = {}


def _add(cls: str, names: str) -> None:
    for name in names.split():
        _CLASS_OF[name] = cls


_add("alu", "adc add addw adr and asr bic cmn cmp eor lsl lsr mov movw movt mvn neg orn orr ror rrx "
            "rsb sbc sub subw teq tst")
_add("bitfield", "bfc bfi clz rbit rev rev16 revsh sbfx ubfx")
_add("extend", "sxtb sxth uxtb uxth sxtb16 uxtb16 sxtab sxtah sxtab16 uxtab uxtah uxtab16")
_add("simd", "sadd16 sadd8 sasx ssax ssub16 ssub8 uadd16 uadd8 uasx usax usub16 usub8 shadd16 shadd8 "
             "shasx shsax shsub16 shsub8 uhadd16 uhadd8 uhasx uhsax uhsub16 uhsub8 qadd qsub qdadd qdsub "
             "qadd16 qadd8 qasx qsax qsub16 qsub8 uqadd16 uqadd8 uqasx uqsax uqsub16 uqsub8 sel usad8 "
             "usada8 ssat ssat16 usat usat16 pkhbt pkhtb")
_add("mul", "mul smulbb smulbt smultb smultt smulwb smulwt smuad smuadx smusd smusdx smmul smmulr")
_add("mac", "mla mls smlabb smlabt smlatb smlatt smlawb smlawt smlad smladx smlsd smlsdx smmla smmlar "
            "smmls smmlsr")
_add("mul_long", "smull umull")
_add("mac_long", "smlal umlal umaal smlalbb smlalbt smlaltb smlaltt smlald smlaldx smlsld smlsldx")
_add("div", "sdiv udiv")
_add("load", "ldr ldrt ldrex pld pli")
_add("load_narrow", "ldrb ldrh ldrsb ldrsh ldrbt ldrht ldrsbt ldrsht ldrexb ldrexh")
_add("load_dual", "ldrd")
_add("store", "str strb strh strt strbt strht strex strexb strexh")
_add("store_dual", "strd")
_add("ldm", "ldm ldmdb pop")
_add("stm", "stm stmdb push")
_add("branch", "b")
_add("branch_link", "bl")
_add("branch_reg", "bx blx")
_add("cbz", "cbz cbnz")
_add("table_branch", "tbb tbh")
_add("it", "it")
_add("nop", "nop hint yield sev wfe wfi")
_add("barrier", "dmb dsb isb")
_add("system", "mrs msr cps clrex")
_add("exception", "svc bkpt udf")
_add("fp_alu", "vadd vsub vabs vneg vcmp vcmpe vcvt vcvtr vcvta vcvtn vcvtp vcvtm vcvtb vcvtt vmaxnm "
               "vminnm vsel vrinta vrintn vrintp vrintm vrintr vrintx vrintz")
_add("fp_mul", "vmul vnmul")
_add("fp_mac", "vmla vmls vnmla vnmls vfma vfms vfnma vfnms")
_add("fp_div", "vdiv")
_add("fp_sqrt", "vsqrt")
_add("fp_load", "vldr")
_add("fp_store", "vstr")
_add("fp_ldm", "vldmia vldmdb vpop")
_add("fp_stm", "vstmia vstmdb vpush")
_add("fp_mov", "vmov fconsts fconstd")
_add("fp_sys", "vmrs vmsr")

# Branch kinds shared with native/accounting.c.
KIND_NONE, KIND_COND, KIND_DIRECT, KIND_INDIRECT = 0, 1, 2, 3
_PC = arm.ARM_REG_PC
_FLAGS = FLAGS = arm.ARM_REG_CPSR        # the flags, as a register the schedule tracks
_LIST_STORES = {"stm", "stmdb", "push", "vstmia", "vstmdb", "vpush"}
# PIPE (cortex_m7.md, "overall"): which instructions run in the M7's early ALU (``Insn.early``):
# "add": add/sub and non-shifting mov, register or unshifted constant operands, from the older op only;
# "shift": "simple shifts and rotations (aliased to mov) except rrx", from either op;
# "rev": rev/rev16/revsh/rbit, whose result reaches the late ALU in 0 cycles but not the AGU next cycle.
_EARLY_ALU = {**dict.fromkeys(("add", "addw", "sub", "subw", "mov", "movw", "movt", "adr"), "add"),
              **dict.fromkeys(("lsl", "lsr", "asr", "ror"), "shift"),
              **dict.fromkeys(("rev", "rev16", "revsh", "rbit"), "rev")}
_EARLY_CLASS = {"add": "alu", "shift": "alu", "rev": "bitfield"}
# Extend-and-add: Rn is the accumulate operand (PIPE cortex_m33.md: 'accumulate dependency can be
# chained like in multiply accumulates').
_EXTEND_ADD = {"sxtab", "sxtah", "sxtab16", "uxtab", "uxtah", "uxtab16"}
# Register moves: a shifted constant they load is not an operand2 "shifted constant" operation
# (PIPE cortex_m33.md: 'movs.w (any type)' is unaffected by the two-stage rule).
_MOVES = {"mov", "mvn"}


@dataclass
class Insn:
    address: int
    size: int
    name: str                 # capstone id name: "ldr", "smlad", ...
    cls: str                  # timing class
    reads: frozenset          # capstone register ids
    writes: frozenset
    addr_regs: frozenset      # registers forming a memory address (AGU operands)
    acc_regs: frozenset       # accumulator operands (read late by MAC units)
    nregs: int                # registers in a load/store-multiple list
    kind: int                 # KIND_*: how the instruction changes the PC
    conditional: bool
    sets_flags: bool
    text: str
    wb_regs: frozenset = frozenset()   # base registers written back by the address unit (pre/post-index, LDM!, PUSH)
    mem: tuple | None = None           # (base, index, displacement) of a single load/store's address
    early: str = ""                    # may run in the M7 early ALU: "", "add", "shift", "rev" (_EARLY_ALU)
    target: int | None = None          # direct branch target address

    @property
    def is_load(self) -> bool:
        return self.cls in ("load", "load_narrow", "load_pc", "fp_load")

    @property
    def is_store(self) -> bool:
        return self.cls in ("store", "store_reg", "fp_store")


def make_disassembler() -> capstone.Cs:
    md = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
    md.detail = True
    return md


def classify(i) -> Insn:
    """One capstone instruction (detail on) -> :class:`Insn`."""
    name = i.insn_name()
    cls = _CLASS_OF.get(name, "alu")
    reads, writes = (set(r) for r in i.regs_access())
    addr_regs, acc_regs, nregs = set(), set(), 0
    shifted = False
    for op in i.operands:
        if op.type == arm.ARM_OP_MEM:
            addr_regs.update(r for r in (op.mem.base, op.mem.index) if r)
        elif op.type == arm.ARM_OP_REG:
            nregs += 1
            if op.access != capstone.CS_AC_WRITE:
                reads.add(op.reg)
            if op.shift.type and cls == "alu":
                shifted = True
    if name in _LIST_STORES:
        writes = {r for r in writes if r == arm.ARM_REG_SP or not _in_list(i, r)}
    elif cls in ("ldm", "fp_ldm"):         # capstone reports VLDM's list as read: it is written
        listed = _list_regs(i, name)
        writes |= listed
        reads -= listed
    if cls in ("ldm", "stm", "fp_ldm", "fp_stm"):
        if name in ("push", "pop", "vpush", "vpop"):
            addr_regs.add(arm.ARM_REG_SP)
        else:
            addr_regs.add(i.operands[0].reg)   # the base register is the first operand
            nregs -= 1
    acc_regs = _accumulators(i, cls, name)
    reads |= acc_regs
    if cls == "alu" and shifted:
        cls = "alu_shift"
    shifted_const = cls == "alu" and _shifted_constant(i)
    if shifted_const and name not in _MOVES:
        cls = "alu_shifted_const"
    if cls == "store" and any(op.type == arm.ARM_OP_MEM and op.mem.index for op in i.operands):
        cls = "store_reg"
    conditional = i.cc not in (arm.ARM_CC_AL, arm.ARM_CC_INVALID) and name != "it"
    kind = KIND_NONE
    if cls in ("branch", "branch_link"):
        kind = KIND_COND if conditional else KIND_DIRECT
    elif cls == "cbz":
        kind = KIND_COND
    elif cls in ("branch_reg", "table_branch") or _PC in writes:
        kind = KIND_INDIRECT
        if cls in ("load", "load_narrow"):
            cls = "load_pc"
        elif cls == "ldm":
            cls = "ldm_pc"
        elif cls in ("alu", "alu_shift"):
            cls = "branch_reg"
    wb_regs, mem = _address_facts(i, cls, name)
    early = _EARLY_ALU.get(name, "") if cls == _EARLY_CLASS.get(_EARLY_ALU.get(name)) and not shifted_const else ""
    target = i.operands[-1].imm if kind in (KIND_COND, KIND_DIRECT) and i.operands \
        and i.operands[-1].type == arm.ARM_OP_IMM else None
    sets_flags = bool(i.update_flags) or _FLAGS in writes or name in ("cmp", "cmn", "tst", "teq")
    if sets_flags:
        writes.add(_FLAGS)
    if conditional and kind == KIND_NONE:
        reads.add(_FLAGS)          # predicated: waits for the flags (branches are predicted instead)
    writes.discard(_PC)
    reads.discard(_PC)
    return Insn(i.address, i.size, name, cls, frozenset(reads), frozenset(writes), frozenset(addr_regs),
                frozenset(acc_regs), max(nregs, 0), kind, conditional, sets_flags,
                f"{i.mnemonic} {i.op_str}".strip(), frozenset(wb_regs), mem, early, target)


def _shifted_constant(i) -> bool:
    """A 32-bit data-processing instruction whose modified immediate is a rotated 8-bit value
    (i:imm3 >= 4), PIPE's "shifted constant" (e.g. ``eor r0, r1, #0x1fc0``), as opposed to a plain
    8-bit constant (i:imm3 = 0), a replicated "constant pattern" (1-3) or a plain 12/16-bit
    immediate (ADDW/SUBW/MOVW: another encoding). Armv7-M ARM A5.3.1/A5.3.2."""
    if i.size != 4:
        return False
    hw1, hw2 = int.from_bytes(i.bytes[0:2], "little"), int.from_bytes(i.bytes[2:4], "little")
    if (hw1 & 0xFA00) != 0xF000 or hw2 & 0x8000:
        return False
    return (((hw1 >> 10) & 1) << 3 | (hw2 >> 12) & 7) >= 4


def _accumulators(i, cls: str, name: str) -> set:
    """The accumulator operands, by position: MLA/SMLAxy/SMLAD Ra (the 4th operand, whether or
    not it is also Rd), SMLAL-family RdLo and RdHi (read and written), VFMA/VMLA Sd, the Rn of
    an extend-and-add (UXTAB/SXTAH/...)."""
    regs = [op.reg for op in i.operands if op.type == arm.ARM_OP_REG]
    if name in _EXTEND_ADD and len(regs) == 3:
        return {regs[1]}
    if cls == "mac" and len(regs) == 4:
        return {regs[3]}
    if cls == "mac_long" and len(regs) == 4:
        return {regs[0], regs[1]}
    if cls == "fp_mac" and regs:
        return {regs[0]}
    return set()


def _address_facts(i, cls: str, name: str):
    """Base registers the address unit writes back, and a single access's (base, index, disp)."""
    wb, mem = set(), None
    if name in ("push", "pop", "vpush", "vpop"):
        wb.add(arm.ARM_REG_SP)
    elif cls in ("ldm", "stm", "fp_ldm", "fp_stm", "ldm_pc") and i.writeback:
        wb.add(i.operands[0].reg)
    for op in i.operands:
        if op.type == arm.ARM_OP_MEM:
            mem = (op.mem.base, op.mem.index, op.mem.disp)
            if op.mem.base == _PC:        # a literal: its address is known, keep it absolute
                mem = (0, op.mem.index, ((i.address + 4) & ~3) + op.mem.disp)
            elif i.writeback:
                wb.add(op.mem.base)
    return wb, mem


def _list_regs(i, name: str) -> set:
    """The register list of a load multiple (after the base register, except POP/VPOP)."""
    regs = [op.reg for op in i.operands if op.type == arm.ARM_OP_REG]
    return set(regs if name in ("pop", "vpop") else regs[1:])


def _in_list(i, reg) -> bool:
    return any(op.type == arm.ARM_OP_REG and op.reg == reg for op in i.operands)
