"""Guest speed with and without cycle accounting, one run each on the same workload.

    python benchmarks/sim_speed.py [--core m7] [--iterations 500000] [--json]

The workload is a loop-heavy int8-style dot product (loads, SMLAD, pointer updates, a taken
branch per iteration, ~12 instructions per iteration: ~6 M instructions by default).
Configurations: raw Unicorn (no hooks), native accounting (block hook in C), native accounting
with data wait states (adds a C memory hook on every load/store), and the Python fallback.
Prints figures; never passes or fails on time.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.cycles.engine import Accounting, PyAccounting  # noqa: E402
from simulator.cycles.testing import FLASH, SRAM, TCM, assemble, new_uc  # noqa: E402

KERNEL = """
    ldr r7, ={iterations}
    ldr r3, ={sram}
    movs r0, #0
    movs r1, #0
1:  ldr r4, [r3]
    ldr r5, [r3, #4]
    smlad r0, r4, r5, r0
    ldr r6, [r3, #8]
    smlad r1, r6, r5, r1
    adds r3, r3, #4
    bic r3, r3, #0x3f00
    str r0, [r3, #12]
    eors r0, r0, r1
    subs r7, r7, #1
    add r2, r2, r0, lsr #3
    bne 1b
    bkpt #0
    .ltorg
"""
REGIONS = [(FLASH, 0x40000, 0, 0, 0), (SRAM, 0x40000, 1, 1, 0), (TCM, 0x40000, 0, 0, 0)]


def run(core: str, iterations: int, mode: str) -> dict:
    code = assemble(KERNEL.format(iterations=iterations, sram=SRAM), core)
    uc = new_uc(core)
    for base in (FLASH, SRAM, TCM):
        uc.mem_map(base, 0x40000)
    uc.mem_write(FLASH, code)
    acc = None
    if mode != "raw":
        engine = PyAccounting if mode == "python" else Accounting
        acc = engine(uc, core, REGIONS, data_waits=(mode != "native")).attach()
    stop = FLASH + code.rfind(b"\x00\xbe")
    t0 = time.perf_counter()
    uc.emu_start(FLASH | 1, stop)
    seconds = time.perf_counter() - t0
    instructions = acc.instructions if acc else 4 + 12 * iterations
    return {"mode": mode, "seconds": round(seconds, 4), "instructions": instructions,
            "mips": round(instructions / seconds / 1e6, 2), "cycles": acc.cycles if acc else None}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--core", default="m7")
    ap.add_argument("--iterations", type=int, default=500_000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    run(args.core, 1000, "native")                     # build the library, warm the assembler cache
    rows = [run(args.core, args.iterations, m) for m in ("raw", "native", "native+data_waits", "python")]
    raw = rows[0]["mips"]
    for row in rows:
        row["fraction_of_raw"] = round(row["mips"] / raw, 3)
    if args.json:
        print(json.dumps({"core": args.core, "iterations": args.iterations, "runs": rows}, indent=2))
    else:
        print(f"core {args.core}, {rows[0]['instructions']:,} guest instructions")
        for row in rows:
            print(f"  {row['mode']:<18} {row['seconds']:8.3f} s  {row['mips']:8.2f} MIPS  "
                  f"{row['fraction_of_raw']:6.1%} of raw  cycles={row['cycles']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
