"""How close mcusim's cycle counts are to published silicon measurements, sequence by sequence.

    python benchmarks/cycle_fidelity.py [--core m7|m4|m0plus|m33] [--json]

Reads the validation tables (simulator/cycles/validation/<core>.toml), runs each sequence as firmware
that times itself with DWT CYCCNT (SysTick on the M0+) under the native accounting, and prints per
entry the published cycles per loop iteration, mcusim's, the residual and the status (ok, or DEV for
a documented known deviation, FAIL for an undocumented miss), then per core: count, entries within
tolerance, worst residual and mean absolute error in %. Prints figures; never passes or fails on them.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.cycles.validation import CORES, run_suite, summarize  # noqa: E402


def status(r) -> str:
    if r.within:
        return "ok" if not r.known_deviation else "FIXED"   # FIXED: matches, listing is stale
    return "DEV" if r.known_deviation else "FAIL"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--core", choices=CORES, help="one core only (default: all)")
    ap.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = ap.parse_args(argv)
    results = run_suite(args.core)
    summary = summarize(results)
    if args.json:
        print(json.dumps({"results": [dict(dataclasses.asdict(r), status=status(r)) for r in results],
                          "summary": [dataclasses.asdict(s) for s in summary]}, indent=1))
        return 0
    print(f"{'core':7} {'sequence':48} {'published':>9} {'mcusim':>8} {'residual':>8}  status")
    for r in results:
        print(f"{r.core:7} {r.name:48} {r.published:9.1f} {r.measured:8.2f} {r.residual:+8.2f}  {status(r)}")
    print()
    print(f"{'core':7} {'count':>5} {'within':>6} {'worst residual':>14} {'mean abs error':>14}")
    for s in summary:
        print(f"{s.core:7} {s.count:5d} {s.within:6d} {s.worst_residual:+14.2f} {s.mean_abs_error_pct:13.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
