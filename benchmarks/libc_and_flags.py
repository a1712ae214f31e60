"""What a real C library and honest flags change: CMSIS-NN's 1x1 conv and a 4 KB memcpy.

    python benchmarks/libc_and_flags.py [--json] [--libc-build]

1. CMSIS-NN ``arm_convolve_wrapper_s8``, 1x1, 8x8x64 -> 8x8x64, on the STM32H743 (M7), in
   cycles per MAC, built three ways: through mcusim with default options
   (``Machine.build_library``), by hand with builtins on (zig clang called directly with the
   core's target flags, -O2, picolibc's headers), and by hand with the flags mcusim used to
   force (-ffreestanding -fno-builtin), which turn every ``memcpy(&v, p, 4)`` into a call.
   Goal: mcusim's default within 10 % of the by-hand build.
2. ``memcpy`` of 4096 bytes on the M7 under each toolchain, cycles per byte (goal < 0.4).
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
from simulator.toolchain import available_toolchains  # noqa: E402
from tests.machine import cmsis_nn as nn  # noqa: E402
from tests.machine.test_cmsis_nn import _case, call_conv  # noqa: E402

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
    case = _case(np.random.default_rng(0), 8, 8, 64, 64, 1, 1, "VALID")
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


def memcpy_figures() -> dict:
    out = {}
    src = np.arange(4096, dtype=np.int64).astype(np.uint8)
    for tc in available_toolchains():
        fw = Machine(BOARD, toolchain=tc).build([FIXTURES / "copy.c"])
        r = fw.call("copy_bytes", np.zeros(4096, np.uint8), src, 4096, profile=True)
        assert np.array_equal(r.arrays[0], src)
        out[tc] = {"memcpy_cycles": r.profile["memcpy"]["cycles"],
                   "cycles_per_byte": r.profile["memcpy"]["cycles"] / 4096}
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
    print(f"memcpy of 4096 B on {BOARD}:")
    for tc, v in res["memcpy_4k"].items():
        print(f"  {tc:4s} {v['memcpy_cycles']:6d} cycles  {v['cycles_per_byte']:.3f} cycles/byte")
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
