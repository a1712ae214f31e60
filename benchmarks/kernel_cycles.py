"""Cycles (or instructions, where the cycle model is absent) per MAC of the conv, depthwise and
fully connected kernels, on representative layer shapes from the bundled models.

    python benchmarks/kernel_cycles.py [--boards stm32h743 nrf52840 rp2040] [--toolchain gcc]
                                       [--json] [--before OLD.json [OLDER.json ...]]

Each shape is a one-layer int8 model (ModelBuilder, random weights, seed 0) lowered, built and
run by ``simulator.analyze.analyze``, so the figure is the generated code's own layer region
(``L0``) and its output is checked bit for bit against the NumPy reference on the way.
For the conv shapes on DSP cores it also reports the MAC loop on its own ("inner"): the same
layer is called through ``Firmware.call(..., profile=True)`` and the cycles of
``ck_conv_mac_2x2`` (the out-of-line 2 channel x 2 pixel loop, call overhead included) are
divided by the MACs it performs (4 * (K & ~3) per call; the K % 4 tail taps are outside it).
``--before`` reads earlier ``--json`` outputs (oldest first, e.g. one taken before a cycle model
change and one with the old kernels under the new model) and prints, per board and layer, the
cycles per MAC of each beside today's, whole layer and MAC loop alone.
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

from simulator.analyze import analyze  # noqa: E402
from simulator.frontend import ModelBuilder  # noqa: E402
from simulator.machine.firmware import Machine  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# Kernel speed with every access hitting (--memory ideal): the pipeline and the code, not the
# board's caches, which `analyze` and benchmarks/memory_models.py report per model.
MEMORY = "ideal"
CONV_SOURCES = ["conv/ck_conv_s8.c", "conv/ck_conv_s8_dsp.c", "conv/ck_conv_s8_wrapper.c",
                "conv/ck_conv_check_args.c"]
INNER_LOOP = "ck_conv_mac_2x2"

# (name, kind, input shape, weight shape, stride); shapes from the bundled MLPerf Tiny models
SHAPES = [
    ("ds_cnn pointwise 1x1 64->64 @25x5", "conv", (1, 25, 5, 64), (64, 1, 1, 64), 1),
    ("resnet8 conv 3x3 16->16 @32x32", "conv", (1, 32, 32, 16), (16, 3, 3, 16), 1),
    ("vww first conv 3x3/2 3->8 @96x96", "conv", (1, 96, 96, 3), (8, 3, 3, 3), 2),
    ("ds_cnn depthwise 3x3 x64 @25x5", "depthwise", (1, 25, 5, 64), (1, 3, 3, 64), 1),
    ("vww depthwise 3x3 x32 @24x24", "depthwise", (1, 24, 24, 32), (1, 3, 3, 32), 1),
    ("fc_autoencoder FC 640->128", "fc", (1, 640), (128, 640), 1),
    ("vww head FC 256->2 (tiny)", "fc", (1, 256), (2, 256), 1),
]

# (name, kind, input shapes or (input shape, filter, stride)); per output element, printed after
ELEMENTWISE = [
    ("resnet8 ADD same shape 32x32x16", "add", ((1, 32, 32, 16), (1, 32, 32, 16))),
    ("ADD broadcast [1,1,1,C] 16x16x32", "add", ((1, 16, 16, 32), (1, 1, 1, 32))),
    ("ADD broadcast [1,H,W,1] 16x16x32", "add", ((1, 16, 16, 32), (1, 16, 16, 1))),
    ("MUL same shape 16x16x32", "mul", ((1, 16, 16, 32), (1, 16, 16, 32))),
    ("MUL broadcast [1,1,1,C] 16x16x32", "mul", ((1, 1, 1, 32), (1, 16, 16, 32))),
    ("avgpool 2x2/2 32x32x16", "avgpool", ((1, 32, 32, 16), 2, 2)),
    ("maxpool 2x2/2 32x32x16", "maxpool", ((1, 32, 32, 16), 2, 2)),
    ("resnet8 global avgpool 8x8x64", "avgpool", ((1, 8, 8, 64), 8, 8)),
]


def one_layer_model(kind: str, in_shape, w_shape, stride: int):
    rng = np.random.default_rng(0)
    b = ModelBuilder(f"bench_{kind}")
    x = b.input(in_shape, scale=0.05, zero_point=-3)
    w = rng.normal(size=w_shape).astype(np.float32)
    bias = rng.normal(size=w_shape[0] if kind != "depthwise" else w_shape[3]).astype(np.float32)
    common = dict(out_scale=0.5, out_zp=2)
    if kind == "conv":
        y = b.conv2d(x, w, bias, stride=stride, activation="RELU", **common)
    elif kind == "depthwise":
        y = b.depthwise_conv2d(x, w, bias, stride=stride, activation="RELU", **common)
    else:
        y = b.fully_connected(x, w, bias, **common)
    b.output(y)
    return b.build()


def conv_inner_loop(board: str, in_shape, w_shape, stride: int,
                    toolchain: str = "zig") -> float | None:
    """Cycles per MAC of the conv MAC loop alone (None without the DSP loop or cycle model)."""
    import tempfile

    rng = np.random.default_rng(0)
    _, h, w, cin = in_shape
    cout, kh, kw, _ = w_shape
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1   # VALID: the loop is the same
    taps = kh * kw * cin
    params = np.array([1, h, w, cin, oh, ow, cout, kh, kw, stride, stride, 1, 1, 0, 0, 3, 2,
                       -128, 127, 1, 1], np.int32)
    x = rng.integers(-128, 128, in_shape, dtype=np.int8)
    wt = rng.integers(-128, 128, w_shape, dtype=np.int8)
    bias = rng.integers(-5000, 5000, cout).astype(np.int32)
    mult = np.full(cout, 1 << 30, np.int32)
    shift = np.full(cout, -12, np.int32)
    out = np.zeros((1, oh, ow, cout), np.int8)
    scratch = np.zeros(4 * taps, np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        stub = Path(tmp) / "main.c"
        stub.write_text("int main(void) { return 0; }\n")
        srcs = [stub] + [ROOT / "cross_kernels" / "src" / s for s in CONV_SOURCES]
        fw = Machine(board, toolchain=toolchain, memory=MEMORY).build(srcs)
        r = fw.call("ck_conv_s8_wrapper", params, x, wt, bias, mult, shift, out, scratch,
                    len(scratch), profile=True)
    loop = r.profile.get(INNER_LOOP)
    if r.cycles is None or not loop:
        return None
    macs = -(-oh * ow // 2) * -(-cout // 2) * 4 * (taps & ~3)
    return round(loop["cycles"] / macs, 3)


def measure(board: str, toolchain: str = "zig") -> list[dict]:
    rows = []
    for name, kind, in_shape, w_shape, stride in SHAPES:
        a = analyze(one_layer_model(kind, in_shape, w_shape, stride), board, toolchain=toolchain, memory=MEMORY)
        layer = a.layers[0]
        count = layer.cycles if layer.cycles is not None else layer.instructions
        rows.append({"board": board, "core": a.core, "layer": name, "kernel": layer.kernel,
                     "macc": layer.macc, "cycles": layer.cycles,
                     "instructions": layer.instructions,
                     "per_mac": round(count / layer.macc, 3),
                     "per_mac_unit": "cycles" if layer.cycles is not None else "instructions",
                     "scratch_bytes": layer.scratch_bytes, "bit_exact": layer.bit_exact,
                     "inner_per_mac": (conv_inner_loop(board, in_shape, w_shape, stride,
                                                       toolchain) if kind == "conv" else None)})
    return rows


def elementwise_model(kind: str, shapes):
    b = ModelBuilder(f"bench_{kind}")
    if kind in ("add", "mul"):
        x = b.input(shapes[0], scale=0.05, zero_point=-3)
        # analyze() feeds one input: the second operand is a constant tensor
        data = np.random.default_rng(0).integers(-128, 128, shapes[1]).astype(np.int8)
        y = b.const(data, "int8", scale=0.03, zero_point=5)
        out = (b.add if kind == "add" else b.mul)(x, y, activation="RELU",
                                                  out_scale=0.07 if kind == "add" else 0.02,
                                                  out_zp=-128)
    else:
        shape, k, stride = shapes
        x = b.input(shape, scale=0.05, zero_point=-3)
        out = (b.avg_pool2d if kind == "avgpool" else b.max_pool2d)(x, (k, k), (stride, stride),
                                                                    "VALID", "NONE")
    b.output(out)
    return b.build()


def measure_elementwise(board: str, toolchain: str = "zig") -> list[dict]:
    rows = []
    for name, kind, shapes in ELEMENTWISE:
        layer = analyze(elementwise_model(kind, shapes), board, toolchain=toolchain, memory=MEMORY).layers[0]
        count = layer.cycles if layer.cycles is not None else layer.instructions
        n = int(np.prod(layer.output_shape))
        rows.append({"board": board, "layer": name, "kernel": layer.kernel, "elements": n,
                     "cycles": layer.cycles, "instructions": layer.instructions,
                     "per_element": round(count / n, 2), "bit_exact": layer.bit_exact})
    return rows


def summary(rows: list[dict], ew_rows: list[dict]) -> str:
    """A Markdown table of one board's figures (the README quotes the stm32h743 one)."""
    out = ["| layer (int8) | kernel | cycles per MAC, whole layer | MAC loop alone |",
           "|---|---|---:|---:|"]
    for r in rows:
        inner = "-" if r["inner_per_mac"] is None else f"{r['inner_per_mac']:.2f}"
        flag = "" if r["bit_exact"] else " (NOT bit-exact)"
        out.append(f"| {r['layer']} | `{r['kernel']}` | {r['per_mac']:.2f}{flag} | {inner} |")
    out += ["", "| layer (int8) | kernel | cycles per output element |", "|---|---|---:|"]
    for r in ew_rows:
        flag = "" if r["bit_exact"] else " (NOT bit-exact)"
        out.append(f"| {r['layer']} | `{r['kernel']}` | {r['per_element']:.2f}{flag} |")
    return "\n".join(out)


def _fmt(v) -> str:
    return "-" if v is None else f"{v:.2f}"


def before_after(before: list[dict], rows: list[dict], ew_rows: list[dict]) -> str:
    """A Markdown table per board: each earlier run's figure, then today's (see --before)."""
    def index(runs, key):
        return [{(r["board"], r["layer"]): r[key] for r in run} for run in runs]
    n = len(before)
    heads = [b.get("label", f"run {i + 1}") for i, b in enumerate(before)] + ["now"]
    out = []
    for board in dict.fromkeys(r["board"] for r in rows):
        out += [f"{board}, cycles per MAC (whole layer; MAC loop alone in brackets), "
                f"{' / '.join(heads)}:", "",
                "| layer (int8) | " + " | ".join(heads) + " |",
                "|---|" + "---:|" * (n + 1)]
        whole = index([b["rows"] for b in before] + [rows], "per_mac")
        inner = index([b["rows"] for b in before] + [rows], "inner_per_mac")
        for r in (r for r in rows if r["board"] == board):
            k = (board, r["layer"])
            cells = [_fmt(w.get(k)) + ("" if i.get(k) is None else f" ({i[k]:.2f})")
                     for w, i in zip(whole, inner)]
            out.append(f"| {r['layer']} | " + " | ".join(cells) + " |")
        per_el = index([b.get("elementwise", []) for b in before] + [ew_rows], "per_element")
        ew = [r for r in ew_rows if r["board"] == board]
        if ew:
            out += ["", "| layer (int8), cycles per element | " + " | ".join(heads) + " |",
                    "|---|" + "---:|" * (n + 1)]
            for r in ew:
                k = (board, r["layer"])
                out.append(f"| {r['layer']} | " + " | ".join(_fmt(p.get(k)) for p in per_el) + " |")
        out.append("")
    return "\n".join(out)


def load_before(paths) -> list[dict]:
    runs = []
    for path in paths or ():
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise SystemExit(f"--before {path}: not a kernel_cycles --json output ({exc})")
        if data.get("benchmark") != "kernel_cycles" or not isinstance(data.get("rows"), list):
            raise SystemExit(f"--before {path}: not a kernel_cycles --json output")
        runs.append({**data, "label": Path(path).stem})
    return runs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--boards", nargs="+", default=["stm32h743", "nrf52840", "rp2040"])
    ap.add_argument("--toolchain", default="zig", help="zig (default) or gcc")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--before", nargs="+", metavar="FILE.json",
                    help="earlier --json outputs, oldest first: print them beside today's")
    args = ap.parse_args(argv)
    before = load_before(args.before)
    t0 = time.perf_counter()
    rows = [r for board in args.boards for r in measure(board, args.toolchain)]
    ew_rows = [r for board in args.boards for r in measure_elementwise(board, args.toolchain)]
    if args.json:
        print(json.dumps({"benchmark": "kernel_cycles", "toolchain": args.toolchain,
                          "rows": rows, "elementwise": ew_rows,
                          "wall_seconds": round(time.perf_counter() - t0, 1)}, indent=2))
        return 0
    if before:
        print(before_after(before, rows, ew_rows))
    print(f"{'board':<10} {'core':<5} {'layer':<36} {'MACC':>9} {'cycles':>10} "
          f"{'instr':>10} {'per MAC':>8} {'inner':>6}  bits")
    for r in rows:
        cyc = "-" if r["cycles"] is None else f"{r['cycles']:,}"
        print(f"{r['board']:<10} {r['core']:<5} {r['layer']:<36} {r['macc']:>9,} {cyc:>10} "
              f"{r['instructions']:>10,} {r['per_mac']:>8.2f} "
              f"{'-' if r['inner_per_mac'] is None else format(r['inner_per_mac'], '.2f'):>6}  "
              f"{'ok' if r['bit_exact'] else 'DIFF'}")
    for r in ew_rows:
        print(f"{r['board']:<10} {r['layer']:<36} {r['elements']:>9,} elements "
              f"{r['per_element']:>8.2f} per element  {'ok' if r['bit_exact'] else 'DIFF'}")
    print(f"(per MAC in {rows[0]['per_mac_unit'] if rows else 'cycles'}; "
          f"{time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
