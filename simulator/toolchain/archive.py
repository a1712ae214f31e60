"""Static libraries built once for a core and linked into many firmwares.

``Machine.build_library(["dsp.c"], "libdsp.a")`` compiles with exactly the flags a firmware
build uses (same target, C library headers, optimisation) and archives with the toolchain's
own ``ar``; pass the .a among ``Machine.build``'s sources, or ``libraries=["dsp"]`` with
``library_dirs``. The archive is rebuilt each call (it is the user's file, not a cache entry).
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import cross_kernels

from ..errors import CompileError, ConfigError
from .build import _flags
from .drivers import OPT_LEVELS, run_tool
from .inputs import explain_tool_error, split_sources


def build_library(machine, sources, output, *, defines: dict | None = None, include_dirs=(),
                  opt: str = "-O2", extra_flags=()) -> Path:
    if opt not in OPT_LEVELS:
        raise ConfigError(f"optimisation level {opt!r} is not one of {', '.join(OPT_LEVELS)}")
    compiled, prebuilt = split_sources(sources)
    if prebuilt or not compiled:
        raise ConfigError("a library is built from C/assembly sources"
                          + (f"; {prebuilt[0].name} is already an object" if prebuilt else ""))
    output = Path(output).resolve()
    if output.suffix != ".a":
        raise ConfigError(f"{output}: a static library's name ends in .a")
    if not output.parent.is_dir():
        raise ConfigError(f"directory not found: {output.parent}")
    dirs = [Path(d).resolve() for d in include_dirs]
    for d in dirs:
        if not d.is_dir():
            raise ConfigError(f"include directory not found: {d}")
    tc, core = machine.toolchain, machine.board.core
    libc = tc.libc(core)
    flags = _flags(defines, dirs + [cross_kernels.INCLUDE_DIR, cross_kernels.RUNTIME_DIR], opt, list(extra_flags))
    with tempfile.TemporaryDirectory(prefix="mcusim-lib-") as tmp:
        objs = []
        for i, src in enumerate(compiled):
            obj = Path(tmp) / f"{i:03d}-{src.stem}.o"
            try:
                run_tool(tc.compile_command(core, src, obj, flags, libc=libc), f"compiling {src}", Path(tmp))
            except CompileError as err:
                raise explain_tool_error(err, tuple(extra_flags)) from None
            objs.append(str(obj))
        staged = Path(tmp) / output.name
        run_tool(tc.archiver() + ["rcs", str(staged)] + objs, f"archiving {output.name}", Path(tmp))
        shutil.move(str(staged), output)
    return output
