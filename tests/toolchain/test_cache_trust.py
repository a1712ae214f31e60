"""The on-disk cache is trusted only when only this user could have written it (issue 10,
items 2 and 3; docs/security.md, "Cache").

A planted shared object must never be loaded: the proof is a library whose constructor writes
a marker file, put where the accounting library goes, in a fresh process."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from simulator import cachedir
from simulator.cycles import native
from simulator.errors import CacheError, CacheWarning
from simulator.machine import Machine
from simulator.toolchain.cache import BuildCache
from simulator.toolchain.cache_gc import clean_stale

ROOT = Path(__file__).resolve().parents[2]
HELLO = ROOT / "tests" / "machine" / "fixtures" / "hello.c"
HELLO_EXIT = 3
OTHER_UID = 12345
as_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                             reason="changing file owners needs root")

_LOAD = "from simulator.cycles import native; native.library(); print('loaded')"


def _load_native(cache: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, MCUSIM_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", _LOAD], env=env, capture_output=True, text=True,
                          timeout=300)


def _target(cache: Path) -> Path:
    return cache / f"accounting-{native._tag()}.so"


@pytest.fixture(scope="module")
def evil_so(tmp_path_factory) -> tuple[Path, Path]:
    """A shared object that, if ever loaded, writes a marker file from its constructor."""
    d = tmp_path_factory.mktemp("evil")
    marker = d / "PLANTED_LIBRARY_RAN"
    src = d / "evil.c"
    src.write_text('#include <stdio.h>\n__attribute__((constructor)) static void run(void)\n'
                   f'{{ FILE *f = fopen("{marker}", "w"); if (f) fclose(f); }}\n')
    so = d / "evil.so"
    subprocess.run([sys.executable, "-m", "ziglang", "cc", "-shared", "-fPIC", str(src), "-o",
                    str(so)], check=True, capture_output=True, timeout=300)
    return so, marker


def _plant(cache: Path, so: Path, manifest: bool) -> Path:
    cache.mkdir(mode=0o700, exist_ok=True)
    target = _target(cache)
    shutil.copy(so, target)
    if manifest:
        import hashlib
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        target.with_suffix(".sha256").write_text(json.dumps({"sha256": digest}))
    return target


def test_planted_library_without_a_manifest_is_never_loaded(tmp_path, evil_so):
    so, marker = evil_so
    target = _plant(tmp_path / "c", so, manifest=False)
    done = _load_native(tmp_path / "c")
    assert done.returncode == 0 and "loaded" in done.stdout, done.stderr
    assert not marker.exists()
    assert target.read_bytes() != so.read_bytes()                 # rebuilt over it


@as_root
def test_library_owned_by_another_user_is_refused(tmp_path, evil_so):
    so, marker = evil_so
    target = _plant(tmp_path / "c", so, manifest=True)
    os.chown(target, OTHER_UID, OTHER_UID)
    done = _load_native(tmp_path / "c")
    assert done.returncode != 0 and "CacheError" in done.stderr and "uid 12345" in done.stderr
    assert not marker.exists()


def test_library_writable_by_others_is_rebuilt_not_loaded(tmp_path, evil_so):
    so, marker = evil_so
    target = _plant(tmp_path / "c", so, manifest=True)
    os.chmod(target, 0o666)
    done = _load_native(tmp_path / "c")
    assert done.returncode == 0, done.stderr
    assert not marker.exists()
    assert not os.stat(target).st_mode & 0o022


@pytest.mark.parametrize("damage", ["empty", "truncated", "flipped", "no manifest",
                                    "garbage manifest", "manifest is a list"])
def test_damaged_library_is_rebuilt(tmp_path, damage):
    cache = tmp_path / "c"
    assert _load_native(cache).returncode == 0
    target = _target(cache)
    good = target.read_bytes()
    manifest = target.with_suffix(".sha256")
    if damage == "empty":
        target.write_bytes(b"")
    elif damage == "truncated":
        target.write_bytes(good[:len(good) // 3])
    elif damage == "flipped":
        target.write_bytes(good[:100] + bytes([good[100] ^ 1]) + good[101:])
    elif damage == "no manifest":
        manifest.unlink()
    elif damage == "garbage manifest":
        manifest.write_bytes(b"\x00{")
    else:
        manifest.write_text("[1, 2]")
    done = _load_native(cache)
    assert done.returncode == 0 and "loaded" in done.stdout, done.stderr
    assert json.loads(manifest.read_text())["sha256"] == native.hashlib.sha256(
        target.read_bytes()).hexdigest()


def test_xdg_cache_home_is_honoured_by_every_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("MCUSIM_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    want = tmp_path / "xdg" / "mcusim"
    assert native.cache_dir() == want
    assert BuildCache().root == want / "builds"
    assert cachedir.cache_root() == want


# ---- the build cache ---------------------------------------------------------------------------

@pytest.fixture
def built(tmp_path, monkeypatch):
    monkeypatch.setenv("MCUSIM_CACHE_DIR", str(tmp_path))
    m = Machine("generic-m4")
    fw = m.build([HELLO])
    return m, fw.elf_path.parent


def test_manifest_whose_files_is_a_list_is_rebuilt(built):
    m, entry = built
    (entry / "manifest.json").write_text(json.dumps({"files": ["firmware.elf", "link.ld"]}))
    for _ in range(2):                           # once rebuilt, the next run hits again
        fw = m.build([HELLO])
        assert fw.run().exit_code == HELLO_EXIT
    assert fw.build.cached and BuildCache().lookup(entry.name) == entry


@as_root
def test_entry_owned_by_another_user_is_refused(built):
    m, entry = built
    os.chown(entry / "firmware.elf", OTHER_UID, OTHER_UID)
    os.chown(entry, OTHER_UID, OTHER_UID)
    with pytest.raises(CacheError, match="uid 12345"):
        m.build([HELLO])
    assert entry.exists()                        # refused, not deleted


def test_entry_writable_by_others_is_rebuilt(built):
    m, entry = built
    os.chmod(entry / "firmware.elf", 0o666)
    fw = m.build([HELLO])
    assert not fw.build.cached and fw.run().exit_code == HELLO_EXIT
    assert not os.stat(entry / "firmware.elf").st_mode & 0o022


def test_cache_directory_writable_by_others_is_refused(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    monkeypatch.setenv("MCUSIM_CACHE_DIR", str(shared))
    with pytest.raises(CacheError, match="without the sticky bit"):
        Machine("generic-m4").build([HELLO])


def test_shared_sticky_cache_directory_gets_a_private_subdirectory(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    monkeypatch.setenv("MCUSIM_CACHE_DIR", str(shared))
    fw = Machine("generic-m4").build([HELLO])
    own = shared / f"u{os.getuid()}"
    assert fw.elf_path.is_relative_to(own) and (os.stat(own).st_mode & 0o777) == 0o700


def test_unwritable_cache_warns_and_the_run_proceeds(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    monkeypatch.setenv("MCUSIM_CACHE_DIR", str(blocker / "cache"))   # cannot be created
    monkeypatch.setattr(cachedir, "_fallback", None)
    with pytest.warns(CacheWarning, match="without a persistent cache"):
        fw = Machine("generic-m4").build([HELLO])
    assert fw.run().exit_code == HELLO_EXIT
    assert not fw.elf_path.is_relative_to(blocker)


def test_full_disk_while_sealing_an_entry_warns_and_the_run_proceeds(tmp_path, monkeypatch):
    monkeypatch.setenv("MCUSIM_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(cachedir, "_fallback", None)
    real = Path.write_text

    def full(self, *args, **kwargs):
        if self.name == "manifest.json":
            raise OSError(28, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.warns(CacheWarning, match="No space left"):
        fw = Machine("generic-m4").build([HELLO], defines={"FULL_DISK_TEST": 1})
    assert fw.run().exit_code == HELLO_EXIT


@as_root
def test_clean_stale_never_touches_another_users_directory(tmp_path):
    cache = BuildCache(tmp_path)
    theirs = cache.new_staging_dir()
    os.chown(theirs, OTHER_UID, OTHER_UID)
    os.utime(theirs, (0, 0))
    assert clean_stale(cache, max_age_s=0) == [] and theirs.exists()


def _as_other_user(fn) -> int:
    """Run ``fn`` in a forked child as OTHER_UID (no exec: the imported modules come along);
    returns its exit status."""
    pid = os.fork()
    if pid == 0:                                 # pragma: no cover - the child
        code = 99
        try:
            os.setgroups([])
            os.setgid(OTHER_UID)
            os.setuid(OTHER_UID)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CacheWarning)
                code = fn()
        except BaseException as err:                # noqa: BLE001 - report anything as a status
            code = 98 if isinstance(err, PermissionError) else 97
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def _commit_and_lookup(root: Path) -> int:
    cachedir._fallback = None
    c = BuildCache(root)
    s = c.new_staging_dir()
    (s / "firmware.elf").write_bytes(b"\x7fELF other user")
    entry = c.commit("e" * 64, s, ["firmware.elf"])
    ok = c.lookup("e" * 64, ("firmware.elf",)) == entry and os.stat(entry).st_uid == OTHER_UID
    return 0 if ok else 1


@pytest.fixture
def shared_dir(monkeypatch):
    """A cache directory outside pytest's private (0700) temporary tree, so that a second
    user can reach it, filled with one build by this user."""
    import tempfile
    d = Path(tempfile.mkdtemp(prefix="mcusim-shared-test-"))
    monkeypatch.setenv("MCUSIM_CACHE_DIR", str(d))
    fw = Machine("generic-m4").build([HELLO])
    yield d, fw.elf_path.parent
    shutil.rmtree(d, ignore_errors=True)


@as_root
@pytest.mark.parametrize("mode", [0o755, 0o1777])
def test_two_users_sharing_one_cache_directory(shared_dir, mode):
    """The first user (root here) filled the cache; a second user with the same
    MCUSIM_CACHE_DIR used to fail with PermissionError (exit 70). Now they get their own
    subdirectory (sticky, shared) or a private temporary cache (someone else's 0755)."""
    shared, entry = shared_dir
    os.chmod(shared, mode)
    assert _as_other_user(lambda: _commit_and_lookup(shared)) == 0
    mine = shared / f"u{OTHER_UID}"
    assert mine.is_dir() == bool(mode & 0o1000)
    if mine.is_dir():
        assert os.stat(mine).st_uid == OTHER_UID and (os.stat(mine).st_mode & 0o777) == 0o700
    assert (entry / "firmware.elf").is_file() and os.stat(entry).st_uid == os.getuid()


def test_cli_says_in_one_line_that_it_runs_without_a_cache(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    env = dict(os.environ, MCUSIM_CACHE_DIR=str(blocker / "cache"), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "simulator.cli", "run", str(HELLO), "--board",
                           "generic-m4"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == HELLO_EXIT, done.stderr
    warning = [ln for ln in done.stderr.splitlines() if "warning" in ln]
    assert len(warning) == 1 and warning[0].startswith("mcusim: warning: the cache directory "
                                                       "cannot be used")
    assert "Traceback" not in done.stderr


@as_root
def test_cli_refuses_another_users_cache_entry_in_one_line(built):
    _, entry = built
    os.chown(entry, OTHER_UID, OTHER_UID)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "simulator.cli", "run", str(HELLO), "--board",
                           "generic-m4"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and done.stderr.startswith("mcusim: error: refusing cache entry")
