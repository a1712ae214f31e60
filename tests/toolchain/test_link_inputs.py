"""Link inputs: static libraries built once and linked into many firmwares, .o files,
-l/-L, linker flags, a linker-script fragment; and the named errors for bad ones."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulator import Machine
from simulator.errors import ConfigError, IncompatibleObject, LibraryNotFound, UnknownFlag
from simulator.toolchain import available_toolchains

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TOOLCHAINS = ["zig", pytest.param("gcc", marks=pytest.mark.skipif(
    "gcc" not in available_toolchains(), reason="arm-none-eabi-gcc not installed"))]


@pytest.mark.parametrize("toolchain", TOOLCHAINS)
def test_static_library_links_into_several_firmwares(tmp_path, toolchain):
    m = Machine("nrf52840", toolchain=toolchain)
    lib = m.build_library([FIXTURES / "libfunc.c"], tmp_path / "libscale.a", defines={"LIB_BIAS": 1})
    frag = FIXTURES / "user_ram.ld"
    by_path = m.build([FIXTURES / "uses_lib.c", lib], linker_script=frag).run()
    by_name = m.build([FIXTURES / "uses_lib.c"], libraries=["scale"], library_dirs=[tmp_path],
                      linker_script=frag).run()
    by_flag = m.build([FIXTURES / "uses_lib.c"], link_flags=[f"-L{tmp_path}", "-lscale", "-lm"],
                      linker_script=frag).run()
    for r in (by_path, by_name, by_flag):
        assert r.stdout == "16 1\n"      # 3 * 5 + 1, and `placed` lies in the fragment's section


def test_keep_symbols_makes_a_library_function_callable(tmp_path):
    m = Machine("stm32h743")
    lib = m.build_library([FIXTURES / "libfunc.c"], tmp_path / "libscale.a", defines={"LIB_BIAS": 2})
    fw = m.build([FIXTURES / "copy.c", lib], keep_symbols=["lib_scale"])
    assert fw.call("lib_scale", 10).value == 32


def test_prebuilt_object_links(tmp_path):
    m = Machine("generic-m4")
    lib = m.build_library([FIXTURES / "libfunc.c"], tmp_path / "libscale.a", defines={"LIB_BIAS": 0})
    obj_dir = tmp_path / "obj"
    obj_dir.mkdir()
    subprocess.run(m.toolchain.archiver() + ["x", str(lib)], cwd=obj_dir, check=True)
    (obj,) = obj_dir.glob("*.o")
    r = m.build([FIXTURES / "uses_lib.c", obj], linker_script=FIXTURES / "user_ram.ld").run()
    assert r.stdout == "15 1\n"


@pytest.mark.parametrize("toolchain", TOOLCHAINS)
def test_unknown_compile_flag_is_named(toolchain):
    with pytest.raises(UnknownFlag) as exc:
        Machine("generic-m7", toolchain=toolchain).build([FIXTURES / "copy.c"], extra_flags=["-fno-such-flag"])
    assert exc.value.flag == "-fno-such-flag"
    # named as the user's flag, not blamed on the runtime file it failed on first
    assert str(exc.value).startswith("unknown flag '-fno-such-flag' (one of the flags you passed)")


def test_unknown_linker_flag_is_named():
    with pytest.raises(UnknownFlag) as exc:
        Machine("generic-m7").build([FIXTURES / "copy.c"], link_flags=["-Wl,--no-such-linker-flag"])
    assert "--no-such-linker-flag" in exc.value.flag
    assert "(one of the flags you passed)" in str(exc.value)


@pytest.mark.parametrize("toolchain", TOOLCHAINS)
def test_missing_library_is_named(toolchain):
    with pytest.raises(LibraryNotFound) as exc:
        Machine("generic-m7", toolchain=toolchain).build([FIXTURES / "copy.c"], libraries=["nosuchlib"])
    assert exc.value.library == "nosuchlib"


@pytest.mark.parametrize("bad, kwargs", [
    ("object/archive not found", dict(sources=["missing.a"])),
    ("cannot build a '.txt' file", dict(sources=["notes.txt"])),
    ("library directory not found", dict(library_dirs=["/no/such/dir"])),
    ("is not a -l name", dict(libraries=["-lfoo"])),
    ("linker-script fragment not found", dict(linker_script="/no/such.ld")),
    ("is not a C symbol name", dict(keep_symbols=["not a symbol"])),
    ("optimisation level", dict(opt="-O4")),
])
def test_bad_link_inputs_are_config_errors(tmp_path, bad, kwargs):
    (tmp_path / "notes.txt").write_text("x")
    sources = [tmp_path / s for s in kwargs.pop("sources", [])] or [FIXTURES / "copy.c"]
    with pytest.raises(ConfigError, match=bad):
        Machine("generic-m7").build(sources, **kwargs)


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "simulator.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def test_cli_builds_a_library_and_links_it(tmp_path):
    lib = tmp_path / "libscale.a"
    made = _cli("lib", str(FIXTURES / "libfunc.c"), "-o", str(lib), "--board", "rp2040", "-D", "LIB_BIAS=4")
    assert made.returncode == 0, made.stderr
    run = _cli("run", str(FIXTURES / "uses_lib.c"), "--board", "rp2040", "-L", str(tmp_path), "-l", "scale",
               "--linker-script", str(FIXTURES / "user_ram.ld"), "--cflag=-DUNUSED", "-O", "s", "--json")
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["stdout"] == "19 1\n"
    assert "-Os" in out["build"]["compile"] and "-DUNUSED" in out["build"]["compile"]


def test_cli_missing_library_is_one_line(tmp_path):
    run = _cli("run", str(FIXTURES / "uses_lib.c"), "-l", "nosuchlib")
    assert run.returncode != 0
    assert "library 'nosuchlib' not found" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("how", ["options", "link_flags"])
def test_a_rebuilt_l_library_is_a_new_build(tmp_path, how):
    """-l archives found in -L directories (given as options or as -L/-l link flags) are part
    of the build-cache key, as .a files passed by path are: rebuilding the library must not
    leave a stale firmware."""
    m = Machine("stm32h743")
    frag = FIXTURES / "user_ram.ld"
    link = {"options": dict(libraries=["scale"], library_dirs=[tmp_path]),
            "link_flags": dict(link_flags=[f"-L{tmp_path}", "-lscale"])}[how]
    outs = []
    for bias in (1, 2):
        m.build_library([FIXTURES / "libfunc.c"], tmp_path / "libscale.a", defines={"LIB_BIAS": bias})
        outs.append(m.build([FIXTURES / "uses_lib.c"], linker_script=frag, **link).run().stdout)
    assert outs == ["16 1\n", "17 1\n"]


def _long_named_copy(tmp_path: Path) -> Path:
    """libfunc.c under a name longer than an ar header's 16 bytes (GNU ar's '//' name table)."""
    src = tmp_path / "a_source_with_a_long_member_name.c"
    src.write_text((FIXTURES / "libfunc.c").read_text())
    return src


@pytest.mark.parametrize("toolchain", TOOLCHAINS)
@pytest.mark.parametrize("lib_board,fw_board", [("rp2040", "stm32h743"), ("stm32h743", "rp2040")])
def test_an_archive_for_another_float_abi_is_named(tmp_path, toolchain, lib_board, fw_board):
    """gcc's ld refuses these itself; zig's lld would link them silently (a float argument
    then read from the wrong registers): both give the same named error before linking."""
    lib = Machine(lib_board, toolchain=toolchain).build_library(
        [_long_named_copy(tmp_path)], tmp_path / "libother.a", defines={"LIB_BIAS": 1})
    with pytest.raises(IncompatibleObject, match="wrong registers") as exc:
        Machine(fw_board, toolchain=toolchain).build([FIXTURES / "uses_lib.c", lib],
                                                     linker_script=FIXTURES / "user_ram.ld")
    assert exc.value.input == "libother.a(000-a_source_with_a_long_member_name.o)"


def test_an_object_for_a_larger_architecture_is_named(tmp_path):
    """Soft-float ARMv7E-M code (same calling convention as the M0+) on an ARMv6-M core."""
    lib = Machine("nrf52840").build_library([FIXTURES / "libfunc.c"], tmp_path / "libv7.a",
                                            defines={"LIB_BIAS": 1}, extra_flags=["-mfloat-abi=soft"])
    with pytest.raises(IncompatibleObject, match=r"armv7e-m.*m0plus \(armv6s-m.*does not implement"):
        Machine("rp2040").build([FIXTURES / "uses_lib.c"], libraries=["v7"], library_dirs=[tmp_path],
                                linker_script=FIXTURES / "user_ram.ld")


def test_an_incompatible_archive_is_one_line_from_the_cli(tmp_path):
    lib = tmp_path / "libm0.a"
    made = _cli("lib", "--board", "rp2040", "-D", "LIB_BIAS=1", str(FIXTURES / "libfunc.c"), "-o", str(lib))
    assert made.returncode == 0, made.stderr
    run = _cli("run", "--board", "stm32h743", "--linker-script", str(FIXTURES / "user_ram.ld"), str(lib),
               str(FIXTURES / "uses_lib.c"))
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert run.stderr.startswith("mcusim: error: linking: libm0.a(000-libfunc.o) was compiled for armv6s-m")
