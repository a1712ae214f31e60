"""A content-addressed build cache, safe with concurrent writers, killed builds and neighbours.

An entry is a directory named by the SHA-256 of everything that went into the build. It is
written in a private temporary directory and renamed into place in one step (``os.replace``
of a directory is atomic on POSIX), so a reader sees a whole entry or none. Each entry
carries ``manifest.json`` with the SHA-256 of every file; an entry whose files do not match
(or whose manifest is not the expected shape) is treated as absent, deleted and rebuilt.

The cache lives in the user's checked private directory (:mod:`simulator.cachedir`): an entry
owned by another user or writable by group/others is refused (CacheError), never used. A
cache that cannot be written (read-only, full) gives a CacheWarning and the build goes on in
a private temporary directory.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from pathlib import Path

from ..cachedir import (cache_root, check_owned, open_checked, owned_by_me, private_dir,
                        sha256_fd, unavailable)
from ..errors import CacheError

MANIFEST = "manifest.json"
MAX_ENTRY_FILE = 1 << 30          # an ELF bigger than 1 GiB is not one mcusim built

__all__ = ["BuildCache", "MANIFEST", "cache_root", "sha256_file"]


def sha256_file(path: Path, limit: int = MAX_ENTRY_FILE) -> str:
    """SHA-256 of a cache file, after :func:`simulator.cachedir.open_checked`'s checks."""
    fd = open_checked(path, limit)
    try:
        return sha256_fd(fd)
    finally:
        os.close(fd)


def read_manifest(entry: Path) -> dict[str, str]:
    manifest = json.loads((entry / MANIFEST).read_text())
    files = manifest["files"] if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                              for k, v in files.items()):
        raise ValueError("manifest 'files' is not a mapping of names to hashes")
    if not all(_inside_entry(name) for name in files):
        raise ValueError("manifest names a file outside its entry")
    return files


def _inside_entry(name: str) -> bool:
    """A relative path below the entry ("firmware.elf", "lib/libc.a"): no absolute path, no
    "." or ".." component, no backslash, not the manifest itself."""
    parts = name.split("/")
    return (name != MANIFEST and "\\" not in name and "\0" not in name
            and all(part not in ("", ".", "..") for part in parts))


class BuildCache:
    def __init__(self, root: Path | None = None, namespace: str = "builds"):
        self.namespace = namespace
        self.root = private_dir(root, namespace)

    @property
    def deps_root(self) -> Path:
        """Beside the entries, not among them: records of the files builds read (read_deps)."""
        return private_dir(self.root.parent, f"{self.namespace}-deps")

    def entry(self, key: str) -> Path:
        return self.root / key

    def lookup(self, key: str, required: tuple[str, ...] = ()) -> Path | None:
        """The entry's directory if it exists, its manifest lists every ``required`` file, and
        every listed file matches its hash; otherwise None (a damaged entry is deleted).
        CacheError if the entry could have been written by someone else."""
        entry = self.entry(key)
        try:
            check_owned(entry)
            files = read_manifest(entry)
            check_owned(entry / MANIFEST)
            missing = [name for name in required if name not in files]
            if missing:
                raise ValueError(f"manifest does not list {missing}")
            for name, digest in files.items():
                if sha256_file(entry / name) != digest:
                    raise ValueError(f"{name} does not match its manifest")
        except FileNotFoundError:
            return None
        except CacheError:
            if not owned_by_me(entry):
                raise                                  # another user's: refuse, never delete
            shutil.rmtree(entry, ignore_errors=True)   # ours but writable by others: rebuild
            return None
        except (OSError, ValueError, KeyError, TypeError):
            shutil.rmtree(entry, ignore_errors=True)   # corrupted: rebuild
            return None
        return entry

    def read_deps(self, base: str) -> list[Path] | None:
        """The files the last build with this command-and-sources hash read (``<base>.json``,
        see :mod:`simulator.toolchain.deps`), or None if unknown, damaged or not trusted."""
        try:
            fd = open_checked(self.deps_root / f"{base}.json", MAX_ENTRY_FILE)
            try:
                with os.fdopen(os.dup(fd), "rb") as fh:
                    paths = json.loads(fh.read())
            finally:
                os.close(fd)
        except (OSError, ValueError, CacheError):
            return None
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            return None
        return [Path(p) for p in paths]

    def write_deps(self, base: str, paths: list[Path]) -> None:
        """Record (atomically) the files a build read; a cache that cannot be written skips it."""
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=".deps-", dir=self.deps_root)
            with os.fdopen(fd, "w") as fh:
                json.dump([str(p) for p in paths], fh)
            os.chmod(tmp, 0o644)
            os.replace(tmp, self.deps_root / f"{base}.json")
        except OSError:
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)

    def new_staging_dir(self) -> Path:
        try:
            return Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))
        except OSError as err:                         # read-only or full: build elsewhere
            self.root = private_dir(unavailable(err), self.namespace)
            return Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))

    def commit(self, key: str, staging: Path, files: list[str]) -> Path:
        """Seal ``staging`` with a manifest of ``files`` and move it into place atomically.
        If the cache cannot be written (disk full), the sealed staging directory is the entry."""
        try:
            for name in files:                         # compilers create files by the umask
                os.chmod(staging / name, stat.S_IMODE(os.lstat(staging / name).st_mode) & ~0o022)
            manifest = {"files": {name: sha256_file(staging / name) for name in files}}
            (staging / MANIFEST).write_text(json.dumps(manifest, indent=1))
        except OSError as err:
            unavailable(err)
            return staging
        entry = self.entry(key)
        for _attempt in range(2):
            try:
                os.replace(staging, entry)
                return entry
            except OSError:
                # The target exists and is not empty: another process committed the same
                # key first (theirs is as good as ours), or a corrupted entry is in the way.
                if self.lookup(key) is not None:
                    shutil.rmtree(staging, ignore_errors=True)
                    return entry
                shutil.rmtree(entry, ignore_errors=True)
        unavailable(OSError(f"could not place build cache entry {entry}"))
        return staging
