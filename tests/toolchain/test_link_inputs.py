"""Link inputs: static libraries built once and linked into many firmwares, .o files,
-l/-L, linker flags, a linker-script fragment; and the named errors for bad ones."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulator import Machine
from simulator.errors import ConfigError, LibraryNotFound, UnknownFlag
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


def test_unknown_linker_flag_is_named():
    with pytest.raises(UnknownFlag) as exc:
        Machine("generic-m7").build([FIXTURES / "copy.c"], link_flags=["-Wl,--no-such-linker-flag"])
    assert "--no-such-linker-flag" in exc.value.flag


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
