"""``mcusim analyze MODEL [--board B] [--input X.npy]``: lower, build, run, check bits, report.

Exit 0: fits and bit-exact; 1: bit mismatch; 2: bad input, unsupported model, or no fit."""
from __future__ import annotations

import json

from .diagnosis import print_analysis_diagnosis, terminal_progress
from .options import json_parser, kernels_parser, target_kwargs, target_parser


def add_parser(sub) -> None:
    from ..schedule import CHOICES

    p = sub.add_parser("analyze", help="lower a .tflite or .onnx model to C, run it on a board, "
                       "report flash, RAM, cycles per layer and bit-exactness",
                       description="Exit 0: fits and bit-exact; 1: bit mismatch; 2: bad input, "
                       "unsupported model, or it does not fit the RAM.",
                       parents=[target_parser(), kernels_parser(), json_parser()])
    p.add_argument("model", help=".tflite file (full-int8 as TensorFlow's converter writes it, "
                   "float32, or with mcusim's binary layers) or .onnx file (float32); supported ops: "
                   "docs/supported-ops.md")
    p.add_argument("--input", default=None, metavar="X.npy",
                   help="input, the model input's shape: for an int8 input, int8 or float32 (quantized "
                   "with the input's scale and zero point); for a float32 input, float32; float64 "
                   "is cast to float32 when every value is exactly representable; "
                   "default: deterministic random (seed 0)")
    p.add_argument("--save-output", default=None, metavar="Y.npy",
                   help="write the simulated output here")
    p.add_argument("--weights", default=None, metavar="REGION",
                   help="board region for the constant weights (default: the code flash; e.g. dtcm, "
                        "axi_sram; see `mcusim boards`)")
    p.add_argument("--arena", default=None, metavar="REGION",
                   help="board region for the activation arena (default: the data RAM; e.g. axi_sram)")
    p.add_argument("--memory-plan", action="store_true",
                   help="also print every tensor's place in the arena (text mode)")
    p.add_argument("--keep-sources", default=None, metavar="DIR",
                   help="write the generated model.c, model.h, main.c to DIR")
    p.add_argument("--schedule", default="auto", choices=CHOICES,
                   help="how to fit the RAM (--ram): plain (every tensor its own bytes), "
                   "inplace (ops overwrite inputs that die there, PADs folded into convs), rows (also "
                   "residual blocks row by row), patch (also the first stages patch by patch), "
                   "auto (default: the cheapest that fits, else the smallest, named in the overflow "
                   "report); docs/scheduling.md")
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..analyze import analyze
    from ..report.analysis import render_analysis, render_memory_plan

    progress = terminal_progress()
    try:
        a = analyze(args.model, args.board, input=args.input, work_dir=args.keep_sources,
                    progress=progress, weights=args.weights, arena=args.arena,
                    schedule=args.schedule, **target_kwargs(args))
    finally:
        if progress is not None:
            progress.done()        # clear the status line, also before an error message
    if args.save_output and a.output is not None:
        _save_output(args, a.output)
    if args.json:
        print(json.dumps(a.to_dict(), indent=2))
    else:
        print(render_analysis(a))
        if args.memory_plan:
            print()
            print(render_memory_plan(a))
    print_analysis_diagnosis(a, brief=not args.json)
    return a.exit_code


def _save_output(args, output) -> None:
    import numpy as np

    if str(args.model).endswith(".onnx"):      # back to the ONNX model's layout (NCHW)
        from ..frontend import load_onnx
        from ..frontend.onnx_reader import ir_outputs_to_onnx
        output = ir_outputs_to_onnx(load_onnx(args.model), [output])[0]
    try:
        np.save(args.save_output, output)
    except OSError as err:
        from ..errors import ConfigError
        raise ConfigError(f"--save-output {args.save_output}: {err.strerror}") from None
