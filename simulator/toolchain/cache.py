"""A content-addressed build cache, safe with concurrent writers and killed builds.

An entry is a directory named by the SHA-256 of everything that went into the build. It is
written in a private temporary directory and renamed into place in one step (``os.replace``
of a directory is atomic on POSIX), so a reader sees a whole entry or none. Each entry
carries ``manifest.json`` with the SHA-256 of every file; an entry whose files do not match
is treated as absent, deleted and rebuilt.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

MANIFEST = "manifest.json"


def cache_root() -> Path:
    env = os.environ.get("MCUSIM_CACHE_DIR")
    if env:
        root = Path(env)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = Path(base) / "mcusim"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class BuildCache:
    def __init__(self, root: Path | None = None, namespace: str = "builds"):
        self.root = (root or cache_root()) / namespace
        self.root.mkdir(parents=True, exist_ok=True)

    def entry(self, key: str) -> Path:
        return self.root / key

    def lookup(self, key: str, required: tuple[str, ...] = ()) -> Path | None:
        """The entry's directory if it exists, its manifest lists every ``required`` file, and
        every listed file matches its hash; otherwise None (a damaged entry is deleted)."""
        entry = self.entry(key)
        try:
            manifest = json.loads((entry / MANIFEST).read_text())
            missing = [name for name in required if name not in manifest["files"]]
            if missing:
                raise ValueError(f"manifest does not list {missing}")
            for name, digest in manifest["files"].items():
                if _sha256(entry / name) != digest:
                    raise ValueError(f"{name} does not match its manifest")
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            shutil.rmtree(entry, ignore_errors=True)   # corrupted: rebuild
            return None
        return entry

    def new_staging_dir(self) -> Path:
        return Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))

    def commit(self, key: str, staging: Path, files: list[str]) -> Path:
        """Seal ``staging`` with a manifest of ``files`` and move it into place atomically."""
        manifest = {"files": {name: _sha256(staging / name) for name in files}}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1))
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
        shutil.rmtree(staging, ignore_errors=True)
        raise OSError(f"could not place build cache entry {entry}")
