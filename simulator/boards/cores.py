"""Cortex-M cores as data: ``cores.toml`` read once, every core fact from here.

A core's name and aliases, architecture, CPUID, FPU, DSP, compiler and emulator models and its
timing table are one row of ``cores.toml``; the compiler drivers, the emulator, the SCS (CPUID),
the snippet assembler and the cycle model all ask :func:`get_core` / :func:`load_cores`.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import ConfigError, NoTimingTable

CORES_FILE = Path(__file__).resolve().with_name("cores.toml")
_REQUIRED = ("title", "arch", "aliases", "cpu", "has_dsp", "unicorn_model", "zig_cpu",
             "unaligned_faults", "cpuid", "cpuid_source")


@dataclass(frozen=True)
class Core:
    name: str
    title: str
    arch: str
    aliases: tuple[str, ...]
    cpu: str                      # gcc/clang -mcpu spelling
    fpu: str                      # gcc -mfpu / assembler .fpu; "" when the core has none
    has_dsp: bool
    unicorn_model: str
    zig_cpu: str
    unaligned_faults: bool
    cpuid: int
    cpuid_source: str
    timing_table: str             # stem of cycles/tables/<name>.toml; "" when there is none
    no_timing_table: str = ""     # why there is none

    @property
    def has_fpu(self) -> bool:
        return bool(self.fpu)

    @property
    def zig_target(self) -> str:
        return "thumb-freestanding-eabihf" if self.has_fpu else "thumb-freestanding-eabi"

    @property
    def gcc_flags(self) -> tuple[str, ...]:
        float_abi = ("-mfloat-abi=hard", f"-mfpu={self.fpu}") if self.has_fpu else ("-mfloat-abi=soft",)
        return (f"-mcpu={self.cpu}", "-mthumb") + float_abi

    def require_timing_table(self) -> str:
        """The timing table's name; :class:`NoTimingTable` for a core without one."""
        if not self.timing_table:
            raise NoTimingTable(f"no timing table for core {self.name!r} ({self.title}): "
                                f"{self.no_timing_table}; timed cores: {', '.join(timed_cores())}",
                                core=self.name)
        return self.timing_table


@lru_cache(maxsize=None)
def load_cores() -> dict[str, Core]:
    data = tomllib.loads(CORES_FILE.read_text())
    return {name: _core(name, row) for name, row in data.items()}


def _core(name: str, row: dict) -> Core:
    missing = [k for k in _REQUIRED if k not in row]
    if missing:
        raise ConfigError(f"{CORES_FILE}: core {name!r} lacks {', '.join(missing)}")
    if not row.get("timing_table") and not row.get("no_timing_table"):
        raise ConfigError(f"{CORES_FILE}: core {name!r} has neither timing_table nor no_timing_table")
    return Core(name=name, title=row["title"], arch=row["arch"], aliases=tuple(row["aliases"]),
                cpu=row["cpu"], fpu=row.get("fpu", ""), has_dsp=row["has_dsp"],
                unicorn_model=row["unicorn_model"], zig_cpu=row["zig_cpu"],
                unaligned_faults=row["unaligned_faults"], cpuid=row["cpuid"],
                cpuid_source=row["cpuid_source"], timing_table=row.get("timing_table", ""),
                no_timing_table=row.get("no_timing_table", ""))


@lru_cache(maxsize=None)
def _by_spelling() -> dict[str, Core]:
    out = {}
    for core in load_cores().values():
        for spelling in (core.name, *core.aliases):
            if out.setdefault(spelling.lower(), core) is not core:
                raise ConfigError(f"{CORES_FILE}: {spelling!r} names both {out[spelling.lower()].name} and {core.name}")
    return out


def get_core(name: str | Core) -> Core:
    """A core by name or alias (``m7``, ``cortex-m7``, ``m0+``; case and spaces ignored)."""
    if isinstance(name, Core):
        return name
    core = _by_spelling().get(str(name).strip().lower())
    if core is None:
        raise ConfigError(f"unknown core {str(name)[:40]!r}; known: {', '.join(load_cores())}")
    return core


def timed_cores() -> list[str]:
    """The cores that have a timing table (the others build but cannot be timed)."""
    return [c.name for c in load_cores().values() if c.timing_table]
