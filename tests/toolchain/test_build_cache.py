"""Nothing lost: the build cache with concurrent CLI processes, builds killed at random
moments, damaged entries, and the staging directories killed builds leave behind.
(tests/machine/test_toolchains_and_cache.py covers concurrent API builds and one kill.)"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator.machine import Machine
from simulator.toolchain.cache import BuildCache
from simulator.toolchain.cache_gc import clean_stale

HELLO = Path(__file__).resolve().parents[1] / "machine" / "fixtures" / "hello.c"
HELLO_EXIT = 3


def _cli(cache: Path, *args) -> list[str]:
    return [sys.executable, "-m", "simulator.cli", "run", str(HELLO), "--board", "generic-m4", *args]


def _env(cache: Path) -> dict:
    return dict(os.environ, MCUSIM_CACHE_DIR=str(cache))


def _entries(cache: Path) -> list[Path]:
    builds = cache / "builds"
    return [d for d in builds.iterdir() if not d.name.startswith(".staging")] if builds.exists() else []


def _staging(cache: Path) -> list[Path]:
    builds = cache / "builds"
    return [d for d in builds.iterdir() if d.name.startswith(".staging")] if builds.exists() else []


def test_two_cli_runs_at_once_on_an_empty_cache(tmp_path):
    procs = [subprocess.Popen(_cli(tmp_path), env=_env(tmp_path), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [HELLO_EXIT, HELLO_EXIT], outs
    assert outs[0][0] == outs[1][0] and outs[0][0].startswith("hello from mcusim")
    assert all("Traceback" not in err for _, err in outs)
    assert len(_entries(tmp_path)) == 1 and not _staging(tmp_path)


def test_builds_killed_at_random_moments_never_leave_a_broken_entry(tmp_path):
    rng = random.Random(5)
    cache = BuildCache(tmp_path)
    for attempt in range(5):
        define = f"-DKILL_ATTEMPT={attempt}"          # a new cache key each time: a real build
        p = subprocess.Popen(_cli(tmp_path, define), env=_env(tmp_path), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.3, 2.5))
        os.killpg(p.pid, 9)                             # the CLI and its compiler children
        p.wait()
        for entry in _entries(tmp_path):                 # whatever is an entry is whole
            assert cache.lookup(entry.name) is not None, f"attempt {attempt}: broken {entry}"
        again = subprocess.run(_cli(tmp_path, define), env=_env(tmp_path), capture_output=True,
                               text=True, timeout=300)
        assert again.returncode == HELLO_EXIT, again.stderr
    assert len(_entries(tmp_path)) == 5
    # the killed builds' staging directories go on the next clean_stale
    clean_stale(cache, max_age_s=0)
    assert not _staging(tmp_path) and len(_entries(tmp_path)) == 5


@pytest.fixture
def built(tmp_path, monkeypatch):
    monkeypatch.setenv("MCUSIM_CACHE_DIR", str(tmp_path))
    m = Machine("generic-m4")
    fw = m.build([HELLO])
    return m, fw.elf_path.parent


@pytest.mark.parametrize("damage", ["no manifest", "garbage manifest", "manifest not a dict",
                                    "manifest without files", "truncated elf", "elf missing"])
def test_damaged_entry_is_rebuilt(built, damage):
    m, entry = built
    manifest, elf = entry / "manifest.json", entry / "firmware.elf"
    if damage == "no manifest":
        manifest.unlink()
    elif damage == "garbage manifest":
        manifest.write_bytes(b"\x00{not json")
    elif damage == "manifest not a dict":
        manifest.write_text("[1, 2, 3]")
    elif damage == "manifest without files":
        manifest.write_text(json.dumps({"version": 1}))
    elif damage == "truncated elf":
        elf.write_bytes(elf.read_bytes()[:100])
    else:
        elf.unlink()
    fw = m.build([HELLO])
    assert not fw.build.cached
    assert fw.run().exit_code == HELLO_EXIT
    assert BuildCache().lookup(entry.name) is not None


def test_manifest_listing_no_files_is_rebuilt(built):
    m, entry = built
    (entry / "manifest.json").write_text(json.dumps({"files": {}}))
    (entry / "firmware.elf").unlink()
    assert m.build([HELLO]).run().exit_code == HELLO_EXIT


def test_clean_stale_removes_old_staging_and_hopeless_entries_only(tmp_path):
    cache = BuildCache(tmp_path)
    old, fresh = cache.new_staging_dir(), cache.new_staging_dir()
    (old / "user-000-x.o").write_bytes(b"half")
    hopeless = cache.entry("a" * 64)
    hopeless.mkdir()
    (hopeless / "manifest.json").write_text(json.dumps({"files": {}}))
    good = cache.new_staging_dir()
    (good / "firmware.elf").write_bytes(b"elf")
    (good / "link.ld").write_text("ld")
    good = cache.commit("b" * 64, good, ["firmware.elf", "link.ld"])
    long_ago = time.time() - 7200
    for path in (old, hopeless, good):
        for p in [path, *path.rglob("*")]:
            os.utime(p, (long_ago, long_ago))
    removed = clean_stale(cache, max_age_s=3600)
    assert sorted(removed) == sorted([old, hopeless])
    assert fresh.exists() and good.exists() and cache.lookup("b" * 64) == good
    assert clean_stale(tmp_path / "nowhere") == []
