"""Subcommands added by later stages (analyze, compare, quantize ...) register here,
so cli.py stays the small, stable entry point."""
from __future__ import annotations

import json
import sys

EXTRA_HANDLERS: dict = {}


def register_extra_commands(sub) -> None:
    """Add the subparsers of the optional stages that are present."""
    _register_analyze(sub)
    _register_quantize(sub)
    _register_report_and_compare(sub)


# ---- mcusim analyze ---------------------------------------------------------------------------

def _register_analyze(sub) -> None:
    from .cli import _add_target_options

    p = sub.add_parser("analyze", help="lower a quantized .tflite to C, run it on a board, "
                       "report flash, RAM, cycles per layer and bit-exactness",
                       description="Exit 0: fits and bit-exact; 1: bit mismatch; 2: bad input, "
                       "unsupported model, or it does not fit the RAM.")
    p.add_argument("model", help=".tflite file: int8 (as TensorFlow's converter writes it), float32, "
                   "or with mcusim's binary layers")
    _add_target_options(p)
    p.add_argument("--input", default=None, metavar="X.npy",
                   help="input, the model input's shape: for an int8 input, int8 or float32 (quantized "
                   "with the input's scale and zero point); for a float32 input, float32; "
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
    from .schedule import CHOICES
    p.add_argument("--schedule", default="auto", choices=CHOICES,
                   help="how to fit the RAM (--ram): plain (every tensor its own bytes), "
                   "inplace (ops overwrite inputs that die there), auto (default: the cheapest "
                   "that fits, else the smallest, named in the overflow report)")
    EXTRA_HANDLERS["analyze"] = cmd_analyze


def _terminal_progress():
    """A one-line, self-overwriting status on stderr when it is a terminal; None otherwise
    (logs and pipes get only the report)."""
    if not sys.stderr.isatty():
        return None
    width = [0]

    def show(text: str) -> None:
        line = f"mcusim: {text} ..."
        sys.stderr.write("\r" + line.ljust(width[0]))
        sys.stderr.flush()
        width[0] = max(width[0], len(line))

    def done() -> None:
        if width[0]:
            sys.stderr.write("\r" + " " * width[0] + "\r")
            sys.stderr.flush()

    show.done = done
    return show


def cmd_analyze(args) -> int:
    import numpy as np

    from .analyze import analyze
    from .cli import memory_model
    from .report.analysis import render_analysis, render_memory_plan

    progress = _terminal_progress()
    try:
        a = analyze(args.model, args.board, ram=args.ram, toolchain=args.toolchain, input=args.input,
                    stack=args.stack, max_instructions=args.max_instructions,
                    work_dir=args.keep_sources, memory=memory_model(args), progress=progress,
                    weights=args.weights, arena=args.arena,
                    max_seconds=args.max_seconds, max_output=args.max_output,
                    schedule=args.schedule)
    finally:
        if progress is not None:
            progress.done()        # clear the status line, also before an error message
    if args.save_output and a.output is not None:
        output = a.output
        if str(args.model).endswith(".onnx"):      # back to the ONNX model's layout (NCHW)
            from .frontend import load_onnx
            from .frontend.onnx_reader import ir_outputs_to_onnx
            output = ir_outputs_to_onnx(load_onnx(args.model), [output])[0]
        try:
            np.save(args.save_output, output)
        except OSError as err:
            from .errors import ConfigError
            raise ConfigError(f"--save-output {args.save_output}: {err.strerror}") from None
    if args.json:
        print(json.dumps(a.to_dict(), indent=2))
    else:
        print(render_analysis(a))
        if args.memory_plan:
            print()
            print(render_memory_plan(a))
    # JSON mode: the explanation goes to stderr; text mode: it is in the report, say so briefly
    if a.overflow:
        text = a.overflow if args.json else (f"does not fit: needs {a.ram_total} B, limit "
                                             f"{a.ram_limit} B (RAM overflow above)")
        print(f"mcusim: error: {text}", file=sys.stderr)
    elif a.mismatch:
        text = a.mismatch if args.json else "bit mismatch (details above)"
        print(f"mcusim: error: {text}", file=sys.stderr)
    return a.exit_code


# ---- mcusim quantize --------------------------------------------------------------------------

def _register_quantize(sub) -> None:
    from .quantize.cli import add_parser, cmd_quantize

    add_parser(sub)
    EXTRA_HANDLERS["quantize"] = cmd_quantize


# ---- mcusim report / mcusim compare (simulator/report/commands.py) ------------------------------

def _register_report_and_compare(sub) -> None:
    from .report.commands import register

    register(sub, EXTRA_HANDLERS)
