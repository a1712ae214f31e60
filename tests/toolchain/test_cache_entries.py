"""Cache entries may hold files below subdirectories (the C library's lib/libc.a and its
include tree) and still be found again; names that leave the entry are refused."""
import json

import pytest

from simulator.toolchain.cache import BuildCache, read_manifest


def _commit(cache, key, files):
    staging = cache.new_staging_dir()
    for name, data in files.items():
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        (staging / name).write_bytes(data)
    return cache.commit(key, staging, list(files))


def test_an_entry_with_nested_files_is_found_again(tmp_path, monkeypatch):
    monkeypatch.setenv("MCUSIM_CACHE_DIR", str(tmp_path))
    cache = BuildCache(namespace="libc")
    entry = _commit(cache, "k" * 64, {"lib/libc.a": b"archive", "include/picolibc.h": b"/* h */"})
    assert cache.lookup("k" * 64, required=("lib/libc.a", "include/picolibc.h")) == entry
    assert (entry / "lib" / "libc.a").read_bytes() == b"archive"


@pytest.mark.parametrize("name", ["../escape", "/etc/passwd", "lib/../../x", "a//b", "./x", "a\\b",
                                  "manifest.json"])
def test_a_manifest_naming_a_path_outside_its_entry_is_refused(tmp_path, name):
    (tmp_path / "manifest.json").write_text(json.dumps({"files": {name: "00"}}))
    with pytest.raises(ValueError, match="outside its entry"):
        read_manifest(tmp_path)
