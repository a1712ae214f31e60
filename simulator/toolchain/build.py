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
from .drivers import OPT_LEVELS, Toolchain, run_tool
from .inputs import LinkInputs, explain_tool_error, split_sources
from .layout import Layout, check_layout, read_layout
from .libc import LibC
from .linker import render_linker_script

# The runtime every firmware links; the C library adds its own glue (libc.runtime_sources).
RUNTIME_SOURCES = ("startup.c", "semihost.c")
MAX_HEADERS_HASHED = 5000
ENTRY_FILES = ("firmware.elf", "link.ld")
BUILD_FORMAT = 2   # bump when what a build does changes in a way its inputs do not show
LINK_RECORD = "link_flags.json"   # the link flags actually used (with the C library's extras)


@dataclass
class BuildResult:
    elf_path: Path
    layout: Layout
    toolchain: str          # name and version
    cached: bool
    flags: list[str]
    libc: str = ""          # name and version of the C library linked
    compile_command: list[str] = None   # for user sources, SRC/OBJ placeholders
    link_command: list[str] = None      # OBJ/LD/ELF placeholders

    def describe(self) -> dict:
        """The exact build, as recorded in run and analysis JSON."""
        return {"compiler": self.toolchain, "libc": self.libc, "compile": self.compile_command,
                "link": self.link_command}


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


def _compile_and_link(staging: Path, script: str, runtime: list[Path], sources: list[Path], board: Board,
                      toolchain: Toolchain, flags: list[str], libc: LibC, link: LinkInputs) -> None:
    (staging / "link.ld").write_text(script)
    objs = []
    for i, src in enumerate(runtime + sources):
        # User objects are named user-*.o: the linker script KEEPs their code so fw.call() can
        # reach any function, while unused runtime and compiler-rt code is garbage-collected.
        is_runtime = i < len(runtime)
        obj = staging / f"{'runtime' if is_runtime else 'user'}-{i:03d}-{src.stem}.o"
        cmd = toolchain.compile_command(board.core, src, obj, flags, runtime=is_runtime, libc=libc)
        try:
            run_tool(cmd, f"compiling {src}", staging)
        except CompileError as err:
            raise explain_tool_error(err) from None
        objs.append(obj)
    elf = staging / "firmware.elf"
    link_flags = link.flags + toolchain.link_extras(objs)
    cmd = toolchain.link_command(board.core, objs + list(link.objects), staging / "link.ld", elf,
                                 link_flags=link_flags, libc=libc)
    (staging / LINK_RECORD).write_text(json.dumps(link_flags))
    try:
        run_tool(cmd, "linking", staging)
    except CompileError as err:
        raise explain_tool_error(err) from None
    for obj in objs:
        obj.unlink()


def build_firmware(sources: list[Path], board: Board, ram: Region, ram_limit: int, stack_size: int,
                   toolchain: Toolchain, *, defines: dict | None = None, include_dirs: list[Path] = (),
                   opt: str = "-O2", extra_flags: list[str] = (), cache: BuildCache | None = None,
                   keep_all: bool = True, link: LinkInputs | None = None) -> BuildResult:
    """``sources`` may mix C/assembly (compiled) with ``.o``/``.a`` files (linked as given);
    ``link`` adds linker flags, libraries and a linker-script fragment."""
    if opt not in OPT_LEVELS:
        raise ConfigError(f"optimisation level {opt!r} is not one of {', '.join(OPT_LEVELS)}")
    sources, prebuilt = split_sources(sources)
    link = (link or LinkInputs()).with_objects(prebuilt)
    libc = toolchain.libc(board.core)
    runtime = [cross_kernels.RUNTIME_DIR / name for name in RUNTIME_SOURCES + libc.runtime_sources]
    user_dirs = [Path(d).resolve() for d in include_dirs]
    for d in user_dirs:
        if not d.is_dir():
            raise ConfigError(f"include directory not found: {d}")
    src_dirs = sorted({s.parent for s in sources})
    inc = user_dirs + [cross_kernels.INCLUDE_DIR, cross_kernels.RUNTIME_DIR]
    flags = _flags(defines, inc, opt, list(extra_flags))
    script = render_linker_script(board, ram, stack_size, keep_all, fragment=link.script_fragment)

    h = hashlib.sha256()
    # The whole command lines (with placeholder paths) go into the key, so any change of
    # target, CPU features or default flags makes a new entry.
    compile_cmd = toolchain.compile_command(board.core, Path("SRC"), Path("OBJ"), flags, libc=libc)
    link_cmd = toolchain.link_command(board.core, [Path("OBJ")], Path("LD"), Path("ELF"),
                                      link_flags=link.flags, libc=libc)
    commands = [compile_cmd, link_cmd,
                toolchain.compile_command(board.core, Path("SRC"), Path("OBJ"), flags, runtime=True, libc=libc)]
    h.update(json.dumps([BUILD_FORMAT, toolchain.ident, libc.ident, commands, script]).encode())
    _hash_inputs(h, sources + runtime + list(link.objects), inc + src_dirs)
    key = h.hexdigest()

    cache = cache or BuildCache()
    entry = cache.lookup(key, required=ENTRY_FILES)
    cached = entry is not None
    if entry is None:
        staging = cache.new_staging_dir()
        try:
            _compile_and_link(staging, script, runtime, sources, board, toolchain, flags, libc, link)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        entry = cache.commit(key, staging, list(ENTRY_FILES) + [LINK_RECORD])
    elf_path = entry / "firmware.elf"
    record = entry / LINK_RECORD
    if record.is_file():
        link_cmd = toolchain.link_command(board.core, [Path("OBJ")], Path("LD"), Path("ELF"),
                                          link_flags=json.loads(record.read_text()), libc=libc)
    layout = read_layout(elf_path, board, ram, ram_limit, stack_size)
    check_layout(layout, board)
    return BuildResult(elf_path=elf_path, layout=layout, toolchain=toolchain.ident, cached=cached, flags=flags,
                       libc=libc.ident, compile_command=compile_cmd, link_command=link_cmd)
