"""Turn an emulator stop into the typed, located error a user can act on."""
from __future__ import annotations

import capstone

from .. import errors as E
from ..sizes import format_size
from .emulator import STACK_GUARD_SPAN, Emulator
from .stop import Stop

_MD_FULL = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)


def _instruction_at(emu: Emulator, pc: int) -> str:
    try:
        code = bytes(emu.uc.mem_read(pc, 4))
    except Exception:
        return ""
    for ins in _MD_FULL.disasm(code, pc, count=1):
        return f"{ins.mnemonic} {ins.op_str}".strip()
    return ""


def _where(emu: Emulator, addr: int) -> str:
    """Name what lies at a data address: a region, the stack guard, or the RAM limit."""
    lay = emu.layout
    board = emu.board
    ram = lay.ram
    limit_end = ram.origin + lay.ram_limit
    if ram.origin - STACK_GUARD_SPAN <= addr < ram.origin:
        return f"below the stack base 0x{ram.origin:08x}"
    if limit_end <= addr < ram.end:
        return (f"in region '{ram.name}' but past the RAM limit ({format_size(lay.ram_limit)} "
                f"ends at 0x{limit_end:08x})")
    region = board.region_at(addr)
    if region is not None:
        return f"in region '{region.name}'" + (" (read-only flash)" if region.kind == "flash" else "")
    if 0xE0000000 <= addr < 0xE0100000:
        return "in the private peripheral bus (not modelled here)"
    return f"not mapped by board {board.name}"


def fault_error(emu: Emulator, stop: Stop) -> E.SimulationError:
    """The typed error for ``stop``: a registered check's description if it has one (a guarded
    argument's overrun), else the table's entry for the stop's kind, or for a fault its detail."""
    pc = stop.pc if stop.pc is not None else 0
    image = emu.image
    kw = dict(pc=pc, location=image.describe_address(pc), registers=stop.registers,
              disassembly=emu.disassemble_around(pc), source_line=image.source_line(pc))
    for check in emu.plugins:
        if (err := check.describe(emu, stop, kw)) is not None:
            return err
    describe = _BY_KIND.get(stop.kind) or _BY_DETAIL.get(stop.detail, _other_fault)
    return describe(emu, stop, kw)


def _function_name(emu: Emulator, pc: int) -> str:
    fn = emu.image.function_at(pc)
    return fn.name if fn else f"0x{pc:08x}"


def _budget(emu: Emulator, stop: Stop, kw: dict) -> E.SimulationError:
    return E.InstructionBudgetExceeded(
        f"instruction budget exceeded: more than {emu.budget:,} instructions "
        f"(a runaway loop? raise it with max_instructions / --max-instructions)", **kw)


def _wallclock(emu: Emulator, stop: Stop, kw: dict) -> E.SimulationError:
    return E.WallClockExceeded(
        f"wall-clock limit exceeded: the program ran for more than {emu.max_seconds:g} s "
        f"({emu.counter.instructions:,} instructions; raise it with max_seconds / "
        f"--max-seconds)", **kw)


def _output(emu: Emulator, stop: Stop, kw: dict) -> E.SimulationError:
    return E.OutputLimitExceeded(stop.detail, **kw)


def _wfi(emu: Emulator, stop: Stop, kw: dict) -> E.SimulationError:
    return E.WaitForInterrupt(
        f"WFI in {_function_name(emu, kw['pc'])}: the core waits for an interrupt, and mcusim "
        f"delivers none (SysTick and the DWT count but never interrupt), so the run ends here after "
        f"{emu.counter.instructions:,} instructions",
        stdout=emu.semihost.stdout.decode(errors="replace"), **kw)


def _breakpoint(emu: Emulator, stop: Stop, kw: dict) -> E.SimulationError:
    return E.HardFault(stop.detail, **kw)


def _memory(emu: Emulator, stop: Stop, kw: dict) -> E.SimulationError:
    lay = emu.layout
    sp = stop.registers.get("sp", lay.stack_top)
    addr = stop.address
    below_stack = addr is not None and lay.stack_base - STACK_GUARD_SPAN <= addr < lay.stack_base
    if below_stack or sp < lay.stack_base:
        return E.StackOverflow(
            f"stack overflow in {_function_name(emu, kw['pc'])}: the stack ({format_size(lay.stack_size)}, "
            f"0x{lay.stack_base:08x}-0x{lay.stack_top:08x}) was exhausted "
            f"(SP=0x{sp:08x}, {stop.access} at 0x{addr:08x}); raise it with stack= / --stack",
            address=addr, **kw)
    what = "fetch from" if stop.access == "fetch" else f"{stop.access} of {stop.size} bytes at"
    return E.MemoryFault(f"invalid memory access: {what} 0x{addr:08x}, {_where(emu, addr)}",
                         address=addr, **kw)


def _undefined(emu: Emulator, stop: Stop, kw: dict) -> E.SimulationError:
    ins = _instruction_at(emu, kw["pc"])
    core = emu.board.core.title
    if ins:
        msg = f"undefined instruction '{ins}': not implemented by {core} ({emu.board.core.arch})"
    else:
        msg = f"undefined instruction on {core}"
    return E.UndefinedInstruction(msg, **kw)


def _nocp(emu: Emulator, stop: Stop, kw: dict) -> E.SimulationError:
    ins = _instruction_at(emu, kw["pc"])
    return E.UndefinedInstruction(
        f"coprocessor/FPU instruction '{ins}' on {emu.board.core.title}, which has no FPU", **kw)


def _unaligned(emu: Emulator, stop: Stop, kw: dict) -> E.SimulationError:
    ins = _instruction_at(emu, kw["pc"])
    core = emu.board.core
    if core.unaligned_faults:
        why = f"{core.title} faults on every unaligned access"
    else:
        why = f"{core.title} requires word alignment for this instruction (ARMv7-M ARM A3.2.1)"
    at = f" at 0x{stop.address:08x}" if stop.address is not None else ""
    return E.UnalignedAccess(f"unaligned access{at} by '{ins}': {why}", address=stop.address, **kw)


def _divzero(emu: Emulator, stop: Stop, kw: dict) -> E.SimulationError:
    return E.DivideByZero("integer divide by zero with CCR.DIV_0_TRP set", **kw)


def _svc(emu: Emulator, stop: Stop, kw: dict) -> E.SimulationError:
    return E.HardFault("SVC executed: mcusim firmware has no supervisor call handler", **kw)


def _other_fault(emu: Emulator, stop: Stop, kw: dict) -> E.SimulationError:
    return E.HardFault(f"fault: {stop.detail}", **kw)


# Stop.kind -> description (the limits, WFI, a BKPT); every other stop is a fault named by its
# Stop.detail (emulator.py, checks.py and the checks set it).
_BY_KIND = {"budget": _budget, "wallclock": _wallclock, "output": _output, "wfi": _wfi,
            "breakpoint": _breakpoint}
_BY_DETAIL = {"memory": _memory, "undefined": _undefined, "nocp": _nocp, "unaligned": _unaligned,
              "divzero": _divzero, "svc": _svc}
