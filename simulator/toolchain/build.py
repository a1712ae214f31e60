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
from .deps import DEP_TARGET, hash_file, read_depfile
from .drivers import Toolchain, run_tool
from .layout import Layout, check_layout, check_placed, read_layout
from .linker import check_placement, render_linker_script

RUNTIME_SOURCES = ("startup.c", "semihost.c", "ck_libc.c", "newlib_syscalls.c")
ENTRY_FILES = ("firmware.elf", "link.ld")
# Per compile: DEP is replaced by <obj>.d; a fixed target name, so that no path (which may
# hold ': ') has to be split from the prerequisites.
DEPFLAGS = ["-MD", "-MF", "DEP", "-MT", DEP_TARGET]


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


def _base_key(toolchain: Toolchain, board: Board, flags: list[str], script: str,
              sources: list[Path]) -> str:
    """Hash of everything but the headers: commands, linker script, every source's content."""
    h = hashlib.sha256()
    # The whole command lines (with placeholder paths) go into the key, so any change of
    # target, CPU features or default flags makes a new entry.
    commands = [toolchain.compile_command(board.core, Path("SRC"), Path("OBJ"), flags + DEPFLAGS),
                toolchain.link_command(board.core, [Path("OBJ")], Path("LD"), Path("ELF"))]
    h.update(json.dumps([toolchain.ident, commands, script]).encode())
    for src in sources:
        hash_file(h, src, "src")
    return h.hexdigest()


def _full_key(base: str, deps: list[Path]) -> str | None:
    """``base`` plus the content of every file the compiles read; None if one cannot be read."""
    h = hashlib.sha256(base.encode())
    try:
        for path in sorted(set(deps)):
            hash_file(h, path)
    except ConfigError:                 # gone, or no longer a plain file: not this build
        return None
    return h.hexdigest()


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
                      flags: list[str]) -> list[Path] | None:
    """Compile and link in ``staging``; returns every file the compiles read (from their
    depfiles), or None if a depfile does not list its own source (then it cannot be trusted)."""
    (staging / "link.ld").write_text(script)
    objs, deps, complete = [], [], True
    n_runtime = len(RUNTIME_SOURCES)
    for i, src in enumerate(sources):
        # User objects are named user-*.o: the linker script KEEPs their code so fw.call() can
        # reach any function, while unused runtime and compiler-rt code is garbage-collected.
        role = "runtime" if i < n_runtime else "user"
        obj = staging / f"{role}-{i:03d}-{src.stem}.o"
        depfile = obj.with_suffix(".d")
        depflags = [str(depfile) if f == "DEP" else f for f in DEPFLAGS]
        try:
            run_tool(toolchain.compile_command(board.core, src, obj, flags + depflags),
                     f"compiling {src}", staging)
        except CompileError as err:
            raise _with_libc_hint(err, toolchain) from None
        objs.append(obj)
        listed = read_depfile(depfile, staging)
        if src not in listed:           # not a depfile we understand: do not cache this build
            complete = False
        deps += listed
        depfile.unlink()
    elf = staging / "firmware.elf"
    run_tool(toolchain.link_command(board.core, objs, staging / "link.ld", elf), "linking", staging)
    for obj in objs:
        obj.unlink()
    return deps if complete else None


def build_firmware(sources: list[Path], board: Board, ram: Region, ram_limit: int, stack_size: int,
                   toolchain: Toolchain, *, defines: dict | None = None, include_dirs: list[Path] = (),
                   opt: str = "-O2", extra_flags: list[str] = (), cache: BuildCache | None = None,
                   keep_all: bool = True, placement: dict | None = None) -> BuildResult:
    sources = [Path(s).resolve() for s in sources]
    for src in sources:
        if not src.exists():
            raise ConfigError(f"source file not found: {src}")
    runtime = [cross_kernels.RUNTIME_DIR / name for name in RUNTIME_SOURCES]
    user_dirs = [Path(d).resolve() for d in include_dirs]
    for d in user_dirs:
        if not d.is_dir():
            raise ConfigError(f"include directory not found: {d}")
    inc = user_dirs + [cross_kernels.INCLUDE_DIR, cross_kernels.RUNTIME_DIR]
    flags = _flags(defines, inc, opt, list(extra_flags))
    script = render_linker_script(board, ram, stack_size, keep_all, placement)
    # Two-level key: the commands and sources name a record of the headers the last such
    # build read (from the compiler's depfiles, never a directory scan); their content
    # completes the key. A header edit is a miss, and the record is rewritten.
    base = _base_key(toolchain, board, flags, script, runtime + sources)   # names a FIFO source
    cache = cache or BuildCache()
    known = cache.read_deps(base)
    key = _full_key(base, known) if known is not None else None
    entry = cache.lookup(key, required=ENTRY_FILES) if key else None
    cached = entry is not None
    if entry is None:
        entry = _build_entry(cache, base, script, runtime + sources, board, toolchain, flags)
    elf_path = entry / "firmware.elf"
    layout = read_layout(elf_path, board, ram, ram_limit, stack_size)
    check_layout(layout, board)
    check_placed(layout, board, check_placement(board, ram, placement))
    return BuildResult(elf_path=elf_path, layout=layout, toolchain=toolchain.ident, cached=cached, flags=flags)


def _build_entry(cache: BuildCache, base: str, script: str, sources: list[Path], board: Board,
                 toolchain: Toolchain, flags: list[str]) -> Path:
    staging = cache.new_staging_dir()
    try:
        deps = _compile_and_link(staging, script, sources, board, toolchain, flags)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    key = None if deps is None else _full_key(base, sorted(set(deps)))
    if key is None:                     # a header vanished meanwhile: use it, do not cache it
        return staging
    entry = cache.commit(key, staging, list(ENTRY_FILES))
    cache.write_deps(base, sorted(set(deps)))
    return entry
