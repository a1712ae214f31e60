"""Build (once, for the host) and load the native helpers (``native/*.c``) through ctypes.

Every C file in ``native/`` is compiled into one shared object: the cycle accounting
(``accounting.c``) and whatever other per-access work must stay out of Python hooks.

The shared object is cached in the user's checked cache directory (:mod:`simulator.cachedir`:
``$MCUSIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/mcusim``, else ``~/.cache/mcusim``), named by a
hash of the sources, and written atomically (temporary file + ``os.replace``) so parallel
test workers never load a half-written library. Beside it, ``accounting-<tag>.sha256`` (also
written atomically) holds its SHA-256: the library is loaded only through the very descriptor
whose contents matched that hash, owned by this user and writable by no one else. Anything
else (missing, truncated, empty, a hash mismatch) is rebuilt; a file of another user is
refused (CacheError). The compiler is zig's clang (``python -m ziglang cc``), falling back to
the host ``cc``.
"""
from __future__ import annotations

import ctypes
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

from simulator.cachedir import open_checked, owned_by_me, private_dir, sha256_fd, unavailable
from simulator.errors import CacheError, ToolchainError

NATIVE_DIR = Path(__file__).with_name("native")


def sources() -> list[Path]:
    """The C files compiled into the library, in a stable order."""
    return sorted(NATIVE_DIR.glob("*.c"))

u64, u32, i32 = ctypes.c_uint64, ctypes.c_uint32, ctypes.c_int32


class Successor(ctypes.Structure):
    """accounting.c mc_succ: a block seen right after another (its table index, edge correction)."""
    _fields_ = [("addr", u32), ("idx", u32), ("corr", i32), ("flags", u32)]


class Block(ctypes.Structure):
    """accounting.c mc_block (128 bytes, checked at load)."""
    _fields_ = [("addr", u64), ("size", u32), ("ninsn", u32), ("cycles", i32), ("kind", u32),
                ("succ", Successor * 2), ("btac_base", u32), ("used", u32),
                ("execs", u64), ("insns", u64), ("cycles_acc", u64), ("branch_pc", u64), ("branch_target", u64),
                ("taken_pen", i32), ("nottaken_pen", i32), ("entry_pen", i32), ("mispredict_pen", i32),
                ("entry_checks", u32), ("pad", u32)]


class Counters(ctypes.Structure):
    _fields_ = [("cycles", u64), ("instructions", u64), ("budget", u64), ("blocks", u64),
                ("block_base", u64), ("block_mem", u64), ("branches", u64), ("mispredicts", u64),
                ("cur_addr", u64), ("budget_exceeded", i32), ("error", i32)]


class CheckRecord(ctypes.Structure):
    """checks.c ck_record: the first member of its state."""
    _fields_ = [("fault", i32), ("div_trap", i32), ("fault_pc", u64), ("fault_addr", u64),
                ("align_checks", u64), ("divides", u64), ("entry_checks", u64), ("entry_block", u64),
                ("entry_site", u64)]


MISS_FN = ctypes.CFUNCTYPE(ctypes.c_int, u64, u32, ctypes.POINTER(Block))
EDGE_FN = ctypes.CFUNCTYPE(ctypes.c_int, u64, u64, i32, ctypes.POINTER(i32))
STOP_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)


MAX_LIBRARY = 64 << 20


def cache_dir() -> Path:
    """The user's checked private cache directory (a temporary one if it cannot be written)."""
    return private_dir()


def _tag() -> str:
    h = hashlib.sha256(sys.platform.encode())
    for src in sources() + sorted(NATIVE_DIR.glob("*.h")):     # headers too (oahash.h)
        h.update(src.name.encode() + b"\0" + src.read_bytes() + b"\0")
    return h.hexdigest()[:16]


@lru_cache(maxsize=1)
def library() -> ctypes.CDLL:
    """The loaded accounting library, compiled on first use (and whenever the cached copy does
    not match its recorded hash)."""
    target = cache_dir() / f"accounting-{_tag()}.so"
    lib = _load_verified(target) or _build_and_load(target)
    _prototypes(lib)
    _check_prototypes(lib)
    return lib


def _manifest(target: Path) -> Path:
    return target.with_suffix(".sha256")


def _dlopen(fd: int, path: Path) -> ctypes.CDLL:
    # Load the descriptor that was hashed, not the name: the file cannot change in between.
    by_fd = f"/proc/self/fd/{fd}"
    return ctypes.CDLL(by_fd if os.path.exists(by_fd) else str(path))


def _load_verified(target: Path) -> ctypes.CDLL | None:
    """Load ``target`` if it matches its manifest; None if it does not (it is rebuilt).
    CacheError if either file belongs to another user or others can write it."""
    manifest = _manifest(target)
    fd = None
    try:
        mfd = open_checked(manifest, 4096)
        try:
            want = json.loads(os.read(mfd, 4096))["sha256"]
        finally:
            os.close(mfd)
        fd = open_checked(target, MAX_LIBRARY)
        if sha256_fd(fd) != want:
            raise ValueError(f"{target} does not match its recorded hash")
        return _dlopen(fd, target)
    except CacheError:
        if any(os.path.lexists(p) and not owned_by_me(p) for p in (target, manifest)):
            raise                                        # another user's file: refuse it
        return None                                      # ours, but writable: rebuilt over it
    except (OSError, ValueError, KeyError, TypeError):  # absent, corrupt, truncated, empty
        return None                                      # rebuilt and replaced atomically
    finally:
        if fd is not None:
            os.close(fd)


def _build_and_load(target: Path) -> ctypes.CDLL:
    """Build the library in a private temporary file, record its hash, publish both, and load
    the descriptor that was hashed. If the cache cannot be written the library is built in a
    temporary directory instead (CacheWarning)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=target.stem + ".", suffix=".tmp.so", dir=target.parent)
    except OSError as err:
        target = unavailable(err) / target.name
        fd, tmp = tempfile.mkstemp(prefix=target.stem + ".", suffix=".tmp.so", dir=target.parent)
    os.close(fd)
    fd = None
    try:
        _run_compiler(tmp)
        os.chmod(tmp, 0o755)
        fd = open_checked(Path(tmp), MAX_LIBRARY)
        digest = sha256_fd(fd)
        try:
            _write_manifest(target, digest)
            os.replace(tmp, target)
        except OSError as err:                           # full or read-only: not cached
            unavailable(err)
        return _dlopen(fd, Path(tmp) if os.path.exists(tmp) else target)
    finally:
        if fd is not None:
            os.close(fd)
        if os.path.exists(tmp):
            os.unlink(tmp)


def _write_manifest(target: Path, digest: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=target.stem + ".", suffix=".tmp.sha256", dir=target.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump({"file": target.name, "sha256": digest}, fh)
        os.chmod(tmp, 0o644)
        os.replace(tmp, _manifest(target))
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _run_compiler(out: str) -> None:
    commands = [[sys.executable, "-m", "ziglang", "cc"], ["cc"]]
    errors = []
    for cc in commands:
        cmd = cc + ["-shared", "-fPIC", "-O2", *map(str, sources()), "-o", out]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as err:
            errors.append(f"{' '.join(cmd)}: {err}")
            continue
        if done.returncode == 0:
            return
        errors.append(f"{' '.join(cmd)}:\n{done.stderr.strip()}")
    raise ToolchainError("cannot build the native cycle-accounting library:\n" + "\n".join(errors))


def _prototypes(lib: ctypes.CDLL) -> None:
    vp = ctypes.c_void_p
    lib.mc_new.restype = vp
    lib.mc_new.argtypes = []
    lib.mc_free.argtypes = [vp]
    lib.mc_set_callbacks.argtypes = [vp, MISS_FN, EDGE_FN, STOP_FN]
    lib.mc_set_predictor.argtypes = [vp, i32, u32, u32, i32, i32, i32, i32]
    lib.mc_set_predictor.restype = ctypes.c_int
    lib.mc_add_region.argtypes = [vp, u64, u64, i32, i32]
    lib.mc_add_region.restype = ctypes.c_int
    lib.mc_reset.argtypes = [vp, i32]
    lib.mc_blocks.argtypes = [vp, ctypes.POINTER(Block), u64]
    lib.mc_blocks.restype = u64
    lib.mc_block_count.argtypes = [vp]
    lib.mc_block_count.restype = u64
    lib.mc_preload.argtypes = [vp, ctypes.POINTER(Block)]
    lib.mc_preload.restype = ctypes.c_int
    lib.mc_preload_edge.argtypes = [vp, u64, u64, i32]
    lib.mc_preload_edge.restype = ctypes.c_int
    lib.mc_preloaded_unrun.argtypes = [vp, u64, i32]
    lib.mc_preloaded_unrun.restype = ctypes.c_int
    lib.mc_block_size.argtypes = []
    lib.mc_block_size.restype = u64
    if lib.mc_block_size() != ctypes.sizeof(Block):     # accounting.c and Block out of step
        raise ToolchainError(f"native accounting: mc_block is {lib.mc_block_size()} bytes, "
                             f"native.py Block {ctypes.sizeof(Block)}")


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
    lib.ck_add_entry.argtypes = [vp, u64, u64, i32, i32]
    lib.ck_add_entry.restype = ctypes.c_int
    lib.ck_mark_hooked.argtypes = [vp, u64]
    lib.mc_set_checks.argtypes = [vp, vp]
