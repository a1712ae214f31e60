"""The user's cache directory, checked before anything in it is trusted.

Builds, the native accounting library and generated sources are cached on disk and later
linked, loaded (``ctypes.CDLL``) or compiled. Anyone who can write there can run code as the
user, so the cache is used only when it is private::

    root = cache_root()       # $MCUSIM_CACHE_DIR, else $XDG_CACHE_HOME/mcusim, else ~/.cache/mcusim
    d = private_dir()         # that directory if the user owns it and only they can write it;
                              # <root>/u<uid> (created 0700) if it is shared (sticky, like /tmp)
                              # CacheError if it is writable by others without the sticky bit
    check_owned(path)         # an entry: owned by the user, not a symlink, not group/other-writable

A cache that cannot be created or written (read-only file system, full disk, a file in the
way) is not an error: :func:`private_dir` warns (:class:`CacheWarning`) and hands out a fresh
private temporary directory instead, so the run proceeds without caching.
"""
from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import stat
import tempfile
import warnings
from pathlib import Path

from .errors import CacheError, CacheWarning

_fallback: Path | None = None


def cache_root() -> Path:
    """Where the cache lives (not checked, not created)."""
    env = os.environ.get("MCUSIM_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG base directory spec: a relative value is invalid and must be ignored.
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "mcusim"


def _uid() -> int:
    return os.getuid() if hasattr(os, "getuid") else 0


def _insecure(st: os.stat_result) -> str | None:
    """Why a directory or file with this lstat may not be trusted, or None."""
    if stat.S_ISLNK(st.st_mode):
        return "is a symbolic link"
    if st.st_uid != _uid():
        return f"is owned by uid {st.st_uid}, not by this user (uid {_uid()})"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"is writable by {'others' if st.st_mode & stat.S_IWOTH else 'its group'} " \
               f"(mode {stat.S_IMODE(st.st_mode):o})"
    return None


def check_owned(path: Path, what: str = "cache entry") -> os.stat_result:
    """lstat of ``path`` after checking that only this user can have written it.
    Raises CacheError naming the path and the reason; FileNotFoundError if absent."""
    st = os.lstat(path)
    why = _insecure(st)
    if why:
        raise CacheError(f"refusing {what} {path}: it {why}; remove it or fix its permissions "
                         f"(chmod go-w), or set MCUSIM_CACHE_DIR to a private directory")
    return st


def owned_by_me(path: Path) -> bool:
    """True if ``path`` (not followed if a link) belongs to this user."""
    try:
        return os.lstat(path).st_uid == _uid()
    except OSError:
        return False


def _make_private(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _checked_root(root: Path) -> Path:
    """``root`` itself if private, else this user's subdirectory of a shared (sticky) root.
    The root is the user's own setting, so a symbolic link there is followed."""
    _make_private(root)
    st = os.stat(root)
    if _insecure(st) is None:
        return root
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not st.st_mode & stat.S_ISVTX:
        # Without the sticky bit anyone who can write here can rename our subdirectory away
        # and put theirs in its place between a check and a use.
        raise CacheError(f"refusing cache directory {root}: it {_insecure(st)} without the "
                         "sticky bit; chmod go-w it (or chmod +t for a cache shared on purpose), "
                         "or set MCUSIM_CACHE_DIR to a private directory")
    own = _make_private(root / f"u{_uid()}")
    check_owned(own, "cache directory")
    return own


def _temporary(reason: str) -> Path:
    global _fallback
    if _fallback is None or not _fallback.is_dir():
        _fallback = Path(tempfile.mkdtemp(prefix="mcusim-nocache-"))
        atexit.register(shutil.rmtree, _fallback, ignore_errors=True)
        warnings.warn(CacheWarning(f"the cache directory cannot be used ({reason}); running "
                                   f"without a persistent cache in {_fallback}"), stacklevel=3)
    return _fallback


def private_dir(root: Path | None = None, *sub: str) -> Path:
    """The checked cache directory (``root``, default :func:`cache_root`) joined with ``sub``,
    created 0700; a private temporary directory (and a CacheWarning) if it cannot be written."""
    try:
        base = _checked_root(Path(root) if root is not None else cache_root())
        if not sub:
            return base
        path = _make_private(base.joinpath(*sub))
        check_owned(path, "cache directory")
        return path
    except CacheError:
        raise
    except OSError as err:
        return _make_private(_temporary(f"{err.strerror or err}: {err.filename or ''}").joinpath(*sub))


def unavailable(err: OSError) -> Path:
    """For a cache write failing midway (disk full): warn once, return the temporary cache."""
    return _temporary(f"{err.strerror or err}")


def open_checked(path: Path, limit: int) -> int:
    """An open read-only descriptor on ``path``: a regular file (not a link, FIFO or device:
    opened without following links and without blocking) of at most ``limit`` bytes, owned
    by this user and not writable by others. ValueError / CacheError / OSError otherwise."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or not 0 < st.st_size <= limit:
            raise ValueError(f"{path} is not a non-empty regular file of at most {limit} bytes")
        why = _insecure(st)
        if why:
            raise CacheError(f"refusing cache entry {path}: it {why}")
    except BaseException:
        os.close(fd)
        raise
    return fd


def sha256_fd(fd: int) -> str:
    """SHA-256 of an open file from its start (the descriptor's offset is left at the end)."""
    h = hashlib.sha256()
    os.lseek(fd, 0, os.SEEK_SET)
    while block := os.read(fd, 1 << 20):
        h.update(block)
    return h.hexdigest()
