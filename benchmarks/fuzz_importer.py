"""Fuzz the .tflite importer with mutated copies of the bundled models.

    python benchmarks/fuzz_importer.py --cases 10000 [--seed 0] [--json] [--save-dir DIR]

Every case must end in a Graph or a ModelError naming the file, within --time-limit seconds
and --memory-limit MB (tracemalloc peak while loading). Prints cases, crashes (unexpected
exception types; the first few inputs are saved to --save-dir with their tracebacks), hangs,
peak memory of one case, the slowest case and cases/s. The exit status is 1 when anything
broke the contract, else 0; it never depends on speed.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator import fuzz  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--save-dir", type=Path, default=Path("fuzz-findings"),
                    help="where the first findings' inputs go (default ./fuzz-findings)")
    ap.add_argument("--max-saved", type=int, default=5)
    ap.add_argument("--time-limit", type=float, default=fuzz.DEFAULT_TIME_LIMIT_S, help="seconds per case")
    ap.add_argument("--memory-limit", type=float, default=fuzz.DEFAULT_MEMORY_LIMIT / 2**20,
                    help="MB per case")
    ap.add_argument("--no-memory", action="store_true", help="skip tracemalloc (about 2x faster)")
    ap.add_argument("--models", nargs="*", type=Path, help="seed models (default: models/*.tflite)")
    args = ap.parse_args(argv)

    report = fuzz.fuzz(args.cases, args.seed, seeds=fuzz.load_seeds(args.models),
                       time_limit=args.time_limit, memory_limit=int(args.memory_limit * 2**20),
                       save_dir=args.save_dir, max_saved=args.max_saved,
                       trace_memory=not args.no_memory)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.summary())
    broken = sum(report.count(k) for k in fuzz.FINDING_OUTCOMES)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
