"""Analyze every bundled int8 model on the given boards and print the README's table.

    python benchmarks/bundled_models.py [--boards stm32h743 nrf52840] [--json]

Every figure comes from one `simulator.analyze.analyze` run per model and board; a run that is
not bit-exact or does not fit is printed as such, never hidden. Prints figures only; it does
not pass or fail on time.
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

# model file stem -> what it is (the MLPerf Tiny task whose shape it has)
MODELS = {"ds_cnn": "keyword spotting, 49x10 MFCC", "vww_mobilenet_v1_025": "visual wake words, 96x96x3",
          "resnet8": "CIFAR 32x32x3", "fc_autoencoder": "anomaly detection, 640 in",
          "digits_cnn": "sklearn digits, 95% test acc."}


def _kb(n: int) -> str:
    return f"{n / 1024:.1f} KB"


def _cell(a) -> str:
    if not a["fits"]:
        return "does not fit"
    flag = "" if a["bit_exact"] else " (NOT bit-exact)"
    return f"{a['cycles'] / 1e6:.2f} M cycles, {a['latency_ms']:.1f} ms{flag}"


def table(models, boards) -> list[str]:
    """The README's Markdown table: one analyze run per model and board."""
    rows = {m: {b: analyze(ROOT / "models" / f"{m}.tflite", b).to_dict() for b in boards} for m in models}
    return _markdown(rows, boards)


def _markdown(rows: dict, boards) -> list[str]:
    head = ["model (MLPerf Tiny shape)", "params", "MACC", "flash", "RAM total"] + [f"{b} @ {_mhz(rows, b)} MHz" for b in boards]
    out = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for m, per_board in rows.items():
        a = per_board[boards[0]]
        cells = [f"{m} ({MODELS.get(m, '')})", f"{a['params']:,}", f"{a['macc'] / 1e6:.2f} M", _kb(a["flash_bytes"]["total"]),
                 _kb(a["ram_bytes"]["total"])] + [_cell(per_board[b]) for b in boards]
        out.append("| " + " | ".join(cells) + " |")
    return out


def _mhz(rows: dict, board: str) -> str:
    first = next(iter(rows.values()))[board]
    return f"{first['clock_hz'] / 1e6:g}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--boards", nargs="+", default=["stm32h743", "nrf52840"])
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    rows = {m: {b: analyze(ROOT / "models" / f"{m}.tflite", b).to_dict() for b in args.boards} for m in MODELS}
    if args.json:
        print(json.dumps({"boards": args.boards, "models": rows}, indent=2))
        return 0
    print("\n".join(_markdown(rows, args.boards)))
    print(f"\n({len(MODELS) * len(args.boards)} analyze runs in {time.perf_counter() - t0:.1f} s; KB = 1024 B)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
