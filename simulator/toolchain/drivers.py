"""Cross toolchains: zig's bundled clang/lld (default, from pip) and arm-none-eabi-gcc.

Both compile every source to an object, then link with the board's generated script and a
real C library: picolibc (built by :mod:`.libc`) under zig, the toolchain's newlib under gcc.
User code is compiled as a firmware build would compile it: hosted, builtins on (so
``memcpy(&v, p, 4)`` becomes one load); only mcusim's runtime is freestanding.
The two toolchains produce different code, and so different cycle counts: every result names
the toolchain, its version and the exact flags.
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
# The runtime (startup, semihosting, syscalls) must not have its loops turned into calls to
# the very functions it may be implementing.
RUNTIME_FLAGS = ["-ffreestanding", "-fno-builtin"]
OPT_LEVELS = ("-O0", "-O1", "-O2", "-O3", "-Os", "-Oz", "-Og")
PRINTF_FAMILY = {"printf", "sprintf", "snprintf", "fprintf", "vprintf", "vsprintf", "vsnprintf",
                 "vfprintf", "asprintf", "vasprintf", "dprintf", "vdprintf"}
SCANF_FAMILY = {"scanf", "sscanf", "fscanf", "vscanf", "vsscanf", "vfscanf"}


class Toolchain:
    def __init__(self, name: str):
        self.name = name

    @property
    def version(self) -> str:
        raise NotImplementedError

    def compile_command(self, core: Core, source: Path, obj: Path, flags: list[str], *,
                        runtime: bool = False, libc: "LibC | None" = None) -> list[str]:
        """``runtime``: mcusim's own runtime sources (freestanding); otherwise user code."""
        raise NotImplementedError

    def link_command(self, core: Core, objs: list[Path], script: Path, elf: Path, *,
                     link_flags: list[str] = (), libc: "LibC | None" = None) -> list[str]:
        raise NotImplementedError

    def libc(self, core: Core) -> "LibC":
        """The C library this toolchain links for ``core`` (built and cached on first use)."""
        raise NotImplementedError

    def archiver(self) -> list[str]:
        """The command that makes a static library: ``archiver() + ["rcs", "lib.a", *objs]``."""
        raise NotImplementedError

    def link_extras(self, objs: list[Path]) -> list[str]:
        """Link flags the C library needs for what these objects call (none by default)."""
        return []

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

    def clang_target(self, core: Core) -> list[str]:
        """Target flags for ``zig clang``, the clang driver itself. ``zig cc`` adds
        -ffreestanding on a freestanding target and maps -O1/-O3 to -O2 and -Og to -O0 with
        UBSan (seen with ``zig cc -###``); calling clang directly lets every flag mean what
        it says. clang takes gcc's -mcpu/-mfpu/-mfloat-abi spelling, so the core's gcc_flags
        serve both toolchains. ``-resource-dir`` finds clang's own headers inside the wheel."""
        import ziglang
        return ["--target=arm-none-eabi", "-resource-dir", str(Path(ziglang.__file__).parent / "lib")] + \
            list(core.gcc_flags)

    def compile_command(self, core, source, obj, flags, *, runtime=False, libc=None):
        mode = RUNTIME_FLAGS if runtime else []
        inc = list(libc.compile_flags) if libc else []
        return [sys.executable, "-m", "ziglang", "clang"] + self.clang_target(core) + mode + COMMON + \
            WARNINGS + inc + flags + ["-c", str(source), "-o", str(obj)]

    def link_command(self, core, objs, script, elf, *, link_flags=(), libc=None):
        # Linking stays with ``zig cc``: it builds and caches compiler-rt for the target.
        libs = list(libc.link_inputs) if libc else []
        return self._cc + self._target(core) + ["-nostdlib", "-T", str(script), "-Wl,--gc-sections",
                                                "-Wl,--entry=Reset_Handler", "-o", str(elf)] + \
            [str(o) for o in objs] + list(link_flags) + libs + ["-lcompiler_rt"]

    def libc(self, core):
        from .libc import picolibc
        return picolibc(self, core)

    def archiver(self):
        return [sys.executable, "-m", "ziglang", "ar"]


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

    def compile_command(self, core, source, obj, flags, *, runtime=False, libc=None):
        mode = RUNTIME_FLAGS if runtime else []
        return [self._cc] + list(core.gcc_flags) + ["-specs=nano.specs"] + mode + COMMON + WARNINGS + \
            flags + ["-c", str(source), "-o", str(obj)]

    def link_command(self, core, objs, script, elf, *, link_flags=(), libc=None):
        # newlib-nano's libc and libm as the toolchain ships them, in a group because libm
        # calls back into libc (errno) and libc into our syscalls.
        return [self._cc] + list(core.gcc_flags) + ["-nostartfiles", "-specs=nano.specs", "-T", str(script),
                                                    "-Wl,--gc-sections", "-Wl,--entry=Reset_Handler",
                                                    "-o", str(elf)] + \
            [str(o) for o in objs] + list(link_flags) + \
            ["-Wl,--start-group", "-lc", "-lm", "-lgcc", "-Wl,--end-group"]

    def libc(self, core):
        from .libc import newlib
        return newlib(self, core)

    def archiver(self):
        return [shutil.which(self.prefix + "ar") or self.prefix + "ar"]

    def link_extras(self, objs):
        """newlib-nano leaves float formatting out of printf/scanf unless the link asks for it
        with ``-u _printf_float`` / ``-u _scanf_float`` (newlib's nano.specs README): asked
        here only when the program calls that family, because forcing it costs ~17 KB of
        flash in every firmware (measured on the H743 with gcc 12.2)."""
        proc = subprocess.run([shutil.which(self.prefix + "nm") or self.prefix + "nm", "-u"] +
                              [str(o) for o in objs], capture_output=True, text=True, timeout=60)
        undefined = {line.split()[-1] for line in proc.stdout.splitlines() if line.strip().startswith("U ")}
        extras = []
        if undefined & PRINTF_FAMILY:
            extras += ["-u", "_printf_float"]
        if undefined & SCANF_FAMILY:
            extras += ["-u", "_scanf_float"]
        return extras


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
