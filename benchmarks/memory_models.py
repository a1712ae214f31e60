"""Cold and warm latency of the bundled models under the three memory models, per board.

    python benchmarks/memory_models.py [--models ds_cnn resnet8] [--boards stm32h743 rp2040] [--json]

One `simulator.analyze.analyze` run per model, board and memory model (realistic, ideal,
uncached); each run executes two inferences, the first from reset (cold caches) and the second
warm. Prints cycles, milliseconds and the realistic run's I/D-cache misses and flash stall
cycles; a run that does not fit or is not bit-exact is printed as such. Figures only: it never
passes or fails on time.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.analyze import analyze  # noqa: E402

MODELS = ["ds_cnn", "vww_mobilenet_v1_025", "resnet8", "fc_autoencoder"]
BOARDS = ["stm32h743", "stm32f746", "nrf52840", "rp2040"]
MEMORY = ["realistic", "ideal", "uncached"]


def one(model: str, board: str, memory: str) -> dict:
    a = analyze(ROOT / "models" / f"{model}.tflite", board, memory=memory)
    row = {"model": model, "board": board, "memory": memory, "fits": a.fits, "bit_exact": a.bit_exact,
           "cycles_cold": a.cycles, "cycles_warm": a.cycles_warm, "ms_cold": a.latency_ms,
           "ms_warm": a.latency_warm_ms}
    for when in ("cold", "warm"):
        m = a.memory.get(when) or {}
        for key in ("icache_misses", "dcache_misses", "flash_stall_cycles", "unaligned_accesses"):
            row[f"{key}_{when}"] = m.get(key)
    if not a.fits:
        row["problem"] = "does not fit"
    elif not a.bit_exact:
        row["problem"] = "NOT bit-exact"
    return row


def _ms(v) -> str:
    return "-" if v is None else f"{v:.2f}"


def _n(v) -> str:
    return "-" if v is None else f"{v:,}"


def render(rows: list[dict]) -> str:
    out = ["| model | board | realistic cold ms | realistic warm ms | ideal ms | uncached ms | "
           "D-misses cold / warm | I-misses cold / warm | flash stall cold |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    by = {(r["model"], r["board"], r["memory"]): r for r in rows}
    for model in dict.fromkeys(r["model"] for r in rows):
        for board in dict.fromkeys(r["board"] for r in rows):
            real, ideal, unc = (by.get((model, board, m)) for m in MEMORY)
            if real is None:
                continue
            if real.get("problem"):
                out.append(f"| {model} | {board} | {real['problem']} | | | | | | |")
                continue
            out.append(
                f"| {model} | {board} | {_ms(real['ms_cold'])} | {_ms(real['ms_warm'])} | "
                f"{_ms(ideal and ideal['ms_warm'])} | {_ms(unc and unc['ms_cold'])} | "
                f"{_n(real['dcache_misses_cold'])} / {_n(real['dcache_misses_warm'])} | "
                f"{_n(real['icache_misses_cold'])} / {_n(real['icache_misses_warm'])} | "
                f"{_n(real['flash_stall_cycles_cold'])} |")
    return "\n".join(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=MODELS)
    p.add_argument("--boards", nargs="+", default=BOARDS)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    rows = [one(m, b, mem) for m in args.models for b in args.boards for mem in MEMORY]
    if args.json:
        print(json.dumps({"models": args.models, "boards": args.boards, "runs": rows}, indent=2))
        return 0
    print(render(rows))
    print(f"\n({len(rows)} analyze runs in {time.perf_counter() - t0:.1f} s; ms at each board's clock; "
          "ideal ms is the warm run, uncached the cold one)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
