"""What a real C library and honest flags change: CMSIS-NN's 1x1 conv and a 4 KB memcpy.

    python benchmarks/libc_and_flags.py [--json] [--libc-build]

1. CMSIS-NN ``arm_convolve_wrapper_s8``, 1x1, 8x8x64 -> 8x8x64, on the STM32H743 (M7), in
   cycles per MAC, built three ways: through mcusim with default options
   (``Machine.build_library``), by hand with builtins on (zig clang called directly with the
   core's target flags, -O2, picolibc's headers), and by hand with the flags mcusim used to
   force (-ffreestanding -fno-builtin), which turn every ``memcpy(&v, p, 4)`` into a call.
   Goal: mcusim's default within 10 % of the by-hand build.
2. ``memcpy`` of 4096 bytes under each toolchain, cycles per byte (goal on the M7: < 0.4),
   on one board per core, with the source file of the memcpy that linked.
3. ``--libc-build``: the cold build time of picolibc for each core, in a fresh cache.

CMSIS-NN comes from $MCUSIM_CMSIS_NN or ../shared/third_party/CMSIS-NN. Prints figures; it
does not pass or fail.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator import Machine  # noqa: E402
from simulator.machine.elf import ElfImage  # noqa: E402
from simulator.toolchain import available_toolchains  # noqa: E402
from tests.helpers import cmsis_nn as nn  # noqa: E402
from tests.helpers.cmsis_nn import call_conv, conv_case  # noqa: E402

BOARD = "stm32h743"
FIXTURES = ROOT / "tests" / "toolchain" / "fixtures"
FORCED_FREESTANDING = ["-ffreestanding", "-fno-builtin"]


def _by_hand(machine, root: Path, out: Path, extra: list[str]) -> Path:
    """Compile CMSIS-NN with zig clang called directly, archive with zig ar."""
    tc, core = machine.toolchain, machine.board.core
    libc = tc.libc(core)
    zig = [sys.executable, "-m", "ziglang"]
    base = zig + ["clang"] + tc.clang_target(core) + ["-O2", "-ffunction-sections", "-fdata-sections"] + \
        extra + list(libc.compile_flags) + [f"-I{root / 'Include'}"]
    objs = []

    def one(i_src):
        i, src = i_src
        obj = out.parent / f"{out.stem}-{i:03d}.o"
        subprocess.run(base + ["-c", str(src), "-o", str(obj)], check=True, capture_output=True)
        return str(obj)
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        objs = list(pool.map(one, enumerate(nn.conv_s8_sources(root))))
    subprocess.run(zig + ["ar", "rcs", str(out)] + objs, check=True)
    return out


def conv_figures(root: Path) -> dict:
    m = Machine(BOARD)
    case = conv_case(np.random.default_rng(0), 8, 8, 64, 64, 1, 1, "VALID")
    macs = 8 * 8 * 64 * 64
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        libs = {"mcusim default": m.build_library(nn.conv_s8_sources(root), tmp / "libdefault.a",
                                                  include_dirs=[root / "Include"]),
                "by hand, builtins on": _by_hand(m, root, tmp / "libhand.a", []),
                "by hand, -ffreestanding -fno-builtin": _by_hand(m, root, tmp / "libfree.a", FORCED_FREESTANDING)}
        for name, lib in libs.items():
            fw = m.build([FIXTURES / "copy.c", lib], keep_symbols=["arm_convolve_wrapper_s8",
                                                                    "arm_convolve_wrapper_s8_get_buffer_size"])
            r = call_conv(fw, case)
            out[name] = {"cycles": r.cycles, "cycles_per_mac": r.cycles / macs}
    base = out["by hand, builtins on"]["cycles"]
    for v in out.values():
        v["vs_by_hand"] = v["cycles"] / base
    return out


MEMCPY_BOARDS = ("stm32h743", "nrf52840", "generic-m33", "rp2040")   # the goal is the first (M7)


def _memcpy_source(fw) -> str:
    """Which memcpy linked: the source file of its first instruction (DWARF line table)."""
    elf = ElfImage(fw.elf_path)
    try:
        return elf.source_line(elf.get_symbol("memcpy").addr).split(":")[0]
    finally:
        elf.close()


def memcpy_figures() -> dict:
    """4096 aligned bytes per toolchain and board: cycles per byte with the default memory
    model (caches cold, so the code's I-cache misses count) and with every access a hit."""
    out = {}
    src = np.arange(4096, dtype=np.int64).astype(np.uint8)
    for board in MEMCPY_BOARDS:
        for tc in available_toolchains():
            row = {}
            for memory in ("realistic", "ideal"):
                m = Machine(board, toolchain=tc, memory=memory)
                fw = m.build([FIXTURES / "copy.c"])
                r = fw.call("copy_bytes", np.zeros(4096, np.uint8), src, 4096, profile=True)
                assert np.array_equal(r.arrays[0], src)
                prof = r.profile["memcpy"]
                row[f"cycles_per_byte_{memory}"] = prof["cycles"] / 4096
                row.update(core=m.board.core.name, memcpy_source=_memcpy_source(fw),
                           instructions_per_byte=prof["instructions"] / 4096)
                if memory == "realistic":
                    row.update(memcpy_cycles=prof["cycles"], cycles_per_byte=prof["cycles"] / 4096)
            out[f"{board} {tc}"] = row
    return out


def libc_build_figures() -> dict:
    from simulator.boards import list_boards
    from simulator.toolchain import get_toolchain
    from simulator.toolchain.cache import BuildCache
    from simulator.toolchain.libc import picolibc
    cores = {}
    for b in list_boards():
        cores.setdefault(b.core.name, b.core)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, core in cores.items():
            t = time.perf_counter()
            picolibc(get_toolchain("zig"), core, cache=BuildCache(Path(tmp), namespace="libc"))
            out[name] = {"seconds": round(time.perf_counter() - t, 1), "cpus": os.cpu_count()}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--libc-build", action="store_true", help="also time a cold picolibc build per core")
    args = ap.parse_args(argv)
    root = nn.cmsis_nn_root()
    res = {"board": BOARD, "memcpy_4k": memcpy_figures(),
           "cmsis_nn_conv_1x1_64x64": conv_figures(root) if root else "CMSIS-NN not found"}
    if args.libc_build:
        res["picolibc_cold_build"] = libc_build_figures()
    if args.json:
        print(json.dumps(res, indent=2))
        return 0
    print("memcpy of 4096 aligned bytes (goal on the M7: < 0.4 cycles/byte), cycles/byte with caches "
          "cold (default) / every access a hit:")
    for name, v in res["memcpy_4k"].items():
        print(f"  {name:22s} {v['core']:7s} {v['memcpy_source']:16s} {v['memcpy_cycles']:6d} cycles  "
              f"{v['cycles_per_byte_realistic']:.3f} / {v['cycles_per_byte_ideal']:.3f} cycles/byte  "
              f"{v['instructions_per_byte']:.3f} instructions/byte")
    conv = res["cmsis_nn_conv_1x1_64x64"]
    print(f"CMSIS-NN arm_convolve_wrapper_s8 1x1 8x8x64 -> 64 on {BOARD}:")
    if isinstance(conv, str):
        print("  " + conv)
    else:
        for name, v in conv.items():
            print(f"  {name:38s} {v['cycles']:8d} cycles  {v['cycles_per_mac']:.2f} cycles/MAC  "
                  f"x{v['vs_by_hand']:.2f} of by hand")
    for core, v in res.get("picolibc_cold_build", {}).items():
        print(f"picolibc cold build for {core}: {v['seconds']} s on {v['cpus']} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
