"""Guest speed with and without cycle accounting, one run each on the same workload.

    python benchmarks/sim_speed.py [--core m7] [--iterations 500000] [--repeats 5] [--no-models] [--json]

The workload is a loop-heavy int8-style dot product (loads, SMLAD, pointer updates, a taken
branch per iteration, ~12 instructions per iteration: ~6 M instructions by default).
Configurations: raw Unicorn (no hooks), native accounting (block hook in C), native accounting
with data wait states (adds a C memory hook on every load/store), and the Python fallback.

Whole-model rows: the firmware `analyze` builds (two inferences: cold and warm) for VWW and
ResNet-8 on the STM32H743, for each memory model (realistic and ideal), emulated
(a) with no hooks at all (raw Unicorn; semihosting still answered, it is an interrupt, not a
hook) and (b) as `analyze` runs it: native accounting (a fresh engine each run, so the one-time
decode of every translated block is included) plus every fault check (alignment, DIV_0_TRP).
Each repeat runs (a) then (b); the figure is the median over repeats of raw / checked wall time
(and of process CPU time). A first unmeasured run stores the decoded block costs of a never-run
ELF (cycles/blockcache.py): its time is printed as "first run".
Prints figures; never passes or fails on time.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.cycles.engine import Accounting, PyAccounting  # noqa: E402
from simulator.cycles.testing import FLASH, SRAM, TCM, assemble, new_uc  # noqa: E402
from simulator.analyze import model_firmware  # noqa: E402
from simulator.machine.emulator import Emulator  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MEMORY_MODELS = ("realistic", "ideal")   # the default, and the old steady-state assumption
MODELS = [("vww", "models/vww_mobilenet_v1_025.tflite"), ("resnet8", "models/resnet8.tflite")]
MODEL_BOARD = "stm32h743"

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


def emulate(fw, hooks: bool) -> tuple[float, float, Emulator]:
    """Wall and process CPU time of one whole run of ``fw`` from reset to exit, as Firmware.run
    does it (CPU time is steadier on a shared machine; wall time is what a user waits)."""
    emu = Emulator(fw.board, fw.layout, fw.image, fw.machine.make_counter, hooks=hooks)
    emu.paint_stack()
    t0, c0 = time.perf_counter(), time.process_time()
    stop = emu.run(fw.symbol_address("Reset_Handler"), fw.layout.stack_top, until=0xFFFF_FFFE, budget=None)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    if stop.kind != "exit" or emu.semihost.exit_code:
        raise SystemExit(f"{fw.elf_path}: run ended with {stop.kind} {stop.detail} (exit {emu.semihost.exit_code})")
    return seconds, cpu, emu


def model_row(name: str, path: str, repeats: int, memory: str) -> dict:
    fw = model_firmware(ROOT / path, MODEL_BOARD, memory=memory)
    cold, _, _ = emulate(fw, hooks=True)   # stores the decoded blocks if this ELF never ran
    raw, checked, fractions, cpu_fractions = [], [], [], []
    for _ in range(repeats):
        t_raw, c_raw, _ = emulate(fw, hooks=False)
        t_checked, c_checked, emu = emulate(fw, hooks=True)
        raw.append(t_raw)
        checked.append(t_checked)
        fractions.append(t_raw / t_checked)
        cpu_fractions.append(c_raw / c_checked)
    rec = emu.checks.record
    return {"model": name, "board": MODEL_BOARD, "memory": memory, "instructions": emu.counter.instructions,
            "cycles": emu.counter.cycles, "repeats": repeats,
            "alignment_sites": len(emu.checks.alignment_sites), "divide_sites": len(emu.checks.divide_sites),
            "hooked_sites": emu.checks.hooked_sites, "alignment_checks": rec.align_checks + rec.entry_checks,
            "entry_checks": rec.entry_checks, "divides": rec.divides,
            "raw_seconds": round(statistics.median(raw), 4), "checked_seconds": round(statistics.median(checked), 4),
            "first_run_seconds": round(cold, 4),
            "fraction_of_raw": round(statistics.median(fractions), 3),
            "fractions": [round(f, 3) for f in fractions],
            "cpu_fraction_of_raw": round(statistics.median(cpu_fractions), 3)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--core", default="m7")
    ap.add_argument("--iterations", type=int, default=500_000)
    ap.add_argument("--repeats", type=int, default=5, help="whole-model runs per configuration")
    ap.add_argument("--no-models", action="store_true", help="skip the whole-model rows")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    run(args.core, 1000, "native")                     # build the library, warm the assembler cache
    rows = [run(args.core, args.iterations, m) for m in ("raw", "native", "native+data_waits", "python")]
    raw = rows[0]["mips"]
    for row in rows:
        row["fraction_of_raw"] = round(row["mips"] / raw, 3)
    models = [] if args.no_models else [model_row(name, path, args.repeats, memory)
                                         for name, path in MODELS for memory in MEMORY_MODELS]
    if args.json:
        print(json.dumps({"core": args.core, "iterations": args.iterations, "runs": rows, "models": models},
                         indent=2))
    else:
        print(f"core {args.core}, {rows[0]['instructions']:,} guest instructions")
        for row in rows:
            print(f"  {row['mode']:<18} {row['seconds']:8.3f} s  {row['mips']:8.2f} MIPS  "
                  f"{row['fraction_of_raw']:6.1%} of raw  cycles={row['cycles']}")
        for m in models:
            print(f"{m['model']} on {m['board']}, memory {m['memory']} ({m['instructions']:,} instructions; {m['hooked_sites']} of "
                  f"{m['alignment_sites'] + m['divide_sites']} check sites hooked: {m['alignment_checks']:,} "
                  f"alignment checks ({m['entry_checks']:,} at block entry), {m['divides']:,} divides): "
                  f"raw {m['raw_seconds']:.3f} s, accounting + "
                  f"checks {m['checked_seconds']:.3f} s, {m['fraction_of_raw']:.1%} of raw "
                  f"(median of {m['repeats']}: {', '.join(f'{f:.2f}' for f in m['fractions'])}; "
                  f"CPU time {m['cpu_fraction_of_raw']:.1%}); first run {m['first_run_seconds']:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
