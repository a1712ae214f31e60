"""Alignment sites checked when their block starts (checks.c ck_block_entry) behave exactly as
sites with their own code hook: the oracle is the same code run with code hooks only. The
bases here are the three kinds the block-entry check knows: a register the block does not
write, ``ldr Rb, [sp, #imm]`` after a push, and ``add Rb, sp, #imm``."""
import capstone
import pytest
from unicorn.arm_const import UC_ARM_REG_R0, UC_ARM_REG_R6, UC_ARM_REG_R11, UC_ARM_REG_R12, UC_ARM_REG_SP

from simulator.cycles.engine import Accounting
from simulator.cycles.testing import FLASH, SRAM, TCM, assemble, new_uc
from simulator.machine.checks import NativeChecks

CODE = """
    ldr r3, ={sram}
loop:
    ldrd r4, r5, [r0]
    push {{r4, lr}}
    ldr.w ip, [sp, #8]
    ldrd r1, r2, [ip, #8]
    add.w fp, sp, #{fp_off}
    ldm.w fp, {{r1, r2}}
    pop {{r4, lr}}
    subs r6, r6, #1
    bne loop
    bkpt #0
    .ltorg
"""
BASES = {"ldrd r4": UC_ARM_REG_R0, "ldrd r1": UC_ARM_REG_R12, "ldm.w fp": UC_ARM_REG_R11}


def _run(r0: int, loaded: int, fp_off: int, entry_checks: bool):
    code = assemble(CODE.format(sram=SRAM, fp_off=fp_off), "m7")
    uc = new_uc("m7")
    for base in (FLASH, SRAM, TCM):
        uc.mem_map(base, 0x40000)
    uc.mem_write(FLASH, code)
    sp = SRAM + 0x1000
    uc.reg_write(UC_ARM_REG_SP, sp)
    uc.mem_write(sp, loaded.to_bytes(4, "little"))      # what ldr ip, [sp, #8] reads after the push
    uc.reg_write(UC_ARM_REG_R0, r0)
    acc = Accounting(uc, "m7").attach()
    checks = NativeChecks(uc)
    md = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
    for ins in md.disasm(code, FLASH):
        for prefix, reg in BASES.items():
            if f"{ins.mnemonic} {ins.op_str}".startswith(prefix):
                checks.add_alignment_site(ins.address, reg, 8 if prefix == "ldrd r1" else 0, 4)
    acc.translation_listener = checks.on_translated
    if entry_checks:
        checks.use_entry_checks(acc)
    until = FLASH + code.rfind(b"\x00\xbe")
    uc.reg_write(UC_ARM_REG_R6, 3)                      # loop count
    uc.emu_start(FLASH | 1, until)
    while not checks.record.fault and (resume := checks.resume_point()) is not None:
        uc.emu_start(resume | 1, until)
    r = checks.record
    fault = (r.fault, r.fault_pc, r.fault_addr) if r.fault else None
    return (acc.cycles, acc.instructions, fault), r.entry_checks


@pytest.mark.parametrize("r0, loaded, fp_off", [
    (SRAM + 0x100, SRAM + 0x200, 0),        # all aligned
    (SRAM + 0x102, SRAM + 0x200, 0),        # the unwritten base is misaligned
    (SRAM + 0x100, SRAM + 0x202, 0),        # the loaded base
    (SRAM + 0x100, SRAM + 0x200, 2),        # the sp-derived base
])
def test_entry_checks_fault_and_count_as_code_hooks(r0, loaded, fp_off):
    hooked, none = _run(r0, loaded, fp_off, entry_checks=False)
    at_entry, checked = _run(r0, loaded, fp_off, entry_checks=True)
    assert none == 0 and checked > 0                    # the block-entry path ran
    assert at_entry == hooked
    assert (hooked[2] is None) == (r0 % 4 == 0 and loaded % 4 == 0 and fp_off % 4 == 0)
