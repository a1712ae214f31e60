"""``mcusim validate MODEL --data x.npy [--labels y.npy] [--float-model F] [--workers N]``:
one build, every sample run from the booted machine's snapshot and checked bit for bit.

Exit 0: every sample bit-exact; 1: a mismatch; 2: bad input, unsupported model, or no fit."""
from __future__ import annotations

import json

from .diagnosis import print_error, terminal_bar
from .options import json_parser, kernels_parser, target_kwargs, target_parser


def add_parser(sub) -> None:
    p = sub.add_parser("validate", help="run a data set through one build of the model on a board: "
                       "bit-exactness per sample, accuracy, error vs the float model, cycles",
                       description="Exit 0: every sample bit-exact; 1: a sample differs from the "
                       "NumPy reference; 2: bad input, unsupported model, or it does not fit.",
                       parents=[target_parser(), kernels_parser(), json_parser()])
    p.add_argument("model", help="quantized .tflite (or .onnx) to validate")
    p.add_argument("--data", required=True, metavar="X.npy",
                   help="inputs: a batch [N, *input_shape[1:]] or one sample; int8, or float32 "
                   "(quantized with the input's scale and zero point); float64 is cast to float32 "
                   "when every value is exactly representable")
    p.add_argument("--labels", default=None, metavar="Y.npy",
                   help="class indices [N] (or one-hot [N, C]): top-1 accuracy of the argmax")
    p.add_argument("--float-model", default=None, metavar="F",
                   help="the float model the int8 one came from: RMSE, MAE, L2r, COS of the "
                   "dequantized outputs against it (needs float --data)")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="processes to run the samples on (default 1)")
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..report.validation import render_validation
    from ..validate import validate

    bar = terminal_bar("validating")
    try:
        v = validate(args.model, args.board, data=args.data, labels=args.labels,
                     float_model=args.float_model, workers=args.workers, progress=bar,
                     **target_kwargs(args))
    finally:
        if bar is not None:
            bar.done()
    if args.json:
        print(json.dumps(v.to_dict(), indent=2))
    else:
        print(render_validation(v))
    if v.mismatches:
        print_error(f"{len(v.mismatches)} of {v.samples} samples differ from the reference "
                    f"(first: sample {v.mismatches[0]})")
    return v.exit_code
