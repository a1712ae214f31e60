"""What a user adds to a link: prebuilt objects and archives, libraries, linker flags, a
linker-script fragment; and the compiler's complaints about them, turned into named errors.

A static library built once (``simulator.toolchain.archive.build_library`` or the
toolchain's own ``ar``) is linked into any number of firmwares as one of these inputs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from .deps import file_kind
from ..errors import CompileError, ConfigError, LibraryNotFound, UnknownFlag

COMPILED = (".c", ".s", ".S")
PREBUILT = (".o", ".a", ".obj")
# The C library's own names: under zig picolibc's one libc.a holds libc and libm, so the
# habitual -lc / -lm are already satisfied; gcc's driver finds its newlib for them.
LIBC_NAMES = ("c", "m")


def split_sources(paths) -> tuple[list[Path], list[Path]]:
    """Sources to compile and prebuilt objects/archives to link, each checked to exist."""
    compiled, prebuilt = [], []
    for p in paths:
        p = Path(p).resolve()
        if p.exists() and not p.is_file():        # a FIFO, a device, a directory: never opened
            raise ConfigError(f"{p} is not a regular file ({file_kind(p.stat().st_mode)}): "
                              "sources and headers must be plain files")
        if not p.is_file():
            kind = "object/archive" if p.suffix in PREBUILT else "source file"
            raise ConfigError(f"{kind} not found: {p}")
        if p.suffix in PREBUILT:
            prebuilt.append(p)
        elif p.suffix in COMPILED:
            compiled.append(p)
        else:
            raise ConfigError(f"{p}: cannot build a '{p.suffix}' file; give C (.c), assembly (.s, .S), "
                              "objects (.o) or static libraries (.a)")
    return compiled, prebuilt


@dataclass(frozen=True)
class LinkInputs:
    link_flags: tuple[str, ...] = ()      # passed to the linker driver as given (e.g. -Wl,--defsym=x=1)
    libraries: tuple[str, ...] = ()       # -l names
    library_dirs: tuple[Path, ...] = ()   # -L directories
    objects: tuple[Path, ...] = ()        # .o / .a files
    script_fragment: str = ""             # placed inside SECTIONS, after .bss (see linker.py)
    keep_symbols: tuple[str, ...] = ()    # linked (and kept) even if nothing calls them: fw.call targets in a .a

    def __post_init__(self):
        for d in self.library_dirs:
            if not Path(d).is_dir():
                raise ConfigError(f"library directory not found: {d}")
        for name in self.keep_symbols:
            if not re.fullmatch(r"[A-Za-z_]\w*", name):
                raise ConfigError(f"keep_symbols: {name!r} is not a C symbol name")
        for name in self.libraries:
            if not re.fullmatch(r"[\w.+:-]+", name) or name.startswith("-"):
                raise ConfigError(f"library name {name!r} is not a -l name (give 'foo' for libfoo.a, "
                                  "or pass the .a file itself)")

    @classmethod
    def from_options(cls, link_flags=(), libraries=(), library_dirs=(), objects=(), script=None, keep_symbols=()):
        """Build from API/CLI values; ``script`` is a path to a linker-script fragment."""
        text = ""
        if script is not None:
            path = Path(script)
            if not path.is_file():
                raise ConfigError(f"linker-script fragment not found: {path}")
            text = path.read_text()
        flags = []
        libs, dirs = list(libraries), list(library_dirs)
        for f in link_flags:          # -lfoo / -Lbar among the flags are taken apart
            if f.startswith("-l") and len(f) > 2:
                libs.append(f[2:])
            elif f.startswith("-L") and len(f) > 2:     # so its libraries are hashed and checked
                dirs.append(f[2:])
            else:
                flags.append(f)
        dirs = [Path(d).resolve() for d in dirs]
        return cls(tuple(flags), tuple(libs), tuple(dirs), tuple(Path(o).resolve() for o in objects), text,
                   tuple(keep_symbols))

    def with_objects(self, objs) -> "LinkInputs":
        return replace(self, objects=tuple(self.objects) + tuple(objs))

    def prebuilt_files(self) -> list[Path]:
        """The .o/.a files this link reads that the user made: the objects given, and each -l
        library found as libNAME.a in a -L directory (the linker's order: first directory wins)."""
        found = list(self.objects)
        for name in self.libraries:
            if name in LIBC_NAMES:
                continue
            hits = [Path(d) / f"lib{name}.a" for d in self.library_dirs if (Path(d) / f"lib{name}.a").is_file()]
            found += hits[:1]
        return found

    @property
    def flags(self) -> list[str]:
        # -u makes the linker pull the symbol from an archive and keeps it through --gc-sections
        return [f"-Wl,-u,{s}" for s in self.keep_symbols] + [f"-L{d}" for d in self.library_dirs] + \
            list(self.link_flags) + \
            [f"-l{n}" for n in self.libraries if n not in LIBC_NAMES]


_UNKNOWN_FLAG = (re.compile(r"unknown argument:? '([^']+)'"),
                 re.compile(r"unsupported linker arg: (\S+)"),
                 re.compile(r"unrecognized command[- ]line option '([^']+)'"),
                 re.compile(r"unknown argument: (-\S+)"),
                 re.compile(r"unrecognized option '([^']+)'"),
                 re.compile(r"unknown option: (-\S+)"))
_NO_LIBRARY = (re.compile(r"unable to find library -l(\S+)"),
               re.compile(r'unable to find (?:dynamic |static )?(?:system )?library "([^"]+)"'),
               re.compile(r"cannot find -l(\S+)"),
               re.compile(r"cannot find (\S+\.a)"))


def explain_tool_error(err: CompileError, given=()) -> CompileError:
    """A named error for the two mistakes people make most with flags: a flag the tool does
    not know and a library it cannot find; anything else is returned unchanged. ``given``:
    the flags the user passed; one of them is named as theirs, not as the file it failed on
    (mcusim's own runtime, compiled first, would otherwise take the blame)."""
    for pattern in _UNKNOWN_FLAG:
        m = pattern.search(err.output)
        if m:
            flag = m.group(1)
            yours = any(flag == g or flag in g.split(",") for g in given)
            text = f"unknown flag {flag!r} (one of the flags you passed)" if yours else \
                f"{err.summary}: unknown flag {flag!r}"
            return UnknownFlag(text, flag=flag, command=err.command, output=err.output)
    for pattern in _NO_LIBRARY:
        m = pattern.search(err.output)
        if m:
            lib = m.group(1).rstrip(":")
            return LibraryNotFound(f"{err.summary}: library {lib!r} not found (add its directory with -L, "
                                   "or pass the .a file)", library=lib, command=err.command, output=err.output)
    return err
