"""Fuzz mcusim's untrusted-input readers: .tflite, ONNX, board files, .npy, analysis JSON, GDB packets.

    python benchmarks/fuzz_importer.py [--target tflite|onnx|board|npy|report|gdb|all] --cases 10000
                                       [--seed 0] [--json] [--save-dir DIR]

Every case must end in an accepted input or the named error its reader promises (naming the
file), within the target's time limit per case and --memory-limit MB (tracemalloc peak);
the gdb target: a reply to every packet. Prints per target: cases, outcomes, crashes (unexpected
exceptions; the first few inputs are saved to --save-dir with their tracebacks), hangs, peak
memory of one case, the slowest case and cases/s. The exit status is 1 when anything broke a
contract, else 0; it never depends on speed.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator import fuzz  # noqa: E402
from simulator.fuzz.targets import TARGET_FINDINGS, TARGET_NAMES, get_target, run_target  # noqa: E402


def run_one(name: str, args):
    save_dir = args.save_dir / name
    memory = int(args.memory_limit * 2**20)
    if name == "tflite":
        report = fuzz.fuzz(args.cases, args.seed, seeds=fuzz.load_seeds(args.models),
                           time_limit=args.time_limit or fuzz.DEFAULT_TIME_LIMIT_S, memory_limit=memory,
                           save_dir=save_dir, max_saved=args.max_saved, trace_memory=not args.no_memory)
        broken = sum(report.count(k) for k in fuzz.FINDING_OUTCOMES) + report.fallbacks
    else:
        report = run_target(get_target(name), args.cases, args.seed, time_limit=args.time_limit,
                            memory_limit=memory, trace_memory=not args.no_memory, save_dir=save_dir,
                            max_saved=args.max_saved)
        broken = sum(report.count(k) for k in TARGET_FINDINGS)
    return report, broken


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", default="tflite", choices=[*TARGET_NAMES, "all"])
    ap.add_argument("--cases", type=int, default=1000, help="cases per target")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print one JSON object (target -> figures)")
    ap.add_argument("--save-dir", type=Path, default=Path("fuzz-findings"),
                    help="where the first findings' inputs go, one directory per target (default ./fuzz-findings)")
    ap.add_argument("--max-saved", type=int, default=5)
    ap.add_argument("--time-limit", type=float, default=None,
                    help="seconds per case (default: the target's own, 2 s for most)")
    ap.add_argument("--memory-limit", type=float, default=fuzz.DEFAULT_MEMORY_LIMIT / 2**20, help="MB per case")
    ap.add_argument("--no-memory", action="store_true", help="skip tracemalloc (about 2x faster)")
    ap.add_argument("--models", nargs="*", type=Path, help="tflite seed models (default: models/*.tflite)")
    args = ap.parse_args(argv)

    names = TARGET_NAMES if args.target == "all" else (args.target,)
    results, broken = {}, 0
    for name in names:
        report, n = run_one(name, args)
        broken += n
        results[name] = report.to_dict()
        if not args.json:
            print(f"[{name}] {report.summary()}", flush=True)
    if args.json:
        print(json.dumps(results if args.target == "all" else results[args.target], indent=2))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
