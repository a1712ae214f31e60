"""A kernel library bound to a machine: its sources compiled for the core, its scratch sizes asked.

    backend = LibraryBackend(load_library("cmsis-nn"), machine)
    backend.archive()                       # lib<name>.a for this core and toolchain, cached
    backend.buffer_size("arm_convolve_wrapper_s8_get_buffer_size", params, in_dims, f_dims, out_dims)

The archive is built with the firmware's own flags (``Machine.build_library``) once per (library
sources, toolchain, core) and kept in the cache (``libs/<digest>``). Scratch sizes come from the
library itself, as TFLite Micro's Prepare gets them: its ``_get_buffer_size`` functions run on
the emulated core (a small firmware linking the archive, built once and cached like any
build), so a size is what that core's build of the library asks for (DSP and plain-C paths
differ), never a formula copied here.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
from pathlib import Path

from ...cachedir import private_dir
from ...errors import CompileError, ConfigError

QUERY_MAIN = "int main(void) { return 0; }\n"
ARCHIVE_OPT = "-O2"      # what Machine.build uses for every firmware source


class LibraryBackend:
    def __init__(self, library, machine):
        self.library = library
        self.machine = machine
        self._archive: Path | None = None
        self._query = None
        self._sizes: dict = {}

    def _digest(self) -> str:
        h = hashlib.sha256()
        core = self.machine.board.core
        for word in (self.library.name, self.machine.toolchain.ident, core.name, ARCHIVE_OPT):
            h.update(str(word).encode() + b"\0")
        for path in self.library.sources + tuple(sorted(p for d in self.library.include_dirs
                                                        for p in d.rglob("*.h"))):
            h.update(path.name.encode() + b"\0" + path.read_bytes())
        return h.hexdigest()[:20]

    def archive(self) -> Path:
        """lib<name>.a for this machine's core and toolchain (built on first use, then cached)."""
        if self._archive is not None:
            return self._archive
        if not self.library.sources:
            raise ConfigError(f"kernel library {self.library.name}: its table's sources match no "
                              f"file under {self.library.root}")
        out = private_dir(None, "libs", self._digest()) / f"lib{self.library.name.replace('-', '_')}.a"
        if not out.is_file():
            # built under a private name and renamed: a concurrent build never links a half archive
            staged = out.with_name(f".{out.stem}.{os.getpid()}.a")
            try:
                self.machine.build_library(list(self.library.sources), staged,
                                           include_dirs=list(self.library.include_dirs), opt=ARCHIVE_OPT)
            except CompileError as err:
                raise CompileError(f"building {self.library.title} ({self.library.root}) for "
                                   f"{self.machine.board.core.name}: {err}") from None
            os.replace(staged, out)
        self._archive = out
        return out

    def _firmware(self):
        if self._query is None:
            main = private_dir(None, "libs", self._digest()) / "query_main.c"
            if not main.is_file() or main.read_text() != QUERY_MAIN:
                staged = main.with_name(f".{main.name}.{os.getpid()}")
                staged.write_text(QUERY_MAIN)
                os.replace(staged, main)
            keep = sorted({r.scratch for r in self.library.rules if r.scratch})
            self._query = self.machine.build([main, self.archive()], keep_symbols=keep)
        return self._query

    def buffer_size(self, function: str | None, *args) -> int:
        """What ``function`` (a ``_get_buffer_size``) returns for ``args`` (ctypes structs, passed
        by pointer, or ints) on this core; 0 when the row names none."""
        if not function:
            return 0
        key = (function,) + tuple(bytes(a) if isinstance(a, ctypes.Structure) else int(a) for a in args)
        if key not in self._sizes:
            size = int(self._firmware().call(function, *args).value)
            if size < 0:
                raise ConfigError(f"{function} returned {size} (an argument error in the library)")
            self._sizes[key] = size
        return self._sizes[key]
