"""Cross toolchains: zig's bundled clang/lld (default, from pip) and arm-none-eabi-gcc.

Both compile every source to an object, then link with the board's generated script.
The two produce different code, and so different cycle counts: every result names the
toolchain and its version.
"""
from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from pathlib import Path

from ..boards import Core
from ..errors import CompileError, ToolchainError

WARNINGS = ["-Wall", "-Wno-unused-function", "-Werror=implicit-function-declaration"]
COMMON = ["-ffunction-sections", "-fdata-sections", "-g", "-fno-common", "-fomit-frame-pointer"]


class Toolchain:
    def __init__(self, name: str):
        self.name = name

    @property
    def version(self) -> str:
        raise NotImplementedError

    def compile_command(self, core: Core, source: Path, obj: Path, flags: list[str]) -> list[str]:
        raise NotImplementedError

    def link_command(self, core: Core, objs: list[Path], script: Path, elf: Path) -> list[str]:
        raise NotImplementedError

    @property
    def ident(self) -> str:
        return f"{self.name} {self.version}"


def run_tool(cmd: list[str], what: str, cwd: Path) -> None:
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    except FileNotFoundError as exc:
        raise ToolchainError(f"{what}: cannot run {cmd[0]}: {exc}") from None
    except subprocess.TimeoutExpired:
        raise CompileError(f"{what} did not finish in 600 s", command=cmd) from None
    if proc.returncode != 0:
        raise CompileError(f"{what} failed (exit {proc.returncode})", command=cmd,
                           output=(proc.stdout + proc.stderr))


class ZigToolchain(Toolchain):
    """clang and lld shipped by the ``ziglang`` package: ``python -m ziglang cc``."""

    def __init__(self):
        super().__init__("zig")

    @property
    def _cc(self) -> list[str]:
        return [sys.executable, "-m", "ziglang", "cc"]

    @property
    @functools.cache
    def version(self) -> str:
        try:
            out = subprocess.run(self._cc + ["--version"], capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ToolchainError(f"the zig toolchain (pip package 'ziglang') does not run: {exc}") from None
        if out.returncode != 0:
            raise ToolchainError("the zig toolchain (pip package 'ziglang') is not installed or broken: "
                                 + (out.stderr.strip() or out.stdout.strip()))
        first = out.stdout.strip().splitlines()[0] if out.stdout.strip() else "unknown"
        try:
            from importlib.metadata import version as pkg_version
            zig = pkg_version("ziglang")
        except Exception:  # pragma: no cover - metadata missing in odd installs
            zig = "?"
        return f"ziglang {zig} ({first})"

    def _target(self, core: Core) -> list[str]:
        return ["-target", core.zig_target, f"-mcpu={core.zig_cpu}"]

    def compile_command(self, core, source, obj, flags):
        return self._cc + self._target(core) + ["-ffreestanding", "-fno-builtin"] + COMMON + WARNINGS + \
            flags + ["-c", str(source), "-o", str(obj)]

    def link_command(self, core, objs, script, elf):
        return self._cc + self._target(core) + ["-nostdlib", "-T", str(script), "-Wl,--gc-sections",
                                                "-Wl,--entry=Reset_Handler", "-o", str(elf)] + \
            [str(o) for o in objs] + ["-lcompiler_rt"]


class GccToolchain(Toolchain):
    """Arm's GNU toolchain (Debian: ``apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi``)."""

    def __init__(self, prefix: str = "arm-none-eabi-"):
        super().__init__("gcc")
        self.prefix = prefix

    @property
    def _cc(self) -> str:
        path = shutil.which(self.prefix + "gcc")
        if not path:
            raise ToolchainError(
                f"--toolchain gcc needs {self.prefix}gcc on PATH; on Debian/Ubuntu: "
                "apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi (or use the default zig toolchain)")
        return path

    @property
    @functools.cache
    def version(self) -> str:
        out = subprocess.run([self._cc, "--version"], capture_output=True, text=True, timeout=60)
        return out.stdout.strip().splitlines()[0] if out.stdout.strip() else "unknown"

    def compile_command(self, core, source, obj, flags):
        return [self._cc] + list(core.gcc_flags) + ["-ffreestanding", "-fno-builtin"] + COMMON + WARNINGS + \
            flags + ["-c", str(source), "-o", str(obj)]

    def link_command(self, core, objs, script, elf):
        return [self._cc] + list(core.gcc_flags) + ["-nostartfiles", "-specs=nano.specs", "-T", str(script),
                                                    "-Wl,--gc-sections", "-Wl,--entry=Reset_Handler",
                                                    "-o", str(elf)] + \
            [str(o) for o in objs] + ["-lc", "-lgcc"]


_TOOLCHAINS = {"zig": ZigToolchain, "gcc": GccToolchain}


def get_toolchain(name: str = "zig") -> Toolchain:
    if not isinstance(name, str) or name not in _TOOLCHAINS:
        raise ToolchainError(f"unknown toolchain {name!r}; choose one of: {', '.join(_TOOLCHAINS)}"[:200])
    return _toolchain(name)


@functools.cache
def _toolchain(name: str) -> Toolchain:
    return _TOOLCHAINS[name]()


def available_toolchains() -> list[str]:
    names = ["zig"]
    if shutil.which("arm-none-eabi-gcc"):
        names.append("gcc")
    return names
