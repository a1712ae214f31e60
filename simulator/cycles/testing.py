"""Assemble Thumb snippets with zig's clang and run them under accounting (tests, benchmarks).

    code = assemble("movs r0, #1\\n bkpt #0", core="cortex-m4")
    acc, uc = run_snippet(code, "m4", regions=[...])
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from elftools.elf.elffile import ELFFile
from unicorn import UC_ARCH_ARM, UC_MODE_THUMB, Uc
from unicorn import arm_const
from unicorn.arm_const import UC_ARM_REG_SP

from simulator.boards.cores import get_core
from simulator.cycles.engine import Accounting
from simulator.cycles.native import cache_dir
from simulator.errors import CompileError

FLASH, SRAM, TCM = 0x08000000, 0x20000000, 0x00000000


def assemble(source: str, core: str = "m7") -> bytes:
    """Thumb assembly -> the bytes of its .text section (local branches resolved by the assembler)."""
    core = get_core(core)         # its FPU and its CPU as the firmware builds name it: cores.toml
    header = ".syntax unified\n.thumb\n" + (f".fpu {core.fpu}\n" if core.has_fpu else "") + ".text\n"
    text = header + source + "\n"
    key = hashlib.sha256((core.name + text).encode()).hexdigest()[:16]
    out = cache_dir() / "asm" / f"{key}.bin"
    if out.exists():
        return out.read_bytes()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        src, obj = Path(tmp) / "s.S", Path(tmp) / "s.o"
        src.write_text(text)
        cmd = [sys.executable, "-m", "ziglang", "cc", "-target", "thumb-freestanding-eabihf",
               f"-mcpu={core.zig_cpu}", "-c", str(src), "-o", str(obj)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise CompileError("assembling a snippet failed", command=cmd, output=done.stderr)
        with obj.open("rb") as f:
            code = ELFFile(f).get_section_by_name(".text").data()
    # a private temporary name: test workers assembling the same snippet must not share one
    fd, tmp_out = tempfile.mkstemp(suffix=".tmp", dir=out.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(code)
    os.replace(tmp_out, out)
    return code


def new_uc(core: str) -> Uc:
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)
    uc.ctl_set_cpu_model(getattr(arm_const, get_core(core).unicorn_model))
    return uc


def run_snippet(code: bytes, core: str, *, regions=(), load_at: int = FLASH, engine=None,
                debug_registers: bool = False, budget: int = 0, **kwargs):
    """Map flash, SRAM and a TCM window, run ``code`` from ``load_at`` until its last
    ``bkpt #0`` (not executed; a literal pool may follow), return ``(accounting, uc)``."""
    engine = engine or Accounting
    uc = new_uc(core)
    for base in (FLASH, SRAM, TCM):
        uc.mem_map(base, 0x40000)
    uc.mem_write(load_at, code)
    uc.reg_write(UC_ARM_REG_SP, SRAM + 0x40000 - 16)
    acc = engine(uc, core, regions, **kwargs).attach()
    if debug_registers:
        acc.map_debug_registers()
    if budget:
        acc.set_budget(budget)
    uc.emu_start(load_at | 1, load_at + _last_bkpt(code))
    acc.check()
    return acc, uc


def _last_bkpt(code: bytes) -> int:
    at = len(code)
    while True:
        at = code.rfind(b"\x00\xbe", 0, at)
        if at < 0:
            raise ValueError("snippet has no bkpt #0 to stop at")
        if at % 2 == 0:
            return at
