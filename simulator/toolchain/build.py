"""Sources + board -> a linked, checked ELF, through the content-addressed cache."""
from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import cross_kernels

from ..boards import Board, Region
from ..errors import CompileError, ConfigError
from .cache import BuildCache
from .drivers import Toolchain, run_tool
from .layout import Layout, check_layout, check_placed, read_layout
from .linker import check_placement, render_linker_script

RUNTIME_SOURCES = ("startup.c", "semihost.c", "ck_libc.c", "newlib_syscalls.c")
MAX_HEADERS_HASHED = 5000
ENTRY_FILES = ("firmware.elf", "link.ld")


@dataclass
class BuildResult:
    elf_path: Path
    layout: Layout
    toolchain: str          # name and version
    cached: bool
    flags: list[str]


def _flags(defines: dict | None, include_dirs: list[Path], opt: str, extra: list[str]) -> list[str]:
    flags = [opt]
    for name, value in sorted((defines or {}).items()):
        flags.append(f"-D{name}" if value is None else f"-D{name}={value}")
    flags += [f"-I{d}" for d in include_dirs]
    return flags + list(extra)


def _hash_inputs(h, sources: list[Path], include_dirs: list[Path]) -> None:
    for src in sources:
        h.update(f"src {src.name}\n".encode())
        h.update(src.read_bytes())
    seen = 0
    for d in include_dirs:
        for hdr in sorted(Path(d).rglob("*.h")) if d.is_dir() else []:
            seen += 1
            if seen > MAX_HEADERS_HASHED:
                raise ConfigError(f"include directory {d} holds more than {MAX_HEADERS_HASHED} headers; "
                                  "point -I at the headers the build needs")
            h.update(f"hdr {hdr}\n".encode())
            h.update(hdr.read_bytes())


LIBC_HEADERS = ("stdio.h", "stdlib.h", "string.h", "math.h", "assert.h", "time.h")


def _with_libc_hint(err: CompileError, toolchain: Toolchain) -> CompileError:
    """zig's freestanding target has no C library: say what to do instead."""
    missing = [h for h in LIBC_HEADERS if f"'{h}' file not found" in err.output]
    if toolchain.name != "zig" or not missing:
        return err
    hint = (f"hint: the zig toolchain builds freestanding, without a C library ({', '.join(missing)}): "
            "print with ck_printf from ck_runtime.h, or use --toolchain gcc for newlib")
    return CompileError(err.summary + "\n" + hint, command=err.command, output=err.output)


def _compile_and_link(staging: Path, script: str, sources: list[Path], board: Board, toolchain: Toolchain,
                      flags: list[str]) -> None:
    (staging / "link.ld").write_text(script)
    objs = []
    n_runtime = len(RUNTIME_SOURCES)
    for i, src in enumerate(sources):
        # User objects are named user-*.o: the linker script KEEPs their code so fw.call() can
        # reach any function, while unused runtime and compiler-rt code is garbage-collected.
        role = "runtime" if i < n_runtime else "user"
        obj = staging / f"{role}-{i:03d}-{src.stem}.o"
        try:
            run_tool(toolchain.compile_command(board.core, src, obj, flags), f"compiling {src}", staging)
        except CompileError as err:
            raise _with_libc_hint(err, toolchain) from None
        objs.append(obj)
    elf = staging / "firmware.elf"
    run_tool(toolchain.link_command(board.core, objs, staging / "link.ld", elf), "linking", staging)
    for obj in objs:
        obj.unlink()


def build_firmware(sources: list[Path], board: Board, ram: Region, ram_limit: int, stack_size: int,
                   toolchain: Toolchain, *, defines: dict | None = None, include_dirs: list[Path] = (),
                   opt: str = "-O2", extra_flags: list[str] = (), cache: BuildCache | None = None,
                   keep_all: bool = True, placement: dict | None = None) -> BuildResult:
    sources = [Path(s).resolve() for s in sources]
    for src in sources:
        if not src.is_file():
            raise ConfigError(f"source file not found: {src}")
    runtime = [cross_kernels.RUNTIME_DIR / name for name in RUNTIME_SOURCES]
    user_dirs = [Path(d).resolve() for d in include_dirs]
    for d in user_dirs:
        if not d.is_dir():
            raise ConfigError(f"include directory not found: {d}")
    src_dirs = sorted({s.parent for s in sources})
    inc = user_dirs + [cross_kernels.INCLUDE_DIR, cross_kernels.RUNTIME_DIR]
    flags = _flags(defines, inc, opt, list(extra_flags))
    script = render_linker_script(board, ram, stack_size, keep_all, placement)

    h = hashlib.sha256()
    # The whole command lines (with placeholder paths) go into the key, so any change of
    # target, CPU features or default flags makes a new entry.
    commands = [toolchain.compile_command(board.core, Path("SRC"), Path("OBJ"), flags),
                toolchain.link_command(board.core, [Path("OBJ")], Path("LD"), Path("ELF"))]
    h.update(json.dumps([toolchain.ident, commands, script]).encode())
    _hash_inputs(h, sources + runtime, inc + src_dirs)
    key = h.hexdigest()

    cache = cache or BuildCache()
    entry = cache.lookup(key, required=ENTRY_FILES)
    cached = entry is not None
    if entry is None:
        staging = cache.new_staging_dir()
        try:
            _compile_and_link(staging, script, runtime + sources, board, toolchain, flags)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        entry = cache.commit(key, staging, list(ENTRY_FILES))
    elf_path = entry / "firmware.elf"
    layout = read_layout(elf_path, board, ram, ram_limit, stack_size)
    check_layout(layout, board)
    check_placed(layout, board, check_placement(board, ram, placement))
    return BuildResult(elf_path=elf_path, layout=layout, toolchain=toolchain.ident, cached=cached, flags=flags)
