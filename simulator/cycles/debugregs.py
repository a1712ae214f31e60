"""DWT cycle counter, SysTick and DEMCR as MMIO, driven by the cycle accounting.

Unicorn 2.1.4 maps nothing at 0xE000E000 (System Control Space) or 0xE0001000 (DWT) for
Cortex-M models (measured: reads there are UC_ERR_READ_UNMAPPED), so this maps both 4 KiB
pages. Registers it does not model read back what was last written (VTOR, CPACR, ...) or 0.
A machine that owns the SCS itself can skip :meth:`map` and forward accesses to
:meth:`read` / :meth:`write`.

As on silicon, CYCCNT counts only while DEMCR.TRCENA (bit 24) and DWT_CTRL.CYCCNTENA (bit 0)
are set. An access in the middle of a block sees the cycles up to the accessing instruction:
Unicorn does not sync the PC before MMIO callbacks, so the instruction is found by evaluating
each load/store's address in the current block with the live registers (registers are synced
at the access), the n-th match for the n-th access to this page within the block execution.
"""
from __future__ import annotations

from capstone import arm
from unicorn.arm_const import UC_ARM_REG_PC, UC_ARM_REG_R0

from simulator.boards.cores import get_core

DWT_BASE, SCS_BASE, PAGE = 0xE0001000, 0xE000E000, 0x1000
DWT_CTRL, DWT_CYCCNT, DWT_LAR = 0xE0001000, 0xE0001004, 0xE0001FB0
SYST_CSR, SYST_RVR, SYST_CVR, SYST_CALIB = 0xE000E010, 0xE000E014, 0xE000E018, 0xE000E01C
CPUID, DEMCR = 0xE000ED00, 0xE000EDFC
TRCENA, CYCCNTENA = 1 << 24, 1
DWT_NUMCOMP = 4 << 28            # DWT_CTRL.NUMCOMP: 4 comparators (M4/M7 typical)
_MASK32, _MASK24 = 0xFFFFFFFF, 0x00FFFFFF


class DebugRegisters:
    def __init__(self, accounting):
        self.acc = accounting
        self.cpuid = get_core(accounting.core).cpuid      # simulator/boards/cores.toml, cited there
        self._watchers: dict = {}
        self.reset()

    def watch(self, address: int, on_write) -> None:
        """Call ``on_write(value)`` after every firmware write to the stored word at ``address``
        (e.g. CCR, whose DIV_0_TRP bit the native divide check must know)."""
        self._watchers[address & ~3] = on_write

    def reset(self) -> None:
        self.stored: dict[int, int] = {}
        self.demcr = 0
        self.dwt_ctrl = 0
        self._cyc_value, self._cyc_origin, self._counting = 0, 0, False
        self.syst_csr, self.syst_rvr = 0, 0
        self._syst_start, self._syst_origin, self._syst_flag_seen = 0, 0, 0
        self._syst_frozen = 0
        self._access_key, self._access_last = None, -1

    def map(self, uc) -> None:
        for base in (DWT_BASE, SCS_BASE):
            uc.mmio_map(base, PAGE, self._mmio_read, base, self._mmio_write, base)

    # -- MMIO entry points ------------------------------------------------------------------
    def _mmio_read(self, uc, offset, size, base):
        return self.read(base + offset, size)

    def _mmio_write(self, uc, offset, size, value, base):
        self.write(base + offset, size, value)

    def read(self, address: int, size: int = 4) -> int:
        if address == DWT_CYCCNT:
            return self._cyccnt(self._now(address))
        if address == DWT_CTRL:
            return DWT_NUMCOMP | self.dwt_ctrl
        if address == DEMCR:
            return self.demcr
        if address == SYST_CVR:
            return self._systick(self._now(address))[0]
        if address == SYST_CSR:
            value, wraps = self._systick(self._now(address))
            flag = wraps > self._syst_flag_seen
            self._syst_flag_seen = wraps
            return self.syst_csr | (flag << 16)
        if address == SYST_RVR:
            return self.syst_rvr
        if address == SYST_CALIB:
            return 0xC0000000          # NOREF | SKEW: no reference clock, no exact 10 ms value
        if address == CPUID:
            return self.cpuid
        return self.stored.get(address & ~3, 0)

    def write(self, address: int, size: int, value: int) -> None:
        value &= _MASK32
        if address in (DWT_CYCCNT, DWT_CTRL, DEMCR):
            now = self._now(address)
            current = self._cyccnt(now)
            if address == DWT_CYCCNT:
                current = value
            elif address == DWT_CTRL:
                self.dwt_ctrl = value & ~(0xF << 28)
            else:
                self.demcr = value
            self._cyc_value, self._cyc_origin = current, now
            self._counting = bool(self.demcr & TRCENA and self.dwt_ctrl & CYCCNTENA)
        elif address == SYST_CSR:
            now = self._now(address)
            current, wraps = self._systick(now)
            self._syst_frozen = current
            self.syst_csr = value & 0x7
            self._syst_start, self._syst_origin = current, now
            self._syst_flag_seen = 0
        elif address == SYST_RVR:
            self.syst_rvr = value & _MASK24
        elif address == SYST_CVR:              # any write clears the counter and COUNTFLAG
            now = self._now(address)
            self._syst_frozen = 0
            self._syst_start, self._syst_origin, self._syst_flag_seen = 0, now, 0
        elif address != DWT_LAR:
            self.stored[address & ~3] = value
            if address & ~3 in self._watchers:
                self._watchers[address & ~3](value)

    # -- counters ---------------------------------------------------------------------------
    def _cyccnt(self, now: int) -> int:
        if not self._counting:
            return self._cyc_value
        return (self._cyc_value + now - self._cyc_origin) & _MASK32

    def _systick(self, now: int) -> tuple[int, int]:
        """(current value, reloads since enable). Counts down once per core cycle (CLKSOURCE is
        treated as the processor clock either way); 0 reloads RVR on the next cycle."""
        if not self.syst_csr & 1:
            return self._syst_frozen, 0
        elapsed = now - self._syst_origin
        start = self._syst_start
        if elapsed <= start:
            return start - elapsed, 0
        period = self.syst_rvr + 1
        if self.syst_rvr == 0:
            return 0, 1
        past = elapsed - start - 1
        return self.syst_rvr - past % period, 1 + past // period

    def _now(self, address: int) -> int:
        return self.acc.cycles_at(address)

    # -- which instruction of the current block is accessing ------------------------------------
    def instruction_index(self, cost, address: int) -> int | None:
        """Index in ``cost``'s block of the instruction accessing ``address``: the first load/store
        after the previous access of this block execution whose address, computed from the live
        registers, is ``address``."""
        key = (self.acc.instructions, cost.address)
        if key != self._access_key:
            self._access_key, self._access_last = key, -1
        uc = self.acc.uc
        code = bytes(uc.mem_read(cost.address, cost.size))
        for k, i in enumerate(self.acc._md.disasm(code, cost.address)):
            if k <= self._access_last:
                continue
            if any(op.type == arm.ARM_OP_MEM and self._effective_address(uc, i, op) == address
                   for op in i.operands):
                self._access_last = k
                return k
        return None

    @staticmethod
    def _effective_address(uc, insn, op) -> int:
        def reg(r):
            if r == arm.ARM_REG_PC:
                return (insn.address + 4) & ~3
            return uc.reg_read(UC_ARM_REG_R0 + (r - arm.ARM_REG_R0)) if arm.ARM_REG_R0 <= r <= arm.ARM_REG_R12 \
                else uc.reg_read(_UC_REG[r])
        ea = reg(op.mem.base)
        if op.mem.index:
            index = reg(op.mem.index) << op.mem.lshift
            ea = ea - index if op.subtracted else ea + index
        else:
            ea += op.mem.disp
        return ea & _MASK32


def _uc_regs():
    from unicorn import arm_const as u
    return {arm.ARM_REG_SP: u.UC_ARM_REG_SP, arm.ARM_REG_LR: u.UC_ARM_REG_LR, arm.ARM_REG_PC: UC_ARM_REG_PC}


_UC_REG = _uc_regs()
