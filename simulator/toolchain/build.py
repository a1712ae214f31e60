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
from .abi import check_compatible
from .cache import BuildCache
from .deps import DEP_TARGET, hash_file, read_depfile
from .drivers import OPT_LEVELS, Toolchain, run_tool
from .inputs import LinkInputs, explain_tool_error, split_sources
from .layout import Layout, check_layout, check_placed, read_layout
from .libc import LibC
from .linker import check_placement, render_linker_script

# The runtime every firmware links; the C library adds its own glue (libc.runtime_sources).
RUNTIME_SOURCES = ("startup.c", "semihost.c")
ENTRY_FILES = ("firmware.elf", "link.ld")
BUILD_FORMAT = 2   # bump when what a build does changes in a way its inputs do not show
LINK_RECORD = "link_flags.json"   # the link flags actually used (with the C library's extras)
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
    libc: str = ""          # name and version of the C library linked
    compile_command: list[str] = None   # for user sources, SRC/OBJ placeholders
    link_command: list[str] = None      # OBJ/LD/ELF placeholders

    def describe(self) -> dict:
        """The exact build, as recorded in run and analysis JSON."""
        return {"compiler": self.toolchain, "libc": self.libc, "compile": self.compile_command,
                "link": self.link_command}


@dataclass
class _Job:
    """What one build compiles and links, with what."""
    script: str
    runtime: list[Path]
    sources: list[Path]
    board: Board
    toolchain: Toolchain
    flags: list[str]
    libc: LibC
    link: LinkInputs
    user_flags: tuple = ()      # the extra compile flags the user gave (named in an unknown-flag error)


def _flags(defines: dict | None, include_dirs: list[Path], opt: str, extra: list[str]) -> list[str]:
    flags = [opt]
    for name, value in sorted((defines or {}).items()):
        flags.append(f"-D{name}" if value is None else f"-D{name}={value}")
    flags += [f"-I{d}" for d in include_dirs]
    return flags + list(extra)


def _base_key(job: _Job, commands: list) -> str:
    """Hash of everything but the headers: commands, linker script, every source's and
    prebuilt object's and user library's content."""
    h = hashlib.sha256()
    # The whole command lines (with placeholder paths) go into the key, so any change of
    # target, CPU features, C library or default flags makes a new entry.
    h.update(json.dumps([BUILD_FORMAT, job.toolchain.ident, job.libc.ident, commands, job.script]).encode())
    # -l archives found in -L directories too: a rebuilt library is a new build.
    for src in job.runtime + job.sources + job.link.prebuilt_files():
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


def _compile_and_link(staging: Path, job: _Job) -> list[Path] | None:
    """Compile and link in ``staging``; returns every file the compiles read (from their
    depfiles), or None if a depfile does not list its own source (then it cannot be trusted)."""
    (staging / "link.ld").write_text(job.script)
    objs, deps, complete = [], [], True
    for i, src in enumerate(job.runtime + job.sources):
        # User objects are named user-*.o: the linker script KEEPs their code so fw.call() can
        # reach any function, while unused runtime and compiler-rt code is garbage-collected.
        is_runtime = i < len(job.runtime)
        obj = staging / f"{'runtime' if is_runtime else 'user'}-{i:03d}-{src.stem}.o"
        depfile = obj.with_suffix(".d")
        depflags = [str(depfile) if f == "DEP" else f for f in DEPFLAGS]
        cmd = job.toolchain.compile_command(job.board.core, src, obj, job.flags + depflags,
                                            runtime=is_runtime, libc=job.libc)
        try:
            run_tool(cmd, f"compiling {src}", staging)
        except CompileError as err:
            raise explain_tool_error(err, job.user_flags) from None
        objs.append(obj)
        listed = read_depfile(depfile, staging)
        if src not in listed:           # not a depfile we understand: do not cache this build
            complete = False
        deps += listed
        depfile.unlink()
    # lld (zig) would link an object built for another core or float ABI without a word.
    check_compatible(objs[0], job.link.prebuilt_files(), job.board.core.name)
    elf = staging / "firmware.elf"
    link_flags = job.link.flags + job.toolchain.link_extras(objs)
    cmd = job.toolchain.link_command(job.board.core, objs + list(job.link.objects), staging / "link.ld", elf,
                                     link_flags=link_flags, libc=job.libc)
    (staging / LINK_RECORD).write_text(json.dumps(link_flags))
    try:
        run_tool(cmd, "linking", staging)
    except CompileError as err:
        raise explain_tool_error(err, job.link.link_flags) from None
    for obj in objs:
        obj.unlink()
    return deps if complete else None


def build_firmware(sources: list[Path], board: Board, ram: Region, ram_limit: int, stack_size: int,
                   toolchain: Toolchain, *, defines: dict | None = None, include_dirs: list[Path] = (),
                   opt: str = "-O2", extra_flags: list[str] = (), cache: BuildCache | None = None,
                   keep_all: bool = True, placement: dict | None = None,
                   link: LinkInputs | None = None) -> BuildResult:
    """``sources`` may mix C/assembly (compiled) with ``.o``/``.a`` files (linked as given);
    ``link`` adds linker flags, libraries and a linker-script fragment; ``placement`` puts the
    weights and the arena in named board regions (see linker.py)."""
    if opt not in OPT_LEVELS:
        raise ConfigError(f"optimisation level {opt!r} is not one of {', '.join(OPT_LEVELS)}")
    sources, prebuilt = split_sources(sources)
    for src in sources:
        if not src.exists():
            raise ConfigError(f"source file not found: {src}")
    link = (link or LinkInputs()).with_objects(prebuilt)
    libc = toolchain.libc(board.core)
    runtime = [cross_kernels.RUNTIME_DIR / name for name in RUNTIME_SOURCES + libc.runtime_sources]
    user_dirs = [Path(d).resolve() for d in include_dirs]
    for d in user_dirs:
        if not d.is_dir():
            raise ConfigError(f"include directory not found: {d}")
    inc = user_dirs + [cross_kernels.INCLUDE_DIR, cross_kernels.RUNTIME_DIR]
    flags = _flags(defines, inc, opt, list(extra_flags))
    script = render_linker_script(board, ram, stack_size, keep_all, placement, fragment=link.script_fragment)
    job = _Job(script, runtime, sources, board, toolchain, flags, libc, link, tuple(extra_flags))
    compile_cmd = toolchain.compile_command(board.core, Path("SRC"), Path("OBJ"), flags, libc=libc)
    link_cmd = toolchain.link_command(board.core, [Path("OBJ")], Path("LD"), Path("ELF"),
                                      link_flags=link.flags, libc=libc)
    commands = [toolchain.compile_command(board.core, Path("SRC"), Path("OBJ"), flags + DEPFLAGS, libc=libc),
                link_cmd,
                toolchain.compile_command(board.core, Path("SRC"), Path("OBJ"), flags + DEPFLAGS,
                                          runtime=True, libc=libc)]
    # Two-level key: the commands and sources name a record of the headers the last such
    # build read (from the compiler's depfiles, never a directory scan); their content
    # completes the key. A header edit is a miss, and the record is rewritten.
    base = _base_key(job, commands)
    cache = cache or BuildCache()
    known = cache.read_deps(base)
    key = _full_key(base, known) if known is not None else None
    entry = cache.lookup(key, required=ENTRY_FILES) if key else None
    cached = entry is not None
    if entry is None:
        entry = _build_entry(cache, base, job)
    elf_path = entry / "firmware.elf"
    record = entry / LINK_RECORD
    if record.is_file():
        link_cmd = toolchain.link_command(board.core, [Path("OBJ")], Path("LD"), Path("ELF"),
                                          link_flags=json.loads(record.read_text()), libc=libc)
    layout = read_layout(elf_path, board, ram, ram_limit, stack_size)
    check_layout(layout, board)
    check_placed(layout, board, check_placement(board, ram, placement))
    return BuildResult(elf_path=elf_path, layout=layout, toolchain=toolchain.ident, cached=cached, flags=flags,
                       libc=libc.ident, compile_command=compile_cmd, link_command=link_cmd)


def _build_entry(cache: BuildCache, base: str, job: _Job) -> Path:
    staging = cache.new_staging_dir()
    try:
        deps = _compile_and_link(staging, job)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    key = None if deps is None else _full_key(base, sorted(set(deps)))
    if key is None:                     # a header vanished meanwhile: use it, do not cache it
        return staging
    entry = cache.commit(key, staging, list(ENTRY_FILES) + [LINK_RECORD])
    cache.write_deps(base, sorted(set(deps)))
    return entry
