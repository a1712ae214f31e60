"""Peak activation RAM per bundled model: the plain plan, the best schedule, TFLM's arena.

    python benchmarks/peak_memory.py [--board stm32h743] [--schedules inplace rows patch] [--json]

"peak" is arena + scratch (what TFLM's tensor arena holds besides its own bookkeeping: the
existing model tests compare the same sum with it). TFLM's arena is the RecordingMicroAllocator
total (simulator/frontend/tflm_oracle.py). Each schedule runs once through analyze (built, run,
bit-exact against the NumPy reference); its cycles are compared with the plain schedule's,
which analyze measures beside it. Prints figures only; never passes or fails on time.
The issue 16 goal: best peak <= 0.5 x TFLM's arena at <= +10 % cycles, VWW within 32 KB.
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
from simulator.boards import get_board  # noqa: E402
from simulator.errors import ConfigError  # noqa: E402
from simulator.frontend import load_model  # noqa: E402
from simulator.lower import lower_graph  # noqa: E402

MODELS = ["ds_cnn", "vww_mobilenet_v1_025", "resnet8", "fc_autoencoder", "digits_cnn"]


def tflm_arena(path: Path) -> int | None:
    try:
        from simulator.frontend.tflm_oracle import tflm_arena_bytes
    except ImportError:
        return None
    return tflm_arena_bytes(path.read_bytes())


def measure(name: str, board: str, schedules) -> dict:
    path = ROOT / "models" / f"{name}.tflite"
    plain = lower_graph(load_model(path), get_board(board), "plain")
    row = {"model": name, "board": board, "tflm_arena": tflm_arena(path),
           "plain": {"peak": plain.arena_bytes + plain.scratch_bytes,
                     "arena": plain.arena_bytes, "scratch": plain.scratch_bytes},
           "schedules": {}}
    for s in schedules:
        try:
            a = analyze(path, board, schedule=s)
        except ConfigError as err:            # e.g. no first conv chain to cut into patches
            row["schedules"][s] = {"skipped": str(err)}
            continue
        ch = a.schedule
        row["plain"].update(cycles=ch.baseline_cycles, flash=ch.baseline_flash)
        row["schedules"][s] = {"peak": a.arena + a.scratch, "arena": a.arena,
                               "scratch": a.scratch, "ram_total": a.ram_total,
                               "cycles": a.cycles, "flash": a.flash_total,
                               "bit_exact": a.bit_exact, "summary": a.schedule_summary,
                               "inplace_ops": ch.best.inplace_ops}
    ran = {k: v for k, v in row["schedules"].items() if "skipped" not in v}
    best = min(ran.items(), key=lambda kv: (kv[1]["peak"], kv[1]["cycles"] or 0), default=None)
    if best is not None and best[1]["peak"] >= row["plain"]["peak"]:
        best = ("plain", row["plain"])
    row["best"] = None if best is None else best[0]
    return row


def _pct(a, b) -> str:
    return "-" if not a or not b else f"{100.0 * (a - b) / b:+.1f} %"


def render(rows) -> list[str]:
    head = ["model", "TFLM arena", "plain peak", "x TFLM", "best", "best peak", "x TFLM",
            "cycles vs plain", "bit-exact"]
    out = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for r in rows:
        t = r["tflm_arena"]
        best = r["plain"] if r["best"] == "plain" else r["schedules"][r["best"]]
        ratio = (lambda n: "-" if not t else f"{n / t:.2f}")  # noqa: E731
        exact = all(s["bit_exact"] for s in r["schedules"].values() if "skipped" not in s)
        out.append("| " + " | ".join([
            r["model"], "-" if t is None else f"{t:,} B", f"{r['plain']['peak']:,} B",
            ratio(r["plain"]["peak"]), r["best"], f"{best['peak']:,} B", ratio(best["peak"]),
            _pct(best.get("cycles"), r["plain"].get("cycles")),
            "yes" if exact else "NO"]) + " |")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--board", default="stm32h743")
    p.add_argument("--schedules", nargs="+", default=["inplace", "rows", "patch"])
    p.add_argument("--models", nargs="+", default=MODELS)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    rows = [measure(m, args.board, args.schedules) for m in args.models]
    if args.json:
        print(json.dumps({"board": args.board, "models": rows}, indent=2))
        return 0
    print("\n".join(render(rows)))
    print("")
    for r in rows:
        if r["best"] != "plain":
            print(f"- {r['model']}: {r['schedules'][r['best']]['summary']}")
    print(f"\n(board {args.board}; peak = arena + scratch; {time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
