"""Build (once, for the host) and load the native helpers (``native/*.c``) through ctypes.

Every C file in ``native/`` is compiled into one shared object: the cycle accounting
(``accounting.c``) and whatever other per-access work must stay out of Python hooks.

The shared object is cached under ``$MCUSIM_CACHE_DIR`` (default ``~/.cache/mcusim``), named
by a hash of the source, and written atomically (temporary file + ``os.replace``) so parallel
test workers never load a half-written library. The compiler is zig's clang
(``python -m ziglang cc``), falling back to the host ``cc``.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

from simulator.errors import ToolchainError

NATIVE_DIR = Path(__file__).with_name("native")


def sources() -> list[Path]:
    """The C files compiled into the library, in a stable order."""
    return sorted(NATIVE_DIR.glob("*.c"))

u64, u32, i32 = ctypes.c_uint64, ctypes.c_uint32, ctypes.c_int32


class Block(ctypes.Structure):
    _fields_ = [("addr", u64), ("branch_pc", u64), ("execs", u64), ("insns", u64), ("cycles_acc", u64),
                ("size", u32), ("ninsn", u32), ("cycles", i32), ("taken_pen", i32), ("nottaken_pen", i32),
                ("entry_pen", i32), ("mispredict_pen", i32), ("kind", u32), ("used", u32), ("pad", u32)]


class Counters(ctypes.Structure):
    _fields_ = [("cycles", u64), ("instructions", u64), ("budget", u64), ("blocks", u64),
                ("block_base", u64), ("block_mem", u64), ("branches", u64), ("mispredicts", u64),
                ("cur_addr", u64), ("budget_exceeded", i32), ("error", i32)]


class CheckRecord(ctypes.Structure):
    """checks.c ck_record: the first member of its state."""
    _fields_ = [("fault", i32), ("div_trap", i32), ("fault_pc", u64), ("fault_addr", u64),
                ("align_checks", u64), ("divides", u64)]


MISS_FN = ctypes.CFUNCTYPE(ctypes.c_int, u64, u32, ctypes.POINTER(Block))
STOP_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)


def cache_dir() -> Path:
    return Path(os.environ.get("MCUSIM_CACHE_DIR") or Path.home() / ".cache" / "mcusim")


@lru_cache(maxsize=1)
def library() -> ctypes.CDLL:
    """The loaded accounting library, compiled on first use."""
    h = hashlib.sha256(sys.platform.encode())
    for src in sources():
        h.update(src.name.encode() + b"\0" + src.read_bytes() + b"\0")
    tag = h.hexdigest()[:16]
    target = cache_dir() / f"accounting-{tag}.so"
    if not target.exists():
        _compile(target)
    lib = ctypes.CDLL(str(target))
    _prototypes(lib)
    _check_prototypes(lib)
    return lib


def _compile(target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.stem + ".", suffix=".tmp.so", dir=target.parent)
    os.close(fd)
    commands = [[sys.executable, "-m", "ziglang", "cc"], ["cc"]]
    errors = []
    try:
        for cc in commands:
            cmd = cc + ["-shared", "-fPIC", "-O2", *map(str, sources()), "-o", tmp]
            try:
                done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
            except (OSError, subprocess.TimeoutExpired) as err:
                errors.append(f"{' '.join(cmd)}: {err}")
                continue
            if done.returncode == 0:
                os.replace(tmp, target)
                return
            errors.append(f"{' '.join(cmd)}:\n{done.stderr.strip()}")
        raise ToolchainError("cannot build the native cycle-accounting library:\n" + "\n".join(errors))
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _prototypes(lib: ctypes.CDLL) -> None:
    vp = ctypes.c_void_p
    lib.mc_new.restype = vp
    lib.mc_new.argtypes = []
    lib.mc_free.argtypes = [vp]
    lib.mc_set_callbacks.argtypes = [vp, MISS_FN, STOP_FN]
    lib.mc_set_predictor.argtypes = [vp, i32, u32, i32]
    lib.mc_add_region.argtypes = [vp, u64, u64, i32, i32]
    lib.mc_add_region.restype = ctypes.c_int
    lib.mc_reset.argtypes = [vp, i32]
    lib.mc_blocks.argtypes = [vp, ctypes.POINTER(Block), u64]
    lib.mc_blocks.restype = u64
    lib.mc_block_count.argtypes = [vp]
    lib.mc_block_count.restype = u64


def _check_prototypes(lib: ctypes.CDLL) -> None:
    """checks.c: the per-instruction alignment / divide hook (simulator/machine/checks.py)."""
    vp = ctypes.c_void_p
    lib.ck_new.restype = vp
    lib.ck_new.argtypes = [vp, vp, vp, ctypes.POINTER(i32)]
    lib.ck_free.argtypes = [vp]
    lib.ck_add_site.argtypes = [vp, u64, i32, i32, i32, u32]
    lib.ck_add_site.restype = ctypes.c_int
    lib.ck_set_divide_timing.argtypes = [vp, vp, i32, i32, i32]
    lib.ck_divide_cycles.argtypes = [u32, u32, i32, i32, i32]
    lib.ck_divide_cycles.restype = i32
    lib.mc_add_cycles.argtypes = [vp, ctypes.c_int64]
