"""How long ``mcusim validate`` takes over a data set: DS-CNN on the STM32H743 by default.

    python benchmarks/validate_speed.py [--model models/ds_cnn.tflite] [--board stm32h743]
                                        [--samples 1000] [--workers 2] [--json]

The inputs are deterministic random int8 samples (seed 0) of the model's input shape. The
figure is the wall time of one ``validate()`` call: the build (cached by content after the
first time), the NumPy reference and the emulated cold inference of every sample, split over
``--workers`` processes; also the process CPU time of the parent and the workers, and the
emulated instructions per wall second. The goal in issue 14: 1,000 DS-CNN inputs in under
60 s on 2 cores. Prints figures; never passes or fails on time.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from simulator.frontend import load_model  # noqa: E402
from simulator.validate import validate  # noqa: E402


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(ROOT / "models" / "ds_cnn.tflite"))
    ap.add_argument("--board", default="stm32h743")
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    graph = load_model(args.model)
    t = graph.tensor(graph.inputs[0])
    x = np.random.default_rng(0).integers(-128, 128, (args.samples, *t.shape[1:])).astype(np.int8)
    validate(args.model, args.board, data=x[:1])          # build (and cache) the firmware first
    cpu0, t0 = _cpu_seconds(), time.perf_counter()
    v = validate(args.model, args.board, data=x, workers=args.workers)
    wall, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
    c = v.cycle_summary()
    out = {"model": Path(args.model).name, "board": args.board, "samples": v.samples,
           "workers": v.workers, "host_cpus": os.cpu_count(), "load_average_1min": os.getloadavg()[0],
           "wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
           "ms_per_sample_wall": round(1e3 * wall / v.samples, 2),
           "emulated_minstructions_per_second": round(sum(v.instructions) / wall / 1e6, 1),
           "bit_exact_samples": v.samples - len(v.mismatches),
           "cycles": c}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"{out['model']} on {out['board']}: {out['samples']} samples, {out['workers']} workers "
              f"({out['host_cpus']} CPUs, load average {out['load_average_1min']:.1f} at the end)")
        print(f"  wall {wall:.1f} s ({out['ms_per_sample_wall']} ms a sample), CPU {cpu:.1f} s, "
              f"{out['emulated_minstructions_per_second']} M emulated instructions/s")
        print(f"  bit-exact {out['bit_exact_samples']}/{out['samples']}, cold cycles min {c['min']:,} "
              f"median {c['median']:,.0f} max {c['max']:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
