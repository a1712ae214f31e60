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


@needs_gcc
@pytest.mark.parametrize("toolchain", ["gcc", "zig"])
def test_dsp_conv_kernel_builds_and_is_bit_exact_with_both_toolchains(toolchain):
    """The DSP kernels use ACLE intrinsics and inline assembly: both compilers must accept them
    (GCC 12's arm_acle.h lacks __ror, which once linked as an undefined symbol)."""
    import numpy as np

    import cross_kernels
    from simulator.reference import conv

    src = [cross_kernels.SRC_DIR / "conv" / f for f in ("ck_conv_s8_dsp.c", "ck_conv_s8.c", "ck_conv_check_args.c")]
    fw = Machine("stm32h743", toolchain=toolchain).build(src)
    rng = np.random.default_rng(1)
    h = w = 6
    c, o, k = 16, 8, 3
    x = rng.integers(-128, 128, (1, h, w, c), dtype=np.int8)
    wt = rng.integers(-127, 128, (o, k, k, c), dtype=np.int8)
    bias = rng.integers(-5000, 5000, o, dtype=np.int32)
    mult, shift = np.full(o, 1518500250, np.int32), np.full(o, -8, np.int32)
    # ck_conv_params field order: see cross_kernels/include/ck_conv.h
    params = np.array([1, h, w, c, h, w, o, k, k, 1, 1, 1, 1, 1, 1, 5, -3, -128, 127, 1, 1], np.int32)
    out = np.zeros((1, h, w, o), np.int8)
    scratch = np.zeros(4 * k * k * c, np.int8)
    r = fw.call("ck_conv_s8_dsp", params, x, wt, bias, mult, shift, out, scratch, scratch.nbytes)
    expected = conv.conv2d_s8(x, wt, bias, input_zp=-5, output_zp=-3, multiplier=mult, shift=shift,
                              stride=(1, 1), dilation=(1, 1), pad=(1, 1), out_hw=(h, w))
    assert r.value == 0
    assert np.array_equal(r.arrays[6], expected)


@needs_gcc
@pytest.mark.parametrize("board", ["rp2040", "stm32h743"])
def test_newlib_printf_with_gcc(board):
    """newlib's printf reaches stdout through the runtime's system calls; its heap is static RAM
    the result shows, while a program without malloc pays none of it."""
    r = Machine(board, toolchain="gcc").build([FIXTURES / "newlib_printf.c"]).run()
    assert r.exit_code == 0
    assert r.stdout == "newlib printf: 42 ok  0.00\n"     # float printf linked because printf is used
    assert r.ram_static >= 4096
    plain = Machine(board, toolchain="gcc").build([FIXTURES / "hello.c"]).run()
    assert plain.ram_static < 1024


def test_printf_program_runs_under_zig_with_picolibc():
    """The same program under the default toolchain: picolibc's stdio, float formatting included."""
    r = Machine("generic-m7").build([FIXTURES / "newlib_printf.c"]).run()
    assert r.exit_code == 0
    assert r.stdout == "newlib printf: 42 ok  0.00\n"


def test_missing_header_is_the_compilers_own_words():
    from simulator.errors import CompileError
    with pytest.raises(CompileError) as err:
        Machine("generic-m7").build([FIXTURES / "missing_header.c"])
    text = str(err.value)
    assert "'no_such_header.h' file not found" in text and "command: " in text
