"""Guest speed with and without cycle accounting, one run each on the same workload.

    python benchmarks/sim_speed.py [--core m7] [--iterations 500000] [--json]

The workload is a loop-heavy int8-style dot product (loads, SMLAD, pointer updates, a taken
branch per iteration, ~12 instructions per iteration: ~6 M instructions by default).
Configurations: raw Unicorn (no hooks), native accounting (block hook in C), native accounting
with data wait states (adds a C memory hook on every load/store), and the Python fallback.

Whole-model rows (``--models``, default VWW and ResNet-8 on the H743): the firmware `analyze`
builds (two inferences), run by the Machine with each memory model and every fault check on,
against raw Unicorn on the same firmware (memory map, image, semihosting only). Wall time of
the emulation alone (building and decoding excluded on both sides; the accounting decodes
each block once, which is counted).
Prints figures; never passes or fails on time.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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


def model_firmware(model: str, board: str):
    """The firmware `analyze` would build for ``model`` on ``board``, and its Machine."""
    from simulator.analyze import prepare_input
    from simulator.frontend import load_model
    from simulator.lower import lower_graph, write_sources
    from simulator.machine import Machine

    graph = load_model(ROOT / "models" / f"{model}.tflite")
    machine = Machine(board)
    lm = lower_graph(graph, machine.board)
    files = write_sources(lm, None, prepare_input(graph))
    return machine, machine.build(files + lm.sources, include_dirs=[files[0].parent], keep_all=False)


def raw_run(fw) -> float:
    """Seconds for raw Unicorn to run ``fw``: the board's memory map, the image, and an
    interrupt hook for semihosting (region markers, output, exit), nothing else."""
    import struct

    from unicorn import UC_ARCH_ARM, UC_HOOK_INTR, UC_MODE_THUMB, UC_PROT_ALL, Uc
    from unicorn import arm_const as A

    from simulator.machine.semihosting import Semihost

    board = fw.board
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)
    uc.ctl_set_cpu_model(getattr(A, board.core.unicorn_model))
    for r in board.regions:
        uc.mem_map(r.origin, (r.size + 0x3FF) // 0x400 * 0x400, UC_PROT_ALL)
    for base in (0xE0001000, 0xE000E000):           # DWT, SCS (startup writes CPACR)
        uc.mem_map(base, 0x1000, UC_PROT_ALL)
    for addr, data in fw.image.get_load_chunks():
        uc.mem_write(addr, data)
    semi = Semihost(lambda a, n: bytes(uc.mem_read(a, n)), now_cycles=lambda: 0, clock_hz=board.clock_hz,
                    on_region=lambda kind, name: None)

    def on_intr(uc, intno, _):
        pc = uc.reg_read(A.UC_ARM_REG_PC)
        if intno == 7 and struct.unpack("<H", uc.mem_read(pc, 2))[0] == 0xBEAB:
            ret = semi.handle(uc.reg_read(A.UC_ARM_REG_R0), uc.reg_read(A.UC_ARM_REG_R1))
            if semi.exit_code is not None:
                uc.emu_stop()
                return
            if ret is not None:
                uc.reg_write(A.UC_ARM_REG_R0, ret & 0xFFFFFFFF)
            uc.reg_write(A.UC_ARM_REG_PC, (pc + 2) | 1)
        else:
            uc.emu_stop()

    uc.hook_add(UC_HOOK_INTR, on_intr)
    uc.reg_write(A.UC_ARM_REG_SP, fw.layout.stack_top)
    t0 = time.perf_counter()
    uc.emu_start(fw.symbol_address("Reset_Handler") | 1, 0xFFFFFFFE)
    seconds = time.perf_counter() - t0
    if semi.exit_code != 0:
        raise SystemExit(f"raw run of {fw.elf_path} did not exit cleanly: {semi.exit_code}")
    return seconds


def machine_run(fw, memory: str) -> tuple[float, int]:
    """Seconds for the Machine (accounting, memory model, fault checks) to run ``fw``."""
    from simulator.machine import Machine

    m = Machine(fw.board, memory=memory)
    fw.machine = m
    emu = fw._emulator()
    t0 = time.perf_counter()
    stop = emu.run(fw.symbol_address("Reset_Handler"), fw.layout.stack_top, until=0xFFFF_FFFE,
                   budget=m.max_instructions)
    seconds = time.perf_counter() - t0
    if stop.kind != "exit" or emu.semihost.exit_code != 0:
        raise SystemExit(f"{fw.elf_path}: stopped with {stop.kind} {stop.detail}")
    return seconds, emu.counter.cycles


def model_rows(models: list[str], board: str) -> list[dict]:
    rows = []
    for model in models:
        _, fw = model_firmware(model, board)
        raw = min(raw_run(fw) for _ in range(2))
        for memory in ("realistic", "ideal"):
            seconds, cycles = min(machine_run(fw, memory) for _ in range(2))
            rows.append({"model": model, "board": board, "memory": memory, "seconds": round(seconds, 3),
                         "raw_seconds": round(raw, 3), "fraction_of_raw": round(raw / seconds, 3),
                         "cycles": cycles})
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--core", default="m7")
    ap.add_argument("--iterations", type=int, default=500_000)
    ap.add_argument("--models", default="vww_mobilenet_v1_025,resnet8",
                    help="comma-separated bundled models for the whole-model rows ('' for none)")
    ap.add_argument("--board", default="stm32h743", help="board of the whole-model rows")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    run(args.core, 1000, "native")                     # build the library, warm the assembler cache
    rows = [run(args.core, args.iterations, m) for m in ("raw", "native", "native+data_waits", "python")]
    raw = rows[0]["mips"]
    for row in rows:
        row["fraction_of_raw"] = round(row["mips"] / raw, 3)
    models = model_rows([m for m in args.models.split(",") if m], args.board)
    if args.json:
        print(json.dumps({"core": args.core, "iterations": args.iterations, "runs": rows,
                          "models": models}, indent=2))
    else:
        print(f"core {args.core}, {rows[0]['instructions']:,} guest instructions")
        for row in rows:
            print(f"  {row['mode']:<18} {row['seconds']:8.3f} s  {row['mips']:8.2f} MIPS  "
                  f"{row['fraction_of_raw']:6.1%} of raw  cycles={row['cycles']}")
        for row in models:
            print(f"  {row['model']} on {row['board']}, memory {row['memory']:<9} {row['seconds']:7.3f} s "
                  f"(raw Unicorn {row['raw_seconds']:.3f} s): {row['fraction_of_raw']:6.1%} of raw, "
                  f"{row['cycles']:,} cycles (two inferences)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
