"""The Python API: a Machine builds Firmware, Firmware runs main() or calls a function."""
from __future__ import annotations

import ctypes
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from unicorn import arm_const as A

from ..boards import Board, get_board
from ..errors import BoardError, ConfigError, ExitFailure, RamOverflow
from ..sizes import format_size, parse_size
from ..toolchain import BuildResult, build_firmware, get_toolchain
from ..toolchain import archive
from ..toolchain.inputs import LinkInputs
from ..toolchain.linker import check_placement
from ..cycles import Accounting, PyAccounting
from .elf import ElfImage
from .. import limits
from ..limits import DEFAULT_MAX_INSTRUCTIONS, DEFAULT_MAX_OUTPUT, DEFAULT_MAX_SECONDS
from .emulator import Emulator
from .arena import ArgArena
from .dwarf_types import parameter_structs
from .faults import fault_error
from .stop import Stop
from ..guards import BufferOverrun
from .memory_model import (DEFAULT_MODEL, accounting_regions, check_model, from_caches_flag, memory_spec,
                           describe as describe_memory)
from .structs import Marshaller, check_against_dwarf, dtype_layout, layout as struct_layout

DEFAULT_STACK = 4096
ARG_ALIGN = 8


@dataclass
class RunResult:
    board: str
    core: str
    toolchain: str
    exit_code: int | None
    stdout: str
    instructions: int
    cycles: int | None
    clock_hz: int
    stack_peak: int
    stack_size: int
    ram_static: int
    ram_limit: int
    flash_used: int
    regions: dict = field(default_factory=dict)
    profile: dict = field(default_factory=dict)     # function -> {"instructions": n, "cycles": c}
    untimed: list = field(default_factory=list)     # instruction classes the timing table lacks (should be empty)
    memory: dict = field(default_factory=dict)      # the memory model, its caches and whole-run counters
    build: dict = field(default_factory=dict)       # compiler, C library, exact compile and link commands

    @property
    def time_us(self) -> float | None:
        return None if self.cycles is None else self.cycles * 1e6 / self.clock_hz

    def to_dict(self) -> dict:
        return {"board": self.board, "core": self.core, "toolchain": self.toolchain,
                "exit_code": self.exit_code, "stdout": self.stdout, "instructions": self.instructions,
                "cycles": self.cycles, "time_us": self.time_us, "clock_hz": self.clock_hz,
                "stack_peak_bytes": self.stack_peak, "stack_size_bytes": self.stack_size,
                "ram_static_bytes": self.ram_static, "ram_limit_bytes": self.ram_limit,
                "flash_bytes": self.flash_used, "regions": self.regions, "profile": self.profile,
                "untimed_classes": self.untimed, "memory": self.memory, "build": self.build}


@dataclass
class CallResult(RunResult):
    value: int = 0                        # r0 as signed int32
    arrays: list = field(default_factory=list)   # array arguments read back after the call
    float_value: float | None = None      # the float result: s0 on hard-float cores, r0 on soft-float (AAPCS)

    @property
    def value_u32(self) -> int:
        return self.value & 0xFFFFFFFF


def make_accounting(uc, board: Board, *, engine: str = "native", memory: str = DEFAULT_MODEL,
                    stack_region: str | None = None):
    cls = {"native": Accounting, "python": PyAccounting}[engine]
    return cls(uc, board.core.name, accounting_regions(board, memory),
               memory=memory_spec(board, memory, stack_region))


class Firmware:
    """A linked ELF for one board, ready to run or to call into."""

    def __init__(self, machine: "Machine", build: BuildResult):
        self.machine = machine
        self.board = machine.board
        self.build = build
        self.elf_path = build.elf_path
        self.layout = build.layout
        self.image = ElfImage(build.elf_path)

    @property
    def toolchain(self) -> str:
        return self.build.toolchain

    def symbol_address(self, name: str) -> int:
        sym = self.image.get_symbol(name)
        if sym is None:
            raise ConfigError(f"symbol {name!r} not found in {self.elf_path}")
        return sym.addr

    def emulator(self, region_listener=None) -> Emulator:
        """A fresh emulator with this firmware loaded and its stack painted (one per run)."""
        emu = Emulator(self.board, self.layout, self.image, self.machine.make_counter,
                       max_output=self.machine.max_output)
        emu.region_listener = region_listener
        emu.paint_stack()
        return emu

    def _profile(self, emu: Emulator) -> dict:
        """Cycles and instructions per function, each block charged to the function holding it."""
        funcs = [(s.name, s.addr, s.size) for s in self.image.symbols if s.kind == "func"]
        return {name: {"cycles": c, "instructions": n} for name, (c, n) in emu.counter.profile(funcs).items()}

    def result(self, emu: Emulator, stop: Stop, cls=RunResult, profile: bool = False, **extra):
        """The ``cls`` result of a run that ended with ``stop``; the located error if it failed."""
        if stop.kind not in ("exit", "returned"):
            raise fault_error(emu, stop)
        c = emu.counter
        lay = self.layout
        return cls(board=self.board.name, core=self.board.core.name, toolchain=self.toolchain,
                   exit_code=emu.semihost.exit_code, stdout=emu.semihost.stdout.decode(errors="replace"),
                   instructions=c.instructions, cycles=c.cycles, clock_hz=self.board.clock_hz,
                   stack_peak=emu.stack_peak(), stack_size=lay.stack_size, ram_static=lay.ram_static,
                   ram_limit=lay.ram_limit, flash_used=lay.flash_used,
                   regions=emu.region_totals,
                   profile=self._profile(emu) if profile else {},
                   untimed=sorted(emu.counter.table.missing), memory=self._memory(emu),
                   build=self.build.describe(), **extra)

    def _memory(self, emu: Emulator) -> dict:
        out = describe_memory(self.board, self.machine.memory)
        counters = emu.memory_counters()
        if counters is not None:
            out["counters"] = counters
        return out

    def _limits(self, max_instructions, max_seconds) -> dict:
        """The run's instruction budget and wall-clock limit: the machine's unless given."""
        m = self.machine
        return {"budget": m.max_instructions if max_instructions is None
                else limits.instruction_budget(max_instructions),
                "max_seconds": m.max_seconds if max_seconds is None
                else limits.wall_seconds(max_seconds)}

    def run(self, max_instructions: int | None = None, check: bool = False, profile: bool = False,
            region_listener=None, max_seconds: float | None = None) -> RunResult:
        """Run from Reset_Handler until main() returns or the firmware exits.

        ``profile=True`` also counts instructions (and cycles, with the cycle model) per function.
        ``region_listener(kind, name, emulator)`` is called at every ck_region_begin/end, while the
        firmware is stopped there: ``emulator.read_memory(addr, n)`` can inspect a layer's output."""
        emu = self.emulator(region_listener)
        entry = self.symbol_address("Reset_Handler")
        stop = emu.run(entry, self.layout.stack_top, until=0xFFFF_FFFE,
                       **self._limits(max_instructions, max_seconds))
        result = self.result(emu, stop, RunResult, profile)
        if check and result.exit_code:
            raise ExitFailure(f"firmware exited with status {result.exit_code}")
        return result

    def call(self, name: str, *args, max_instructions: int | None = None, profile: bool = False,
             max_seconds: float | None = None, guard: bool = True) -> CallResult:
        """Call ``name(*args)`` per the AAPCS. ndarray/bytes arguments are copied into free RAM
        (after .bss) and passed by pointer; they are read back into ``result.arrays``.
        A ctypes Structure is passed by pointer to a copy laid out for the target, with every
        array its pointer fields name (``simulator.ref(arr)``); after the call the structure's
        fields and those arrays are updated in place (see :mod:`.structs`).
        ``guard`` (default): every buffer sits between unmapped guard pages, so an access past
        it stops the run with a :class:`~simulator.guards.BufferOverrun` naming the argument,
        the offset and the source line (see :mod:`.arena`); ``guard=False`` packs them, for
        code that deliberately reaches from one argument into the next."""
        run_limits = self._limits(max_instructions, max_seconds)
        emu = self.emulator()
        entry = self.symbol_address(name)
        ret_addr = self.symbol_address("__ck_call_return")
        core_words, float_words, arrays = self._marshal(emu, name, args, guard)
        for reg, word in zip((A.UC_ARM_REG_R0, A.UC_ARM_REG_R1, A.UC_ARM_REG_R2, A.UC_ARM_REG_R3), core_words):
            emu.uc.reg_write(reg, word)
        for i, word in enumerate(float_words):
            emu.uc.reg_write(getattr(A, f"UC_ARM_REG_S{i}"), word)
        stack_words = core_words[4:]
        self._check_stack_arguments(name, len(args), len(stack_words))
        sp = self.layout.stack_top - 4 * len(stack_words)
        sp &= ~7
        if stack_words:
            emu.uc.mem_write(sp, struct.pack(f"<{len(stack_words)}I", *stack_words))
        emu.uc.reg_write(A.UC_ARM_REG_LR, ret_addr | 1)
        stop = emu.run(entry, sp, until=ret_addr, **run_limits)
        self._check_guards(emu, stop)
        value = emu.uc.reg_read(A.UC_ARM_REG_R0)
        value = value - (1 << 32) if value & 0x8000_0000 else value
        # AAPCS: a float result is in s0 under the VFP variant, in r0 under the base (soft-float) one.
        fbits = emu.uc.reg_read(A.UC_ARM_REG_S0 if self.board.core.has_fpu else A.UC_ARM_REG_R0)
        fval = struct.unpack("<f", struct.pack("<I", fbits))[0]
        back = [np.frombuffer(emu.read_memory(addr, arr.nbytes), dtype=arr.dtype).reshape(arr.shape).copy()
                for addr, arr in arrays]
        self._arena.read_back()
        return self.result(emu, stop, CallResult, profile, value=value, arrays=back, float_value=fval)

    def _check_guards(self, emu: Emulator, stop: Stop) -> None:
        if stop.kind == "fault":
            err = fault_error(emu, stop)          # the arena, a registered check, names an overrun
            if isinstance(err, BufferOverrun):
                raise err
        elif stop.kind in ("exit", "returned"):
            self._arena.check_canaries()

    def _check_stack_arguments(self, name: str, n_args: int, n_words: int) -> None:
        """Arguments past r0-r3 go on the stack; they may take at most half of it (the callee
        needs the rest), else the call is refused before anything is written."""
        room = (self.layout.stack_top - self.layout.stack_base) // 2
        if 4 * n_words + ARG_ALIGN > room:
            raise ConfigError(f"{name}: {n_args} arguments put {4 * n_words} B on the stack; at most "
                              f"{room - ARG_ALIGN} B (half the {self.layout.stack_top - self.layout.stack_base} B "
                              "stack) can be passed there: pass an array instead, or a larger stack=")

    def _marshal(self, emu: Emulator, name: str, args, guard: bool = True) -> tuple[list[int], list[int], list]:
        hard_float = self.board.core.has_fpu
        core_words, float_words, arrays = [], [], []
        arena = ArgArena(emu, self.layout, name, guard=guard)
        c_structs = None
        for i, arg in enumerate(args):
            if isinstance(arg, (bytes, bytearray)):
                arg = np.frombuffer(bytes(arg), dtype=np.uint8)
            if isinstance(arg, np.ndarray):
                arr = np.ascontiguousarray(arg)
                if arr.dtype.fields:             # a structured array: check it against the C struct
                    if c_structs is None:
                        c_structs = self._c_parameter_structs(name)
                    if c_structs and i < len(c_structs):
                        check_against_dwarf(dtype_layout(arr.dtype), c_structs[i], name, i)
                addr = arena.place(arr.tobytes(), ARG_ALIGN, f"argument {i}")
                arrays.append((addr, arr))
                core_words.append(addr)
            elif isinstance(arg, ctypes.Structure):
                if c_structs is None:
                    c_structs = self._c_parameter_structs(name)
                if c_structs and i < len(c_structs):
                    check_against_dwarf(struct_layout(type(arg)), c_structs[i], name, i)
                m = Marshaller(arena.place, f"{name}: argument {i}")
                core_words.append(m.put_struct(arg))
                arena.marshallers.append(m)
            elif isinstance(arg, (float, np.floating)):
                bits = struct.unpack("<I", struct.pack("<f", float(arg)))[0]
                if hard_float:
                    if len(float_words) >= 16:
                        raise ConfigError(f"{name}: more than 16 float arguments")
                    float_words.append(bits)
                else:
                    core_words.append(bits)
            elif isinstance(arg, (int, np.integer)) and not isinstance(arg, bool):
                v = int(arg)
                if not -(1 << 31) <= v < (1 << 32):
                    raise ConfigError(f"{name}: argument {i} = {v} does not fit in 32 bits")
                core_words.append(v & 0xFFFFFFFF)
            else:
                raise ConfigError(f"{name}: argument {i} has unsupported type {type(arg).__name__} "
                                  "(use int, float, bytes, a NumPy array or a ctypes Structure)")
        arena.seal()
        emu.add_check(arena)                     # describes a guard-page fault as a BufferOverrun
        self._arena = arena
        return core_words, float_words, arrays

    def _c_parameter_structs(self, name: str):
        return parameter_structs(self.elf_path, self.elf_path.stat().st_mtime_ns, name)


class Machine:
    """A board, a RAM limit and a toolchain: everything needed to build and run firmware.

    >>> m = Machine("stm32h743", ram="128K")
    >>> fw = m.build(["kernel.c"], defines={"N": 64})
    >>> r = fw.call("dot_s8", a, b, len(a))
    """

    def __init__(self, board: str | Board = "generic-m7", ram: str | int | None = None,
                 stack: str | int = DEFAULT_STACK, toolchain: str = "zig",
                 max_instructions: int = DEFAULT_MAX_INSTRUCTIONS, memory: str | None = None,
                 engine: str = "native", caches: bool | None = None,
                 max_seconds: float = DEFAULT_MAX_SECONDS, max_output: int = DEFAULT_MAX_OUTPUT):
        """``memory``: "realistic" (default), "ideal" or "uncached" (see machine/memory_model.py).
        ``caches`` is the deprecated spelling: True = "ideal", False = "uncached".
        ``max_instructions``, ``max_seconds`` (wall clock) and ``max_output`` (bytes of
        semihosting output) bound every run (simulator/limits.py: there is no
        unlimited; InstructionBudgetExceeded, WallClockExceeded, OutputLimitExceeded)."""
        self.board = get_board(board)
        # Every run's latency divides by the clock: refuse a clock no board has, whatever the
        # board loader let through (board-file validation lives in simulator/boards).
        clock = self.board.clock_hz
        if isinstance(clock, bool) or not isinstance(clock, int) or clock <= 0:
            raise BoardError(f"board {self.board.name}: clock_hz must be a positive integer "
                             f"(Hz), got {clock!r}")
        limit = parse_size(ram, what="--ram") if ram is not None else self.board.default_ram.size
        self.ram_region = self.board.pick_ram_region(limit)
        self.ram_limit = limit
        self.stack_size = parse_size(stack, what="--stack")
        if self.stack_size % 8:
            raise ConfigError(f"--stack {stack}: must be a multiple of 8 bytes (AAPCS stack alignment)")
        self.toolchain = get_toolchain(toolchain)
        self.max_instructions = limits.instruction_budget(max_instructions)
        self.max_seconds = limits.wall_seconds(max_seconds)
        self.max_output = limits.output_bytes(max_output)
        if engine not in ("native", "python"):
            raise ConfigError(f"engine must be 'native' or 'python', got {engine!r}")
        if caches is not None and memory is not None:
            raise ConfigError("give memory= or the deprecated caches=, not both")
        self.memory = check_model(memory) if memory is not None else (
            from_caches_flag(caches) if caches is not None else DEFAULT_MODEL)
        self.engine = engine

    def make_counter(self, uc, board: Board):
        return make_accounting(uc, board, engine=self.engine, memory=self.memory,
                               stack_region=self.ram_region.name)

    def placement(self, placement: dict | None = None) -> dict[str, str]:
        """Which board region holds code, weights (``.ck_weights``), arena (``.bss.ck_arena``) and
        stack for a build with ``placement`` (checked: unknown or read-only regions are errors)."""
        placed = check_placement(self.board, self.ram_region, placement)
        return {"code": self.board.flash.name, "weights": placed.get("weights", self.board.flash).name,
                "arena": placed.get("arena", self.ram_region).name, "stack": self.ram_region.name}

    def build(self, sources, defines: dict | None = None, include_dirs=(), opt: str = "-O2",
              extra_flags=(), keep_all: bool = True, placement: dict | None = None, *, link_flags=(),
              libraries=(), library_dirs=(), linker_script=None, keep_symbols=()) -> Firmware:
        """``sources``: C/assembly files to compile and ``.o``/``.a`` files to link as they are.
        ``extra_flags`` go to the compiler, ``link_flags`` to the linker (``-lfoo``/``-L`` there
        work too), ``libraries``/``library_dirs`` are ``-l``/``-L``, ``linker_script`` is a file
        of output-section statements added to the board's script. ``keep_symbols`` names
        functions to link from a library although nothing calls them (to ``fw.call`` them).
        ``keep_all=False`` drops every function nothing references (a product build: what
        `analyze` reports as code size); the default keeps them all for ``fw.call``.
        ``placement``: ``{"weights": region, "arena": region}`` for sections ``.ck_weights`` and
        ``.bss.ck_arena`` (see simulator/toolchain/linker.py)."""
        if isinstance(sources, (str, Path)):
            sources = [sources]
        link = LinkInputs.from_options(link_flags, libraries, library_dirs, script=linker_script,
                                       keep_symbols=keep_symbols)
        result = build_firmware([Path(s) for s in sources], self.board, self.ram_region, self.ram_limit,
                                self.stack_size, self.toolchain, defines=defines,
                                include_dirs=[Path(d) for d in include_dirs], opt=opt,
                                extra_flags=list(extra_flags), keep_all=keep_all, placement=placement,
                                link=link)
        return Firmware(self, result)

    def build_library(self, sources, output, **options) -> Path:
        """Compile ``sources`` for this machine's core and archive them into ``output`` (.a),
        to link into many firmwares (pass the .a among ``build``'s sources)."""
        return archive.build_library(self, sources, output, **options)
