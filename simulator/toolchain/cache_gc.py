"""Garbage collection for the build cache: what killed builds leave behind.

A build that is killed (SIGKILL, power loss) between ``BuildCache.new_staging_dir()`` and
``commit()`` leaves its ``.staging-*`` directory: never read as an entry (it has no entry name),
but never removed either. :func:`clean_stale` removes those older than ``max_age_s`` (a live
build touches its staging directory as it writes objects into it, so an old mtime means nobody
is writing there), and entries that can never be valid: no manifest, a manifest that does not
parse, or one that does not list the firmware.

    from simulator.toolchain.cache import BuildCache
    from simulator.toolchain.cache_gc import clean_stale
    removed = clean_stale(BuildCache(), max_age_s=3600)
"""
from __future__ import annotations

import os
import shutil
import stat
import time
from pathlib import Path

from ..cachedir import owned_by_me
from .cache import BuildCache, read_manifest

STAGING_PREFIX = ".staging-"
REQUIRED_FILES = ("firmware.elf",)


def _newest_mtime(path: Path) -> float:
    newest = path.stat().st_mtime
    for child in path.rglob("*"):
        try:
            newest = max(newest, child.stat().st_mtime)
        except OSError:
            pass
    return newest


def _is_real_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _entry_is_hopeless(entry: Path) -> bool:
    """True for an entry no lookup can ever accept (it would be rebuilt on every use)."""
    try:
        files = read_manifest(entry)
        return any(name not in files for name in REQUIRED_FILES)
    except (OSError, ValueError, KeyError, TypeError):
        return True


def clean_stale(cache: BuildCache | Path, max_age_s: float = 3600.0, *, now: float | None = None) -> list[Path]:
    """Remove staging directories and hopeless entries untouched for ``max_age_s`` seconds.

    Returns what was removed. Safe while other processes build: a staging directory in use is
    younger than any sensible ``max_age_s``; a whole entry is never removed here (its files are
    checked against the manifest by ``BuildCache.lookup`` instead)."""
    root = cache.root if isinstance(cache, BuildCache) else Path(cache)
    now = time.time() if now is None else now
    removed = []
    for path in sorted(root.iterdir()) if root.is_dir() else []:
        # Only this user's own directories (never a symbolic link, never someone else's).
        if not owned_by_me(path) or not _is_real_dir(path):
            continue
        try:
            age = now - _newest_mtime(path)
        except OSError:
            continue                       # vanished meanwhile (committed or removed)
        if age < max_age_s:
            continue
        if path.name.startswith(STAGING_PREFIX) or _entry_is_hopeless(path):
            shutil.rmtree(path, ignore_errors=True)
            if not path.exists():
                removed.append(path)
    return removed


def clean_generated(gen_root: Path, max_age_s: float = 86400.0, *, now: float | None = None) -> list[Path]:
    """Remove generated-source directories (``<cache>/gen/<digest>``) unused for ``max_age_s``.

    ``write_sources`` touches its directory on every use, and a directory is rewritten in full
    whenever it is needed again, so removing an old one costs nothing but a rewrite."""
    now = time.time() if now is None else now
    removed = []
    for path in sorted(gen_root.iterdir()) if gen_root.is_dir() else []:
        if not owned_by_me(path) or not _is_real_dir(path):
            continue
        try:
            if now - path.stat().st_mtime < max_age_s:
                continue
        except OSError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            removed.append(path)
    return removed
