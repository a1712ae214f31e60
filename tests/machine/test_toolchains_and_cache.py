"""Toolchains are selectable and named; the build cache is content-addressed and robust."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.machine import Machine
from simulator.toolchain import BuildCache

from .conftest import FIXTURES

needs_gcc = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                               reason="arm-none-eabi-gcc not installed (apt-get install gcc-arm-none-eabi)")


@needs_gcc
@pytest.mark.parametrize("board", ["rp2040", "nrf52840", "stm32h743"])
def test_gcc_toolchain_runs_the_same_program(board):
    zig = Machine(board).build([FIXTURES / "hello.c"]).run()
    gcc_fw = Machine(board, toolchain="gcc").build([FIXTURES / "hello.c"])
    gcc = gcc_fw.run()
    assert gcc.stdout == zig.stdout and gcc.exit_code == zig.exit_code == 3
    assert gcc.toolchain.startswith("gcc ") and zig.toolchain.startswith("zig ")


def test_unknown_toolchain_is_a_config_error():
    from simulator.errors import ToolchainError
    with pytest.raises(ToolchainError, match="unknown toolchain 'clang9'"):
        Machine("generic-m7", toolchain="clang9")


def test_cache_hit_and_corruption_rebuild(tmp_path, monkeypatch):
    monkeypatch.setenv("MCUSIM_CACHE_DIR", str(tmp_path))
    m = Machine("generic-m4")
    first = m.build([FIXTURES / "hello.c"])
    assert not first.build.cached
    second = m.build([FIXTURES / "hello.c"])
    assert second.build.cached and second.elf_path == first.elf_path
    # Flip a byte in the cached ELF: the manifest check must reject it and rebuild.
    data = bytearray(first.elf_path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    first.elf_path.write_bytes(bytes(data))
    third = m.build([FIXTURES / "hello.c"])
    assert not third.build.cached
    assert third.run().exit_code == 3


def test_changed_define_is_a_new_entry(tmp_path, monkeypatch):
    monkeypatch.setenv("MCUSIM_CACHE_DIR", str(tmp_path))
    m = Machine("generic-m7", ram="64K")
    a = m.build([FIXTURES / "big_bss.c"], defines={"BIG_BYTES": 100})
    b = m.build([FIXTURES / "big_bss.c"], defines={"BIG_BYTES": 200})
    assert a.elf_path != b.elf_path


def test_staging_dirs_are_never_read_as_entries(tmp_path):
    cache = BuildCache(tmp_path)
    staging = cache.new_staging_dir()
    (staging / "firmware.elf").write_bytes(b"half-written")
    assert cache.lookup(staging.name) is None     # no manifest: not an entry
    assert cache.lookup("0" * 64) is None


_CONCURRENT = """
import sys
from simulator.machine import Machine
fw = Machine("generic-m7").build([sys.argv[1]])
r = fw.run()
print(r.exit_code, fw.elf_path)
"""


def test_concurrent_processes_share_one_entry(tmp_path):
    env = dict(os.environ, MCUSIM_CACHE_DIR=str(tmp_path))
    procs = [subprocess.Popen([sys.executable, "-c", _CONCURRENT, str(FIXTURES / "hello.c")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    lines = {o[0].strip() for o in outs}
    assert len(lines) == 1 and lines.pop().startswith("3 ")
    entries = [d for d in (tmp_path / "builds").iterdir() if not d.name.startswith(".staging")]
    assert len(entries) == 1
    assert not [d for d in (tmp_path / "builds").iterdir() if d.name.startswith(".staging")]


def test_killed_build_leaves_no_entry(tmp_path):
    """A build killed mid-way leaves at most a staging directory, never a readable entry."""
    env = dict(os.environ, MCUSIM_CACHE_DIR=str(tmp_path))
    p = subprocess.Popen([sys.executable, "-c", _CONCURRENT, str(FIXTURES / "kernels.c")], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    import time
    deadline = time.time() + 60
    builds = Path(tmp_path) / "builds"
    while time.time() < deadline and not (builds.exists() and any(builds.iterdir())):
        time.sleep(0.01)
    p.kill()
    p.wait()
    cache = BuildCache(tmp_path)
    for d in builds.iterdir():
        if not d.name.startswith(".staging"):
            assert cache.lookup(d.name) is not None   # anything that is an entry is whole
