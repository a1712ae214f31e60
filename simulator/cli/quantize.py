"""``mcusim quantize FLOAT.(tflite|onnx) --calibration data.npy -o out.tflite [--board B]``.

With ``--board`` the written int8 model goes straight through :func:`simulator.analyze.analyze`
(input: the first calibration sample; every target option of ``analyze`` applies) and the
command prints the analysis and exits with its code: quantizing a float model and measuring it
is one command."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from .diagnosis import print_analysis_diagnosis
from .options import target_kwargs, target_parser


def add_parser(sub) -> None:
    from ..quantize.calibration import METHODS

    p = sub.add_parser("quantize", help="post-training int8 quantization of a float .tflite or "
                       ".onnx; with --board, also analyze the result on that board",
                       description="Exit 0 on success; with --board, analyze's exit code (0: fits "
                       "and bit-exact, 1: bit mismatch, 2: bad input or does not fit). The target "
                       "options (--ram, --stack, --memory ...) apply to that analysis.",
                       parents=[target_parser(board_default=None, board_help="then analyze the int8 model on this board (see `mcusim boards`)")])
    p.add_argument("model", help="float32 .tflite or .onnx")
    p.add_argument("--calibration", required=True, metavar="DATA.npy",
                   help="float calibration inputs [N, *input_shape[1:]]: NHWC for a .tflite, the "
                   "ONNX model's own layout (NCHW for images) for an .onnx")
    p.add_argument("-o", "--output", required=True, help="int8 .tflite to write")
    p.add_argument("--per-tensor", action="store_true",
                   help="one weight scale per tensor instead of per output channel")
    p.add_argument("--calibration-method", default="minmax", choices=METHODS)
    p.add_argument("--int8-io", action="store_true",
                   help="int8 model inputs/outputs (default: float, with QUANTIZE/DEQUANTIZE)")
    p.add_argument("--json", action="store_true",
                   help="print JSON: the quantization summary, or with --board "
                   '{"quantization": ..., "analysis": <mcusim.analysis/2>}')
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..errors import ConfigError
    from ..frontend import load_model, save_tflite
    from ..quantize.calibration import load_calibration
    from ..quantize.ptq import quantize_graph

    for path in (args.model, args.calibration):
        if not Path(path).is_file():
            raise ConfigError(f"{path}: no such file")
    graph = load_model(args.model)
    if args.board is not None:
        _check_board_fits(graph, args.board, args.ram)
    data = load_calibration(graph, args.calibration)
    q = quantize_graph(graph, data, per_channel=not args.per_tensor,
                       calibration=args.calibration_method, int8_io=args.int8_io)
    blob = save_tflite(q)
    Path(args.output).write_bytes(blob)
    summary = {"input": str(args.model), "output": str(args.output), "bytes": len(blob),
               "ops": len(q.ops), **q.metadata["quantization"]}
    summary["metrics"] = int8_vs_float(graph, q, data)
    line = (f"wrote {args.output}: {len(blob)} bytes, {len(q.ops)} ops, "
            f"{summary['calibration']} calibration on {summary['calibration_samples']} samples, "
            f"{'per-channel' if summary['per_channel'] else 'per-tensor'} weights")
    if summary["metrics"] is not None:
        m = summary["metrics"]
        line += (f"; int8 vs float on {m['samples']} calibration samples: RMSE {m['rmse']:.4g}, "
                 f"MAE {m['mae']:.4g}, L2r {_g(m['l2r'])}, COS {_g(m['cos'], 6)}")
    if args.board is None:
        if args.json:
            print(json.dumps(summary, indent=2))
        else:
            print(line, file=sys.stderr)
        return 0
    return _analyze(args, summary, line, data)


METRIC_SAMPLES = 64        # the int8 reference runs one sample at a time: bound its cost


def _g(v, digits: int = 4) -> str:
    return "-" if v is None else f"{v:.{digits}g}"


def int8_vs_float(graph, q, data: list[np.ndarray]) -> dict | None:
    """``mcusim validate``'s metrics (RMSE, MAE, L2r, COS) of the quantized model's NumPy
    reference against the float model's, on the first METRIC_SAMPLES calibration samples;
    None for a model with several inputs."""
    from ..quantize.runner import quantize_input, run_batch
    from ..validate import dequantize, error_metrics

    if len(data) != 1:
        return None
    x = np.asarray(data[0][:METRIC_SAMPLES], np.float32)
    (want,) = run_batch(graph, x)[:1]
    (got,) = run_batch(q, quantize_input(q, x))[:1]
    return {"samples": len(x), **error_metrics(want.reshape(len(x), -1),
                                               dequantize(q, got).reshape(len(x), -1))}


def _check_board_fits(graph, board_name: str, ram) -> None:
    """RamOverflow before calibration if even the int8 model (1 byte an activation) could not
    hold one op's live tensors in the board's RAM: the answer is known from the shapes."""
    from ..boards import get_board
    from ..budget import check_activations_fit
    from ..sizes import parse_size

    board = get_board(board_name)
    limit = parse_size(ram, what="--ram") if ram is not None else board.default_ram.size
    check_activations_fit(graph, limit, board.name, dtype_bytes=1)


def _analyze(args, summary: dict, line: str, data: list[np.ndarray]) -> int:
    from ..analyze import analyze
    from ..report.analysis import render_analysis

    x = np.asarray(data[0][:1], np.float32) if len(data) == 1 else None
    a = analyze(args.output, args.board, input=x, **target_kwargs(args))
    summary["analysis_input"] = "first calibration sample" if x is not None else "random"
    if args.json:
        print(json.dumps({"quantization": summary, "analysis": a.to_dict()}, indent=2))
    else:
        print(line, file=sys.stderr)
        print(render_analysis(a))
    print_analysis_diagnosis(a, brief=False)
    return a.exit_code
