"""Unicorn set up as a board's Cortex-M: memory map, semihosting, faults, counting.

unicorn 2.1.4 facts this relies on (measured here, see the developers' brief):
- ``Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)`` silently runs a Cortex-M33 whatever
  model is asked for; opening with ``UC_MODE_THUMB`` alone and then ``ctl_set_cpu_model``
  gives the real core, with the right ISA gating (M0 rejects SDIV, M3 rejects DSP).
- BKPT arrives as interrupt 7 with the PC on the BKPT itself; an undefined instruction
  stops emulation with UC_ERR_INSN_INVALID; an FPU instruction on a core without one is
  interrupt 17 (NOCP); an unaligned access on ARMv6-M is interrupt 4 (data abort).
- The System Control Space (0xE000E000) and the DWT (0xE0001000) are not mapped by unicorn:
  the cycle accounting's debug registers are mapped there, so startup code (CPACR) and
  firmware that times itself (DWT CYCCNT, SysTick) run unchanged.

What unicorn does not check is done by plug-ins (machine/stop.py :class:`Check`): the native
check hook and the alignment and divide checks that give it their sites (checks.py,
alignment.py, divzero.py), the hint instructions (hints.py), and whatever a caller adds with
:meth:`Emulator.add_check` (the guarded arguments of ``Firmware.call``, arena.py). A check or a
hook ends a run with :meth:`Emulator.halt`; :meth:`Emulator.run` returns the :class:`Stop`.
"""
from __future__ import annotations

import struct
import threading
import time

import capstone
from unicorn import (UC_ARCH_ARM, UC_ERR_FETCH_PROT, UC_ERR_FETCH_UNMAPPED, UC_ERR_INSN_INVALID,
                     UC_ERR_READ_PROT, UC_ERR_READ_UNMAPPED, UC_ERR_WRITE_PROT, UC_ERR_WRITE_UNMAPPED,
                     UC_HOOK_INTR, UC_HOOK_MEM_FETCH_UNMAPPED, UC_HOOK_MEM_PROT, UC_HOOK_MEM_UNMAPPED,
                     UC_MEM_FETCH_PROT, UC_MEM_FETCH_UNMAPPED, UC_MEM_READ_PROT, UC_MEM_READ_UNMAPPED,
                     UC_MEM_WRITE_PROT, UC_MEM_WRITE_UNMAPPED, UC_MODE_THUMB, UC_PROT_ALL, UC_PROT_EXEC,
                     UC_PROT_READ, Uc, UcError)
from unicorn import arm_const as A

from ..boards import Board
from ..toolchain.layout import Layout
from .alignment import AlignmentCheck
from .checks import NativeChecks
from .divzero import DivideCheck
from .elf import ElfImage
from .hints import HintCheck
from .semihosting import OutputLimit, Semihost, SemihostingError
from .stop import Check, Stop

PAGE = 0x400                      # unicorn's ARM page: 1 KiB (mappings must be multiples)
STACK_PAINT = 0xCD
STACK_GUARD_SPAN = 64 * 1024      # an unmapped access this far below the stack base is an overflow
EXCP_UDEF, EXCP_DATA_ABORT, EXCP_BKPT, EXCP_NOCP = 1, 4, 7, 17
EXCP_SWI, EXCP_UNALIGNED, EXCP_DIVBYZERO = 2, 22, 23
REG_NAMES = ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12",
             "sp", "lr", "pc", "xpsr"]
_REG_IDS = [getattr(A, f"UC_ARM_REG_{n.upper()}") for n in REG_NAMES]
# the interrupt numbers unicorn raises for faults -> Stop.detail (faults.py names each)
_EXCEPTION_DETAIL = {EXCP_UDEF: "undefined", EXCP_NOCP: "nocp", EXCP_UNALIGNED: "unaligned",
                     EXCP_DIVBYZERO: "divzero", EXCP_SWI: "svc"}
_ACCESS = {UC_MEM_READ_UNMAPPED: "read", UC_MEM_WRITE_UNMAPPED: "write", UC_MEM_FETCH_UNMAPPED: "fetch",
           UC_MEM_READ_PROT: "read", UC_MEM_WRITE_PROT: "write", UC_MEM_FETCH_PROT: "fetch"}


def _round_up(n: int, to: int = PAGE) -> int:
    return (n + to - 1) // to * to


class _Watch:
    """One armed wall-clock limit; ``fired`` once the watchdog has stopped its engine."""

    def __init__(self, uc, deadline: float):
        self.uc = uc
        self.deadline = deadline
        self.fired = False


class _Watchdog:
    """Stops an engine when its run passes its wall-clock deadline.

    One daemon thread for the whole process sleeps until the earliest deadline, so arming and
    disarming a run is a lock and a dict entry: no thread per run (a thread start and join cost
    ~0.5 ms of CPU per ``fw.call`` here), and no polling (unicorn's own ``emu_start`` timeout
    wakes every 2 us, uc.c ``_timeout_fn``). ctypes releases the GIL inside ``emu_start``, and
    ``uc_emu_stop`` is meant to be called from another thread (that timeout does it)."""

    def __init__(self):
        self._cond = threading.Condition()
        self._armed: dict[int, _Watch] = {}
        self._thread: threading.Thread | None = None
        self._wake: float | None = None      # when the thread wakes next (None: when told)

    def arm(self, uc, seconds: float | None) -> _Watch:
        watch = _Watch(uc, time.monotonic() + seconds if seconds is not None else None)
        if seconds is None:
            return watch
        with self._cond:
            self._armed[id(watch)] = watch
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="mcusim-watchdog",
                                                daemon=True)
                self._thread.start()
            elif self._wake is None or watch.deadline < self._wake:
                # Only a deadline earlier than the thread's next wake-up needs it woken: runs
                # armed one after another with the same limit never do (no thread switch).
                self._cond.notify()
        return watch

    def disarm(self, watch: _Watch) -> None:
        if watch.deadline is not None:
            with self._cond:
                self._armed.pop(id(watch), None)

    def _loop(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                for key, watch in list(self._armed.items()):
                    if watch.deadline <= now:
                        del self._armed[key]
                        watch.fired = True
                        watch.uc.emu_stop()
                self._wake = min((w.deadline for w in self._armed.values()), default=None)
                self._cond.wait(None if self._wake is None else self._wake - now)


_WATCHDOG = _Watchdog()


class Emulator:
    def __init__(self, board: Board, layout: Layout, image: ElfImage, counter_factory, hooks: bool = True,
                 max_output: int | None = None):
        """``counter_factory(uc, board)`` returns the cycle accounting (simulator.cycles).
        ``hooks=False`` runs bare Unicorn (no accounting, no checks; semihosting still works):
        the baseline of benchmarks/sim_speed.py, not a way to run firmware for results.
        ``max_output`` bounds the semihosting output in bytes (OutputLimitExceeded)."""
        self.board = board
        self.layout = layout
        self.image = image
        core = board.core
        self.uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)
        self.uc.ctl_set_cpu_model(getattr(A, core.unicorn_model))
        self._map_memory()
        self.counter = counter_factory(self.uc, board)
        self.scs = self.counter.map_debug_registers()   # SCS + DWT pages, see the module docstring
        for addr, data in image.get_load_chunks():
            self.uc.mem_write(addr, data)
        self.stop: Stop | None = None
        self._pending_access: tuple[str, int, int] | None = None
        limits = {} if max_output is None else {"max_output": max_output}
        self.semihost = Semihost(self._read_mem, now_cycles=self._now_cycles, clock_hz=board.clock_hz,
                                 on_region=self._on_region, **limits)
        # Regions marked by ck_region_begin/end: name -> {"instructions", "cycles", "count"}.
        self.region_totals: dict[str, dict] = {}
        self._region_open: dict[str, tuple[int, int | None]] = {}
        self.region_listener = None       # optional callable(kind, name, emulator), e.g. to read a layer's output
        self.uc.hook_add(UC_HOOK_INTR, self._on_interrupt)
        self.uc.hook_add(UC_HOOK_MEM_UNMAPPED | UC_HOOK_MEM_FETCH_UNMAPPED | UC_HOOK_MEM_PROT,
                         self._on_bad_access)
        self.checks: NativeChecks | None = None     # the native check hook (benchmarks read it)
        self.plugins: list[Check] = []               # every check, in the order they are asked
        if hooks:
            self.counter.use_block_cache(image.digest)   # decoded block costs of earlier runs
            self.counter.attach()
            # LDRD/LDM/... alignment faults and CCR.DIV_0_TRP, which unicorn does not raise on
            # v7-M, and the data-dependent divide timing: one native hook on those sites only;
            # WFI ends the run (named), WFE/YIELD run as NOPs.
            self.checks = NativeChecks(self.uc)
            for check in (self.checks, AlignmentCheck(), DivideCheck(), HintCheck()):
                self.add_check(check)
            self.counter.preload(self.checks)   # stored blocks in read-only memory: no callback for them
        self._md = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)

    # -- memory map -------------------------------------------------------------------------
    def _map_memory(self) -> None:
        ram = self.layout.ram
        for r in self.board.regions:
            start, size = r.origin, r.size
            if r is ram or r.name == ram.name:
                size = _round_up(self.layout.ram_limit)
            elif r.end == ram.origin:
                size -= PAGE       # a guard page below the stack when another region abuts it
            perms = UC_PROT_READ | UC_PROT_EXEC if r.kind == "flash" else UC_PROT_ALL
            if size > 0:
                self.uc.mem_map(start, size, perms)

    def _read_mem(self, addr: int, size: int) -> bytes:
        return bytes(self.uc.mem_read(addr, size))

    def add_check(self, check: Check) -> None:
        """Attach ``check`` to this engine; it is asked about every stop after those before it."""
        check.attach(self)
        self.plugins.append(check)

    def _counter_snapshot(self) -> tuple[int, int | None, dict | None]:
        c = self.counter
        return c.instructions, c.cycles, self.memory_counters()

    def memory_counters(self) -> dict | None:
        """The memory system's whole-run counters so far (None: the accounting has none)."""
        get = getattr(self.counter, "memory_counters", None)
        return get() if get is not None else None

    def _on_region(self, kind: str, name: str) -> None:
        now = self._counter_snapshot()
        if kind == "begin":
            self._region_open[name] = now
        elif name in self._region_open:
            i0, c0, m0 = self._region_open.pop(name)
            row = self.region_totals.setdefault(name, {"instructions": 0, "cycles": 0, "count": 0})
            row["instructions"] += now[0] - i0
            cycles = None if c0 is None or row["cycles"] is None else now[1] - c0
            row["cycles"] = None if cycles is None else row["cycles"] + cycles
            row["count"] += 1
            # the first and the last pass on their own: the first ran with the caches as reset
            # left them (cold), the last after earlier passes warmed them
            this = {"instructions": now[0] - i0, "cycles": cycles}
            if m0 is not None:
                this["memory"] = {k: now[2][k] - m0[k] for k in m0}
                total = row.setdefault("memory", dict.fromkeys(this["memory"], 0))
                for k, v in this["memory"].items():
                    total[k] += v
            row.setdefault("first", this)
            row["last"] = this
        if self.region_listener is not None:
            self.region_listener(kind, name, self)

    def read_memory(self, addr: int, size: int) -> bytes:
        return self._read_mem(addr, size)

    def _now_cycles(self) -> int:
        return self.counter.cycles

    def paint_stack(self) -> None:
        lay = self.layout
        self.uc.mem_write(lay.stack_base, bytes([STACK_PAINT]) * (lay.stack_top - lay.stack_base))

    def stack_peak(self) -> int:
        lay = self.layout
        data = self._read_mem(lay.stack_base, lay.stack_top - lay.stack_base)
        untouched = len(data) - len(data.lstrip(bytes([STACK_PAINT])))
        return lay.stack_top - lay.stack_base - untouched

    # -- hooks --------------------------------------------------------------------------------
    def halt(self, stop: Stop) -> None:
        """End the run now, for ``stop`` (the first reason given wins); callable from any hook."""
        if self.stop is None:
            self.stop = stop
        self.uc.emu_stop()

    def _on_bad_access(self, uc, access, address, size, value, _user):
        self._pending_access = (_ACCESS.get(access, "access"), address, size)
        return False

    def _on_interrupt(self, uc, intno, _user):
        pc = uc.reg_read(A.UC_ARM_REG_PC)
        if intno == EXCP_BKPT:
            insn = struct.unpack("<H", self._read_mem(pc, 2))[0]
            imm = insn & 0xFF
            if insn & 0xFF00 == 0xBE00 and imm == 0xAB:
                self._semihosting(pc)
                return
            self.halt(Stop("breakpoint", f"BKPT #0x{imm:02x} executed", pc=pc, registers=self.registers()))
            return
        if intno == EXCP_DATA_ABORT and self.board.core.unaligned_faults and self._pending_access is None:
            self.halt(Stop("fault", "unaligned", pc=pc, registers=self.registers()))
            return
        detail = _EXCEPTION_DETAIL.get(intno, f"exception {intno}")
        self.halt(Stop("fault", detail, pc=pc, registers=self.registers()))

    def _semihosting(self, pc: int) -> None:
        op = self.uc.reg_read(A.UC_ARM_REG_R0)
        r1 = self.uc.reg_read(A.UC_ARM_REG_R1)
        try:
            ret = self.semihost.handle(op, r1)
        except OutputLimit as exc:
            self.halt(Stop("output", str(exc), pc=pc, registers=self.registers()))
            return
        except (SemihostingError, UcError) as exc:
            self.halt(Stop("fault", f"semihosting: {exc}", pc=pc, registers=self.registers()))
            return
        if self.semihost.exit_code is not None:
            self.halt(Stop("exit", pc=pc))
            return
        if ret is not None:
            self.uc.reg_write(A.UC_ARM_REG_R0, ret & 0xFFFFFFFF)
        self.uc.reg_write(A.UC_ARM_REG_PC, (pc + 2) | 1)

    # -- running ------------------------------------------------------------------------------
    def registers(self) -> dict[str, int]:
        return {n: self.uc.reg_read(r) for n, r in zip(REG_NAMES, _REG_IDS)}

    def run(self, entry: int, sp: int, until: int, budget: int | None,
            max_seconds: float | None = None) -> Stop:
        """Run from ``entry`` until ``until``, an exit, a fault, the instruction ``budget`` or
        ``max_seconds`` of wall-clock time (None: no time limit, e.g. under gdb)."""
        self.uc.reg_write(A.UC_ARM_REG_SP, sp)
        self.stop = None                  # a debugger resumes the same emulator run after run
        self.budget = budget
        self.max_seconds = max_seconds
        self.counter.set_budget(budget)
        watchdog = _WATCHDOG.arm(self.uc, max_seconds)
        try:
            self.uc.emu_start(entry | 1, until)
            while self.stop is None and not watchdog.fired and (resume := self._resume_point()) is not None:
                self.uc.emu_start(resume | 1, until)     # a block stopped to get its check hooks
            self.counter.save_block_cache()
            self.counter.check()
        except UcError as exc:
            return self._error_stop(exc)
        finally:
            _WATCHDOG.disarm(watchdog)
        if self.stop is not None:
            return self.stop
        for check in self.plugins:
            if (stop := check.recorded_stop(self)) is not None:
                return stop
        pc = self.uc.reg_read(A.UC_ARM_REG_PC)
        if self.counter.budget_exceeded:
            return Stop("budget", pc=pc, registers=self.registers())
        if watchdog.fired and pc != until:
            return Stop("wallclock", pc=pc, registers=self.registers())
        if pc != until:
            for check in self.plugins:
                if (stop := check.explain_return(self, pc)) is not None:
                    return stop
        return Stop("returned", pc=pc)

    def _resume_point(self) -> int | None:
        """Where a check that interrupted the engine for itself wants it started again."""
        return next((at for check in self.plugins if (at := check.resume_point()) is not None), None)

    def _error_stop(self, exc: UcError) -> Stop:
        pc = self.uc.reg_read(A.UC_ARM_REG_PC)
        regs = self.registers()
        if exc.errno == UC_ERR_INSN_INVALID:
            return Stop("fault", "undefined", pc=pc, registers=regs)
        if exc.errno in (UC_ERR_READ_UNMAPPED, UC_ERR_WRITE_UNMAPPED, UC_ERR_FETCH_UNMAPPED,
                         UC_ERR_READ_PROT, UC_ERR_WRITE_PROT, UC_ERR_FETCH_PROT) and self._pending_access:
            access, addr, size = self._pending_access
            return Stop("fault", "memory", pc=pc, address=addr, access=access, size=size, registers=regs)
        return Stop("fault", f"unicorn: {exc}", pc=pc, registers=regs)

    def disassemble_around(self, pc: int, before: int = 3, after: int = 3) -> list[str]:
        fn = self.image.function_at(pc)
        start = fn.addr if fn and pc - fn.addr < 512 else pc
        try:
            code = self._read_mem(start, pc - start + 4 * (after + 1))
        except UcError:
            return []
        insns = list(self._md.disasm(code, start))
        if fn and fn.size:
            insns = [ins for ins in insns if ins.address < fn.addr + fn.size]
        idx = next((i for i, ins in enumerate(insns) if ins.address == pc), None)
        if idx is None:
            return []
        lines = []
        for ins in insns[max(0, idx - before): idx + after + 1]:
            mark = "=>" if ins.address == pc else "  "
            lines.append(f"{mark} {ins.address:08x}: {ins.mnemonic} {ins.op_str}".rstrip())
        return lines
