"""``mcusim export MODEL --board B [--schedule S] [--ram R] -o DIR``: the analysed model as a C library.

Exit 0: written; 1: the simulated output differs from the reference (nothing exported);
2: bad input, an unusable DIR, or the model does not fit."""
from __future__ import annotations

import json

from .diagnosis import terminal_progress
from .options import json_parser, target_kwargs, target_parser


def add_parser(sub) -> None:
    from ..schedule import CHOICES

    p = sub.add_parser("export", help="write the model as a self-contained C library (model.c, the "
                       "kernels it uses, headers, Makefile, CMakeLists.txt, README with the expected cost)",
                       description="Runs analyze first: the library is what analyze built, and its "
                       "README holds the figures analyze measured. docs/export.md.",
                       parents=[target_parser(), json_parser()])
    p.add_argument("model", help=".tflite (or .onnx) model, as for analyze")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="folder to write (created)")
    p.add_argument("--force", action="store_true", help="write into DIR even if it is not empty")
    p.add_argument("--with-profiling", action="store_true",
                   help="keep the per-layer ck_region_begin/end markers on (MODEL_PROFILING=1; needs "
                   "mcusim's runtime or your own ck_region_begin/end)")
    p.add_argument("--input", default=None, metavar="X.npy",
                   help="the sample input analyze checks and examples/main_semihosting.c embeds "
                   "(default: deterministic random, seed 0)")
    p.add_argument("--schedule", default="auto", choices=CHOICES,
                   help="as analyze --schedule: plain, inplace, rows, patch, auto (the cheapest that fits --ram)")
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..escape import term_text
    from ..export import export_model

    progress = terminal_progress()
    try:
        r = export_model(args.model, args.board, args.output, force=args.force,
                         with_profiling=args.with_profiling, input=args.input, schedule=args.schedule,
                         progress=progress, **target_kwargs(args))
    finally:
        if progress is not None:
            progress.done()
    a = r.analysis
    if args.json:
        print(json.dumps({"out_dir": str(r.out_dir), "files": r.files, "sources": r.sources,
                          "analysis": a.to_dict()}, indent=2))
    else:
        print(f"exported {term_text(a.model)} for {term_text(a.board)} to {term_text(str(r.out_dir))}: "
              f"{len(r.sources)} C sources, schedule {term_text(a.schedule.chosen)}, arena {a.arena:,} B, "
              f"{a.cycles:,} cycles ({term_text(a.toolchain_version)})" if a.cycles is not None else
              f"exported {term_text(a.model)} to {term_text(str(r.out_dir))}")
        print(f"build: make -C {term_text(str(r.out_dir))}   (README.md: integration steps)")
    return 0
