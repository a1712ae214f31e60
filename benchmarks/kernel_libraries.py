"""mcusim's kernels against CMSIS-NN, side by side on the same simulator: layer x core x toolchain.

    MCUSIM_CMSIS_NN=/path/to/CMSIS-NN python benchmarks/kernel_libraries.py
        [--boards rp2040 nrf52840 stm32h743] [--toolchains zig gcc] [--models ds_cnn ...]
        [--no-layers] [--no-models] [--memory ideal] [--json | --compact]
    python benchmarks/kernel_libraries.py --from benchmarks/data/kernel_libraries.json --compact

Each layer is a one-layer int8 model (benchmarks/kernel_cycles.py's shapes, from the bundled
MLPerf Tiny models, plus the short-reduction shapes issue 15 names) run by
``simulator.analyze.analyze`` twice, ``kernels="mcusim"`` and ``kernels="cmsis-nn"``: the same
weights and input, both outputs checked bit for bit against the NumPy reference. The figure is
the layer region's cycles per MAC (per output element for ADD, pooling, softmax); "ratio" is
mcusim / CMSIS-NN (above 1: mcusim is slower). Whole models run the same way (cycles of one
inference from reset). ``--memory ideal`` (the default here, as kernel_cycles.py): every access
hits, so the figures are the code and the pipeline, not the board's caches.
Prints figures; never passes or fails on them.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from kernel_cycles import elementwise_model, one_layer_model  # noqa: E402
from simulator.analyze import analyze  # noqa: E402
from simulator.frontend import ModelBuilder  # noqa: E402
from simulator.lower.libraries import load_library  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BOARDS = ["rp2040", "nrf52840", "stm32h743"]          # Cortex-M0+, M4, M7
TOOLCHAINS = ["zig", "gcc"]
LIBRARIES = ["mcusim", "cmsis-nn"]
MODELS = {"ds_cnn": "ds_cnn.tflite", "vww": "vww_mobilenet_v1_025.tflite", "resnet8": "resnet8.tflite"}

# (name, kind, input shape, weight shape, stride): per MAC
LAYERS = [
    ("ds_cnn first conv 10x4/2 1->64 @49x10", "conv", (1, 49, 10, 1), (64, 10, 4, 1), 2),
    ("ds_cnn pointwise 1x1 64->64 @25x5", "conv", (1, 25, 5, 64), (64, 1, 1, 64), 1),
    ("ds_cnn depthwise 3x3 x64 @25x5", "depthwise", (1, 25, 5, 64), (1, 3, 3, 64), 1),
    ("vww first conv 3x3/2 3->8 @96x96", "conv", (1, 96, 96, 3), (8, 3, 3, 3), 2),
    ("vww pointwise 1x1 8->16 @48x48", "conv", (1, 48, 48, 8), (16, 1, 1, 8), 1),
    ("vww depthwise 3x3 x32 @24x24", "depthwise", (1, 24, 24, 32), (1, 3, 3, 32), 1),
    ("resnet8 conv 3x3 16->16 @32x32", "conv", (1, 32, 32, 16), (16, 3, 3, 16), 1),
    ("FC 8->128 (short reduction)", "fc", (1, 8), (128, 8), 1),
    ("fc_autoencoder FC 640->128", "fc", (1, 640), (128, 640), 1),
]
# (name, kind, shapes): per output element
ELEMENTWISE = [
    ("resnet8 ADD same shape 32x32x16", "add", ((1, 32, 32, 16), (1, 32, 32, 16))),
    ("avgpool 2x2/2 32x32x16", "avgpool", ((1, 32, 32, 16), 2, 2)),
    ("maxpool 2x2/2 32x32x16", "maxpool", ((1, 32, 32, 16), 2, 2)),
    ("softmax 1x1000", "softmax", ((1, 1000),)),
]


def softmax_model(shape):
    b = ModelBuilder("bench_softmax")
    b.output(b.softmax(b.input(shape, scale=0.1, zero_point=3)))
    return b.build()


def _graph(kind, spec):
    """``spec``: (input shape, weight shape, stride) of a LAYERS row, (shapes,) of an ELEMENTWISE one."""
    if kind == "softmax":
        return softmax_model(spec[0][0])
    if kind in ("add", "avgpool", "maxpool"):
        return elementwise_model(kind, spec[0])
    return one_layer_model(kind, *spec)


def _run(graph, board, toolchain, library, memory):
    return analyze(graph, board, toolchain=toolchain, memory=memory, kernels=library)


def measure_layers(board, toolchain, memory) -> list[dict]:
    rows = []
    for name, kind, *spec in LAYERS + ELEMENTWISE:
        per_mac = kind in ("conv", "depthwise", "fc")
        row = {"board": board, "toolchain": toolchain, "layer": name,
               "unit": "cycles/MAC" if per_mac else "cycles/element"}
        for lib in LIBRARIES:
            layer = next(l for l in _run(_graph(kind, spec), board, toolchain, lib, memory).layers
                         if l.op not in ("RESHAPE",))
            count = layer.cycles if layer.cycles is not None else layer.instructions
            n = layer.macc if per_mac else int(np.prod(layer.output_shape))
            row[lib] = {"kernel": layer.kernel, "cycles": layer.cycles, "per_unit": round(count / n, 3),
                        "bit_exact": layer.bit_exact, "scratch_bytes": layer.scratch_bytes}
        row["ratio"] = round(row["mcusim"]["per_unit"] / row["cmsis-nn"]["per_unit"], 2)
        rows.append(row)
        print(f"  {board:9s} {toolchain:3s} {name}: ratio {row['ratio']}", file=sys.stderr)
    return rows


def measure_models(board, toolchain, memory, models) -> list[dict]:
    rows = []
    for name in models:
        row = {"board": board, "toolchain": toolchain, "model": name}
        for lib in LIBRARIES:
            a = _run(ROOT / "models" / MODELS[name], board, toolchain, lib, memory)
            row[lib] = {"cycles": a.cycles, "bit_exact": a.bit_exact, "scratch": a.scratch,
                        "arena": a.arena, "fallback_layers": [l.index for l in a.layers if "[mcusim:" in l.kernel]}
        row["ratio"] = round(row["mcusim"]["cycles"] / row["cmsis-nn"]["cycles"], 2)
        rows.append(row)
        print(f"  {board:9s} {toolchain:3s} {name}: ratio {row['ratio']}", file=sys.stderr)
    return rows


def _bits(row) -> str:
    return "yes" if row["mcusim"]["bit_exact"] and row["cmsis-nn"]["bit_exact"] else "NO"


def render(layers: list[dict], models: list[dict], header: str) -> str:
    out = [header, ""]
    if layers:
        out += ["| layer (int8) | core | toolchain | unit | mcusim | CMSIS-NN | ratio | bit-exact |",
                "|---|---|---|---|---:|---:|---:|---|"]
        for r in layers:
            out.append(f"| {r['layer']} | {r['board']} | {r['toolchain']} | {r['unit']} | "
                       f"{r['mcusim']['per_unit']:.2f} | {r['cmsis-nn']['per_unit']:.2f} | {r['ratio']:.2f} | {_bits(r)} |")
        out.append("")
    if models:
        out += ["| model | core | toolchain | mcusim cycles | CMSIS-NN cycles | ratio | bit-exact |",
                "|---|---|---|---:|---:|---:|---|"]
        for r in models:
            out.append(f"| {r['model']} | {r['board']} | {r['toolchain']} | {r['mcusim']['cycles']:,} | "
                       f"{r['cmsis-nn']['cycles']:,} | {r['ratio']:.2f} | {_bits(r)} |")
    return "\n".join(out)


CORE_NAMES = {"rp2040": "M0+", "nrf52840": "M4", "stm32h743": "M7"}


def render_compact(layers: list[dict], models: list[dict], header: str) -> str:
    """One row per layer or model, one column per (core, toolchain): "mcusim / CMSIS-NN (ratio)"
    (the README's form)."""
    rows = layers + models
    cols = list(dict.fromkeys((r["board"], r["toolchain"]) for r in rows))
    head = [f"{CORE_NAMES.get(b, b)} {t}" for b, t in cols]
    out = [header, ""]
    for key, items, cell in (
            ("layer", layers, lambda r: f"{r['mcusim']['per_unit']:.2f} / {r['cmsis-nn']['per_unit']:.2f} "
                                        f"({r['ratio']:.2f})"),
            ("model", models, lambda r: f"{r['mcusim']['cycles'] / 1e6:.2f} M / "
                                        f"{r['cmsis-nn']['cycles'] / 1e6:.2f} M ({r['ratio']:.2f})")):
        if not items:
            continue
        out += [f"| {key} | " + " | ".join(head) + " |", "|---|" + "---:|" * len(cols)]
        for name in dict.fromkeys(r[key] for r in items):
            by = {(r["board"], r["toolchain"]): r for r in items if r[key] == name}
            unit = f" ({by[next(iter(by))]['unit']})" if key == "layer" else ""
            out.append(f"| {name}{unit} | " + " | ".join(
                (cell(by[c]) + ("" if _bits(by[c]) == "yes" else " NOT bit-exact")) if c in by else "-"
                for c in cols) + " |")
        out.append("")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--boards", nargs="+", default=BOARDS)
    ap.add_argument("--toolchains", nargs="+", default=TOOLCHAINS, choices=TOOLCHAINS)
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    ap.add_argument("--no-layers", action="store_true")
    ap.add_argument("--no-models", action="store_true")
    ap.add_argument("--memory", default="ideal", choices=["ideal", "realistic", "uncached"])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--compact", action="store_true",
                    help="one column per core and toolchain: mcusim / CMSIS-NN (ratio)")
    ap.add_argument("--from", dest="saved", metavar="FILE.json",
                    help="render an earlier --json run instead of measuring (e.g. benchmarks/data/kernel_libraries.json)")
    args = ap.parse_args(argv)
    if args.saved:
        d = json.loads(Path(args.saved).read_text())
        header = f"mcusim kernels vs {d['library']}, --memory {d['memory']} (from {args.saved})"
        print((render_compact if args.compact else render)(d["layers"], d["models"], header))
        return 0
    lib = load_library("cmsis-nn")          # LibraryNotAvailable (named) when it is absent
    t0 = time.perf_counter()
    layers, models = [], []
    for board in args.boards:
        for tc in args.toolchains:
            if not args.no_layers:
                layers += measure_layers(board, tc, args.memory)
            if not args.no_models:
                models += measure_models(board, tc, args.memory, args.models)
    header = (f"mcusim kernels vs {lib.title} {lib.version}, --memory {args.memory}; ratio = mcusim / "
              f"CMSIS-NN (above 1: mcusim slower); {time.perf_counter() - t0:.0f} s")
    if args.json:
        print(json.dumps({"library": f"{lib.title} {lib.version}", "memory": args.memory,
                          "layers": layers, "models": models}, indent=2))
    else:
        print((render_compact if args.compact else render)(layers, models, header))
    return 0


if __name__ == "__main__":
    sys.exit(main())
