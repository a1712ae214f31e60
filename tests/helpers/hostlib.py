"""Compile cross_kernels C for the host (gcc -> .so) and call it through ctypes.

Fast validation of the portable C paths before (and beside) emulation. Builds are cached by
a hash of the compiler command and of every source and header they can see, under
``hostlib/`` in the user's checked cache directory; concurrent test workers share the cache safely (each
writes a private file and renames it into place).

    lib = hostlib.build(["conv/ck_conv_s8.c", "conv/ck_conv_check_args.c"])
    lib.ck_conv_s8.restype = ctypes.c_int
    status = lib.ck_conv_s8(hostlib.ptr(params), hostlib.ptr(x), ...)

Paths in ``sources`` are relative to ``cross_kernels/src`` unless absolute.
``cross_compile`` does the same for zig's clang targeting a Cortex-M core (compile only),
to check that a kernel builds warning-free for a real target.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from simulator.boards import load_cores
from simulator.cachedir import private_dir
from simulator.errors import CompileError

KERNELS = Path(__file__).resolve().parents[2] / "cross_kernels"
INCLUDE = KERNELS / "include"
SRC = KERNELS / "src"
HOST_CFLAGS = ("-std=c11", "-O2", "-fPIC", "-shared", "-Wall", "-Wextra", "-Werror")

def _zig_target(core: str) -> tuple[str, ...]:
    # The same target and CPU features the firmware builds use (simulator/boards/cores.toml),
    # so a compile check sees what a real build compiles (FPU included).
    c = load_cores()[core]
    return ("-target", c.zig_target, f"-mcpu={c.zig_cpu}")


# zig clang targets by core, as the machine builds them
CORES = {f"cortex-{name}": _zig_target(name) for name in ("m0plus", "m4", "m7")}


def cache_dir() -> Path:
    # The user's checked private cache (simulator/cachedir.py): a predictable directory in
    # /tmp would let another local user plant the .so this module dlopens.
    return private_dir(None, "hostlib")


def _resolve(sources) -> list[Path]:
    return [Path(s) if Path(s).is_absolute() else SRC / s for s in sources]


def _fingerprint(cmd: list[str], sources: list[Path], include_dirs: list[Path]) -> str:
    h = hashlib.sha256("\0".join(cmd).encode())
    seen = set()
    for f in sources:
        seen.add(f)
        seen.update(f.parent.glob("*.h"))
    for d in include_dirs:
        seen.update(d.glob("**/*.h"))
    seen.update(SRC.glob("**/*.h"))
    for f in sorted(seen):
        h.update(str(f).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:24]


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise CompileError(f"{what} failed", command=cmd, output=proc.stderr + proc.stdout)


def build(sources, *, defines: dict | None = None, include_dirs=(), cflags=(),
          cc: str = "gcc") -> ctypes.CDLL:
    """Compile ``sources`` into one shared library (cached) and load it."""
    srcs = _resolve(sources)
    incs = [INCLUDE, *map(Path, include_dirs)]
    defs = [f"-D{k}" if v is None else f"-D{k}={v}" for k, v in (defines or {}).items()]
    base = [cc, *HOST_CFLAGS, *cflags, *defs, *[f"-I{d}" for d in incs]]
    so = cache_dir() / f"host-{_fingerprint(base, srcs, incs)}.so"
    if not so.exists():
        fd, tmp = tempfile.mkstemp(suffix=".so", dir=so.parent)
        os.close(fd)
        try:
            _run(base + [str(s) for s in srcs] + ["-o", tmp], "host compile")
            os.replace(tmp, so)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return ctypes.CDLL(str(so))


def cross_compile(source, core: str, *, defines: dict | None = None, opt: str = "-O2",
                  extra=("-Wall", "-Wextra", "-Werror")) -> Path:
    """Compile one C file for ``core`` with zig's clang; returns the (cached) object file."""
    if core not in CORES:
        raise ValueError(f"unknown core {core!r}; known: {', '.join(CORES)}")
    src = _resolve([source])[0]
    defs = [f"-D{k}" if v is None else f"-D{k}={v}" for k, v in (defines or {}).items()]
    cmd = [sys.executable, "-m", "ziglang", "cc", *CORES[core], opt, "-std=c11", *extra,
           *defs, f"-I{INCLUDE}", "-c"]
    obj = cache_dir() / f"{core}-{src.stem}-{_fingerprint(cmd, [src], [INCLUDE])}.o"
    if not obj.exists():
        fd, tmp = tempfile.mkstemp(suffix=".o", dir=obj.parent)
        os.close(fd)
        try:
            _run(cmd + [str(src), "-o", tmp], f"zig cc for {core}")
            os.replace(tmp, obj)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return obj


def ptr(a: np.ndarray | None) -> ctypes.c_void_p:
    """A C pointer to a C-contiguous array's data (None -> NULL); keep ``a`` alive."""
    if a is None:
        return ctypes.c_void_p(None)
    if not a.flags["C_CONTIGUOUS"]:
        raise ValueError("array must be C-contiguous")
    return ctypes.c_void_p(a.ctypes.data)


class Guarded:
    """An output buffer with canary bytes on both sides, to catch out-of-bounds writes."""

    PAD = 64

    def __init__(self, shape, dtype=np.int8, fill=0x5A):
        n = int(np.prod(shape)) * np.dtype(dtype).itemsize
        self.shape, self.dtype, self.fill = tuple(shape), np.dtype(dtype), fill
        self.raw = np.full(n + 2 * self.PAD, fill, dtype=np.uint8)

    @property
    def ptr(self) -> ctypes.c_void_p:
        return ctypes.c_void_p(self.raw.ctypes.data + self.PAD)

    def value(self) -> np.ndarray:
        body = self.raw[self.PAD:len(self.raw) - self.PAD]
        return body.view(self.dtype).reshape(self.shape).copy()

    def intact(self) -> bool:
        return bool(np.all(self.raw[:self.PAD] == self.fill)
                    and np.all(self.raw[len(self.raw) - self.PAD:] == self.fill))

    def untouched(self) -> bool:
        return bool(np.all(self.raw == self.fill))
