"""Every diagnosis mcusim can give, as a type carrying the facts a user needs.

The CLI turns any :class:`McusimError` into one message and a non-zero exit code;
anything else escaping is a bug in mcusim.
"""
from __future__ import annotations


class McusimError(Exception):
    """Base of all user-facing errors. ``str(err)`` is the one-line (or short) diagnosis."""

    exit_code = 2

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


class ConfigError(McusimError):
    """Bad arguments: unknown board, malformed size, missing file, wrong input shape."""


class InexactInput(ConfigError):
    """float64 input values that float32 (what the model takes) cannot hold exactly."""


class BoardError(ConfigError):
    """A board description is missing or malformed."""


class NoTimingTable(ConfigError):
    """The core is known (it builds and runs) but has no cycle table, so it cannot be timed
    (simulator/boards/cores.toml says why for each such core)."""

    def __init__(self, message: str, *, core: str):
        super().__init__(message)
        self.core = core


class ToolchainError(McusimError):
    """A cross toolchain is missing or unusable."""


class CompileError(McusimError):
    """The compiler or linker rejected the sources; carries its own diagnostics and the command."""

    def __init__(self, message: str, *, command: list[str] | None = None, output: str = ""):
        self.command = command or []
        self.output = output
        self.summary = message
        text = message
        if output:
            text += "\n" + output.rstrip()
        if command:
            text += "\ncommand: " + " ".join(command)
        super().__init__(text)


class UnknownFlag(CompileError):
    """The compiler or linker does not know a flag the user passed; ``flag`` names it."""

    def __init__(self, message: str, *, flag: str, command=None, output: str = ""):
        self.flag = flag
        super().__init__(message, command=command, output=output)


class LibraryNotFound(CompileError):
    """A ``-l`` library (or a named archive) is in no search directory; ``library`` names it."""

    def __init__(self, message: str, *, library: str, command=None, output: str = ""):
        self.library = library
        super().__init__(message, command=command, output=output)


class IncompatibleObject(CompileError):
    """A prebuilt object or archive member was compiled for another core or float calling
    convention than the firmware; ``input`` names it (``lib.a(member.o)``)."""

    def __init__(self, message: str, *, input: str, command=None, output: str = ""):
        self.input = input
        super().__init__(message, command=command, output=output)


class StructLayoutError(ConfigError):
    """A Python-side struct (ctypes / NumPy) does not match the C declaration in the firmware's
    debug info: names the type, the field and both sizes or offsets."""


class RamOverflow(McusimError):
    """Static data (or a model's arena) does not fit the RAM limit."""

    def __init__(self, message: str, *, limit: int, needed: int, sections: dict | None = None):
        self.limit = limit
        self.needed = needed
        self.overflow = needed - limit
        self.sections = sections or {}
        super().__init__(message)


class FlashOverflow(McusimError):
    """Code and constants do not fit the board's flash."""


class ModelError(McusimError):
    """A model file is malformed or uses something mcusim does not support.

    The message names the file and, where known, the op index/name or tensor index.
    """

    def __init__(self, message: str, *, path: str | None = None, op_index: int | None = None,
                 opcode: str | None = None, tensor_index: int | None = None):
        self.path = path
        self.op_index = op_index
        self.opcode = opcode
        self.tensor_index = tensor_index
        self.detail = message
        where = []
        if path:
            where.append(str(path))
        if op_index is not None:
            where.append(f"op #{op_index}" + (f" ({opcode})" if opcode else ""))
        elif opcode:
            where.append(opcode)
        if tensor_index is not None:
            where.append(f"tensor #{tensor_index}")
        super().__init__((": ".join(where) + ": " if where else "") + message)


    def with_path(self, path) -> "ModelError":
        """The same diagnosis, naming the file (for errors raised far from the loader)."""
        if self.path is not None or path is None:
            return self
        return ModelError(self.detail, path=str(path), op_index=self.op_index, opcode=self.opcode,
                          tensor_index=self.tensor_index)


class HostBudgetExceeded(McusimError):
    """Running the model's NumPy reference would take more host memory or work than allowed
    (simulator.budget.HostBudget); checked from the declared shapes before anything runs."""


class QuantizationError(McusimError):
    """Calibration data or a float model cannot be quantized as asked."""


class BitMismatch(McusimError):
    """Simulated output differs from the reference; names layer, op, index and both values."""

    exit_code = 1


class SimulationError(McusimError):
    """Something went wrong running firmware. Subclasses are the located faults."""

    exit_code = 3

    def __init__(self, message: str, *, pc: int | None = None, location: str = "",
                 address: int | None = None, registers: dict | None = None,
                 disassembly: list[str] | None = None, source_line: str = ""):
        self.pc = pc
        self.location = location          # "symbol+0xoff (file.c:42)"
        self.address = address            # faulting data address, if any
        self.registers = registers or {}
        self.disassembly = disassembly or []
        self.source_line = source_line
        self.summary = message
        super().__init__(self._render())

    def _render(self) -> str:
        text = self.summary
        if self.location:
            text += f" at {self.location}"
        lines = [text]
        if self.disassembly:
            lines.append("  " + "\n  ".join(self.disassembly))
        if self.registers:
            regs = " ".join(f"{k}={v:08x}" for k, v in self.registers.items())
            lines.append("  " + regs)
        return "\n".join(lines)


class HardFault(SimulationError):
    """A fault with no more specific type."""


class MemoryFault(SimulationError):
    """Read, write or fetch at an address that no region of the board maps."""


class UnalignedAccess(SimulationError):
    """Unaligned access on a core (or instruction) that faults on it."""


class UndefinedInstruction(SimulationError):
    """An instruction the selected core does not implement (e.g. SDIV on Cortex-M0+)."""


class DivideByZero(SimulationError):
    """Integer divide by zero with CCR.DIV_0_TRP set."""


class StackOverflow(SimulationError):
    """The stack grew past its guard; names the function that overflowed it."""


class InstructionBudgetExceeded(SimulationError):
    """The program ran longer than its instruction budget (a runaway loop)."""


class WallClockExceeded(SimulationError):
    """The program ran longer than its wall-clock limit (max_seconds / --max-seconds)."""


class OutputLimitExceeded(SimulationError):
    """The program's semihosting output passed its limit (max_output / --max-output)."""


class WaitForInterrupt(SimulationError):
    """The program executed WFI: mcusim delivers no interrupts, so the core would sleep forever
    (see simulator/machine/hints.py). ``stdout`` holds what the program printed before."""

    def __init__(self, message: str, *, stdout: str = "", **kw):
        self.stdout = stdout
        super().__init__(message, **kw)


class ExitFailure(McusimError):
    """The firmware exited with a non-zero status (the CLI passes the status through)."""


class CacheError(ConfigError):
    """The cache directory or an entry in it could have been written by someone else (another
    user owns it, or it is writable by group/others): it is not used."""


class CacheWarning(UserWarning):
    """The cache cannot be written (read-only, full, in the way): the run goes on without it."""
