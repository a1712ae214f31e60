"""``mcusim quantize FLOAT.tflite --calibration data.npy -o out.tflite``."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from simulator.errors import ConfigError, QuantizationError
from simulator.quantize.calibration import METHODS


def add_parser(sub) -> None:
    p = sub.add_parser("quantize", help="post-training int8 quantization of a float .tflite")
    p.add_argument("model", help="float32 .tflite")
    p.add_argument("--calibration", required=True, metavar="DATA.npy",
                   help="float calibration inputs, shape [N, *input_shape[1:]]")
    p.add_argument("-o", "--output", required=True, help="int8 .tflite to write")
    p.add_argument("--per-tensor", action="store_true",
                   help="one weight scale per tensor instead of per output channel")
    p.add_argument("--calibration-method", default="minmax", choices=METHODS)
    p.add_argument("--int8-io", action="store_true",
                   help="int8 model inputs/outputs (default: float, with QUANTIZE/DEQUANTIZE)")
    p.add_argument("--json", action="store_true", help="print a JSON summary")


def cmd_quantize(args) -> int:
    from simulator.frontend import load_tflite, save_tflite
    from simulator.quantize.ptq import quantize_graph

    for path in (args.model, args.calibration):
        if not Path(path).is_file():
            raise ConfigError(f"{path}: no such file")
    try:
        data = np.load(args.calibration, allow_pickle=False)
    except ValueError as err:
        raise QuantizationError(f"{args.calibration}: not a .npy array ({err})") from None
    graph = load_tflite(args.model)
    q = quantize_graph(graph, data, per_channel=not args.per_tensor,
                       calibration=args.calibration_method, int8_io=args.int8_io)
    blob = save_tflite(q)
    Path(args.output).write_bytes(blob)
    summary = {"input": str(args.model), "output": str(args.output), "bytes": len(blob),
               "ops": len(q.ops), **q.metadata["quantization"]}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"wrote {args.output}: {len(blob)} bytes, {len(q.ops)} ops, "
              f"{summary['calibration']} calibration on {summary['calibration_samples']} samples, "
              f"{'per-channel' if summary['per_channel'] else 'per-tensor'} weights",
              file=sys.stderr)
    return 0
