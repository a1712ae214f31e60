"""A real C library under both toolchains: standard headers, printf with %f, libm, malloc,
and the libraries' own optimised memcpy (not a byte loop) for user code compiled with
builtins on. The libc for each core is built once into the shared cache (zig: picolibc)."""
from __future__ import annotations

from pathlib import Path

import pytest

from simulator import Machine, list_boards
from simulator.machine.elf import ElfImage
from simulator.toolchain import available_toolchains

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TOOLCHAINS = ["zig", pytest.param("gcc", marks=pytest.mark.skipif(
    "gcc" not in available_toolchains(), reason="arm-none-eabi-gcc not installed"))]
EXPECTED = "sqrt2=1.4142\nlen=12 pi=3.141593 e=2.71828\n!\n99 -1234 y\n"


@pytest.mark.parametrize("toolchain", TOOLCHAINS)
@pytest.mark.parametrize("board", [b.name for b in list_boards()])
def test_standard_headers_build_and_print_on_every_board(board, toolchain):
    r = Machine(board, toolchain=toolchain).build([FIXTURES / "libc_hello.c"]).run()
    assert r.exit_code == 0
    assert r.stdout == EXPECTED
    assert r.to_dict()["stdout"] == EXPECTED


@pytest.mark.parametrize("toolchain", TOOLCHAINS)
def test_memcpy_into_a_word_is_one_load_with_builtins_on(toolchain):
    """CMSIS-NN reads unaligned words with memcpy(&v, p, 4): a real build makes it one LDR."""
    fw = Machine("stm32h743", toolchain=toolchain).build([FIXTURES / "copy.c"])
    data = bytes(range(1, 9))
    import numpy as np
    r = fw.call("read_u32", np.frombuffer(data, np.uint8)[1:].copy())
    assert r.value_u32 == int.from_bytes(data[1:5], "little")
    assert r.instructions <= 3          # ldr, bx (and nothing else): no call to memcpy
    assert "memcpy" not in r.profile


def _memcpy_source(fw) -> str:
    """The source file (from the line table) of the memcpy the linker kept."""
    elf = ElfImage(fw.elf_path)
    try:
        return elf.source_line(elf.get_symbol("memcpy").addr).split(":")[0]
    finally:
        elf.close()


# ARMv7-M and ARMv8-M Mainline (Thumb-2, no ARM state): picolibc's and newlib's memcpy.S pick
# memcpy-armv7m.S unless __OPTIMIZE_SIZE__ or PREFER_SIZE_OVER_SPEED asks for the C byte loop.
THUMB2_BOARDS = [("nrf52840", "zig"), ("stm32h743", "zig"), ("generic-m33", "zig"),
                 pytest.param("stm32h743", "gcc", marks=TOOLCHAINS[1].marks)]


@pytest.mark.parametrize("board,toolchain", THUMB2_BOARDS)
def test_bulk_memcpy_is_the_librarys_armv7m_assembly(board, toolchain):
    """4 KB copied: the memcpy that links is the libraries' Arm assembly (DWARF names its file),
    moving a word per load/store pair: its unrolled loop runs 34 (post-indexed, v7-M) or 36
    (offset addressing, v8-M) instructions per 64 bytes, where a byte loop would take at least
    3 per byte. Instruction counts do not depend on the cycle model."""
    import numpy as np
    fw = Machine(board, toolchain=toolchain).build([FIXTURES / "copy.c"])
    assert _memcpy_source(fw) == "memcpy-armv7m.S"
    src = np.arange(4096, dtype=np.int64).astype(np.uint8)
    r = fw.call("copy_bytes", np.zeros(4096, np.uint8), src, 4096, profile=True)
    assert np.array_equal(r.arrays[0], src)
    per_byte = r.profile["memcpy"]["instructions"] / 4096
    assert 0.5 <= per_byte < 0.6, per_byte


def test_picolibc_cache_key_follows_every_part_of_the_recipe():
    """The libc cache entry is named by its whole recipe: a change of optimisation, of a
    configuration option, of a flag or of the core is a new build, never a stale library."""
    from simulator.toolchain import get_toolchain
    from simulator.toolchain.libc import _config, picolibc_recipe
    tc = get_toolchain("zig")
    m7, m4 = Machine("stm32h743").board.core, Machine("nrf52840").board.core

    def key(core, **change):
        settings = _config()
        for name, value in change.items():
            if name in settings:
                settings[name] = value
            else:
                settings["config"][name] = value
        rec, version = picolibc_recipe(tc, core, settings)
        return rec.key(version, tc.ident)

    base = key(m7)
    assert key(m7) == base
    variants = [key(m7, opt="-Os"), key(m7, PREFER_SIZE_OVER_SPEED=1),
                key(m7, compile_flags=_config()["compile_flags"] + ["-DEXTRA"]), key(m4)]
    assert len({base, *variants}) == 1 + len(variants)


def test_picolibc_string_routines_are_built_for_speed():
    """The shipped configuration: -O2, no PREFER_SIZE_OVER_SPEED, and machine/arm's memcpy.S
    (which shadows string/memcpy.c) in the library."""
    from simulator.toolchain import get_toolchain
    from simulator.toolchain.libc import picolibc_recipe
    rec, _version = picolibc_recipe(get_toolchain("zig"), Machine("stm32h743").board.core)
    assert "/* #undef PREFER_SIZE_OVER_SPEED */" in rec.config_header
    memcpy = [(src, cmd) for src, cmd in rec.compiles if src.stem == "memcpy"]
    assert [src.parent.name for src, _cmd in memcpy] == ["arm", "arm"]       # memcpy.S and memcpy.c
    for _src, cmd in memcpy:
        assert "-O2" in cmd and not {"-Os", "-Oz", "-DPREFER_SIZE_OVER_SPEED"} & set(cmd)


def test_sqrtf_links_and_uses_the_fpu_under_both():
    for tc in available_toolchains():
        fw = Machine("stm32h743", toolchain=tc).build([FIXTURES / "copy.c"])
        r = fw.call("root", 2.25)
        assert r.float_value == 1.5


@pytest.mark.parametrize("opt", ["-O0", "-Og", "-O1", "-O2", "-O3", "-Os", "-Oz"])
def test_every_optimisation_level_links_and_reaches_clang(opt):
    """zig cc would turn -O3 into -O2 and -O0/-Og into a UBSan build that does not link."""
    fw = Machine("generic-m7").build([FIXTURES / "libc_hello.c"], opt=opt)
    r = fw.run()
    assert r.stdout == EXPECTED
    cmd = r.build["compile"]
    assert cmd[cmd.index("clang") - 1:cmd.index("clang") + 1] == ["ziglang", "clang"]
    assert opt in cmd and "-ffreestanding" not in cmd and "-fno-builtin" not in cmd


def test_o3_and_o2_are_different_builds():
    m = Machine("generic-m7")
    a = m.build([FIXTURES / "libc_hello.c"], opt="-O2")
    b = m.build([FIXTURES / "libc_hello.c"], opt="-O3")
    assert a.elf_path != b.elf_path


def test_build_is_recorded_in_run_json():
    r = Machine("generic-m4").build([FIXTURES / "libc_hello.c"], extra_flags=["-DUNUSED=1"]).run()
    build = r.to_dict()["build"]
    assert build["compiler"].startswith("zig ziglang")
    assert build["libc"].startswith("picolibc 1.7.9")
    assert "-DUNUSED=1" in build["compile"] and "-O2" in build["compile"]
    assert any(a.endswith("libc.a") for a in build["link"])
