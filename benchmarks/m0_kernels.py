"""mcusim's conv, depthwise and fully connected kernels beside CMSIS-NN's, layer by layer, on
the layer shapes of the bundled MLPerf-shaped models (ds_cnn, vww_mobilenet_v1_025, resnet8).

    MCUSIM_CMSIS_NN=/path/to/CMSIS-NN python benchmarks/m0_kernels.py
        [--boards rp2040 nrf52840 stm32h743] [--models ds_cnn ...] [--toolchain zig] [--json]

Per board and distinct layer shape, the same random int8 data (seed 0) is given to
  before  the kernel the integ branch lowered to (the *_wrapper: portable C on the M0+, DSP on M4/M7),
  after   the kernel lowering picks today (simulator/lower/rules.toml, the plain row for the core),
  CMSIS-NN  arm_convolve_wrapper_s8 / arm_depthwise_conv_wrapper_s8 / arm_fully_connected_s8 as
            TFLite Micro calls them (scratch from *_get_buffer_size),
each called once through Firmware.call with --memory ideal (every access hits: the pipeline and
the code, as benchmarks/kernel_cycles.py), and every output compared bit for bit with the NumPy
reference. Figures are cycles per MAC (call overhead included). Prints figures; never passes or
fails on them. Without CMSIS-NN (no MCUSIM_CMSIS_NN and no ../shared/third_party/CMSIS-NN) its
column is "-".
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator import Machine, ref  # noqa: E402
from simulator.boards import get_board  # noqa: E402
from simulator.frontend import load_model  # noqa: E402
from simulator.lower.rules import load_rules  # noqa: E402
from simulator.reference import conv, fully_connected  # noqa: E402
from simulator.reference.quant import quantize_multiplier  # noqa: E402

from tests.helpers import cmsis_nn as nn  # noqa: E402  (the structs, the root)

MEMORY = "ideal"
MODELS = ("ds_cnn", "vww_mobilenet_v1_025", "resnet8")
OPS = {"CONV_2D": "conv", "DEPTHWISE_CONV_2D": "depthwise", "FULLY_CONNECTED": "fc"}
BEFORE = {"conv": "ck_conv_s8_wrapper", "depthwise": "ck_depthwise_conv_s8_wrapper",
          "fc": "ck_fully_connected_s8_wrapper"}
RULE_OP = {v: k for k, v in OPS.items()}
I32 = nn.I32


class DwParams(nn.ctypes.Structure):
    _fields_ = [("input_offset", I32), ("output_offset", I32), ("ch_mult", I32),
                ("stride", nn.Tile), ("padding", nn.Tile), ("dilation", nn.Tile),
                ("activation", nn.Activation)]


class FcParams(nn.ctypes.Structure):
    _fields_ = [("input_offset", I32), ("filter_offset", I32), ("output_offset", I32),
                ("activation", nn.Activation)]


class PerTensorQuant(nn.ctypes.Structure):
    _fields_ = [("multiplier", I32), ("shift", I32)]


def layer_shapes(models) -> list[dict]:
    """Each distinct (kind, input, weights, geometry) of the models' conv/depthwise/FC ops."""
    seen, shapes = set(), []
    for m in models:
        g = load_model(ROOT / "models" / f"{m}.tflite")
        for op in g.ops:
            kind = OPS.get(op.opcode)
            if kind is None:
                continue
            x_t, w_t = g.tensor(op.inputs[0]), g.tensor(op.inputs[1])
            shape = dict(kind=kind, x=tuple(x_t.shape), w=tuple(w_t.shape))
            if kind != "fc":
                kh, kw = (w_t.shape[1], w_t.shape[2])
                geo = conv.conv_geometry(op, x_t.shape, kh, kw)
                shape.update(stride=geo["stride"], dilation=geo["dilation"], pad=geo["pad"],
                             out_hw=geo["out_hw"])
            else:
                shape["x"] = (int(np.prod(x_t.shape)) // w_t.shape[1], w_t.shape[1])
            key = repr(sorted(shape.items()))
            if key not in seen:
                seen.add(key)
                shapes.append({**shape, "model": m, "name": describe(shape)})
    return shapes


def describe(s) -> str:
    if s["kind"] == "fc":
        return f"FC {s['w'][1]}->{s['w'][0]}"
    k = f"{s['w'][1]}x{s['w'][2]}" + (f"/{s['stride'][0]}" if s["stride"][0] > 1 else "")
    if s["kind"] == "depthwise":
        return f"dw {k} x{s['w'][3]} @{s['x'][1]}x{s['x'][2]}"
    return f"conv {k} {s['x'][3]}->{s['w'][0]} @{s['x'][1]}x{s['x'][2]}"


def make_data(s, rng) -> dict:
    c_out = s["w"][3] if s["kind"] == "depthwise" else s["w"][0]
    qm = [quantize_multiplier(v) for v in rng.uniform(2e-4, 4e-3, c_out)]
    d = dict(x=rng.integers(-128, 128, s["x"], dtype=np.int8),
             w=rng.integers(-127, 128, s["w"], dtype=np.int8),
             bias=rng.integers(-3000, 3000, c_out, dtype=np.int32),
             mult=np.array([q[0] for q in qm], np.int32), shift=np.array([q[1] for q in qm], np.int32),
             in_zp=-7, out_zp=3, act=(-128, 127))
    if s["kind"] == "fc":               # CMSIS-NN's arm_fully_connected_s8 is per tensor
        d["mult"], d["shift"] = d["mult"][:1], d["shift"][:1]
    return d


def reference(s, d) -> np.ndarray:
    q = dict(input_zp=d["in_zp"], output_zp=d["out_zp"], multiplier=d["mult"], shift=d["shift"])
    if s["kind"] == "fc":
        return fully_connected.fully_connected_s8(d["x"], d["w"], d["bias"], **q)
    geo = dict(stride=s["stride"], dilation=s["dilation"], pad=s["pad"], out_hw=s["out_hw"])
    if s["kind"] == "conv":
        return conv.conv2d_s8(d["x"], d["w"], d["bias"], **q, **geo)
    return conv.depthwise_conv2d_s8(d["x"], d["w"], d["bias"], **q, **geo,
                                    depth_multiplier=s["w"][3] // s["x"][3])


def macs(s) -> int:
    if s["kind"] == "fc":
        return s["x"][0] * s["w"][0] * s["w"][1]
    taps = s["w"][1] * s["w"][2] * (1 if s["kind"] == "depthwise" else s["x"][3])
    c_out = s["w"][3] if s["kind"] == "depthwise" else s["w"][0]
    return s["out_hw"][0] * s["out_hw"][1] * c_out * taps


def call_mcusim(fw, kernel, s, d):
    out = np.zeros(reference(s, d).shape, np.int8)
    common = [d["x"], d["w"], d["bias"], d["mult"], d["shift"], out]
    if s["kind"] == "fc":
        params = np.array([s["x"][0], s["w"][1], s["w"][0], -d["in_zp"], d["out_zp"], *d["act"],
                           int(len(d["mult"]) > 1)], np.int32)
        return fw.call(kernel, params, *common)
    c_out = s["w"][3] if s["kind"] == "depthwise" else s["w"][0]
    dm = c_out // s["x"][3] if s["kind"] == "depthwise" else 1
    params = np.array([*s["x"], *s["out_hw"], c_out, s["w"][1], s["w"][2], *s["stride"],
                       *s["dilation"], *s["pad"], -d["in_zp"], d["out_zp"], *d["act"], 1, dm],
                      np.int32)
    if s["kind"] == "conv":
        scratch = np.zeros(4 * s["w"][1] * s["w"][2] * s["x"][3] + 4, np.uint8)
        return fw.call(kernel, params, *common, scratch, len(scratch))
    return fw.call(kernel, params, *common)


def call_cmsis(fw, s, d):
    out = np.zeros(reference(s, d).shape, np.int8)
    act = nn.Activation(*d["act"])
    x, w = d["x"], d["w"]
    if s["kind"] == "fc":
        p = FcParams(-d["in_zp"], 0, d["out_zp"], act)
        q = PerTensorQuant(int(d["mult"][0]), int(d["shift"][0]))
        ctx = nn.Context(buf=None, size=0)
        dims = [nn.Dims(x.shape[0], 1, 1, x.shape[1]), nn.Dims(w.shape[1], 1, 1, w.shape[0]),
                nn.Dims(1, 1, 1, w.shape[0]), nn.Dims(x.shape[0], 1, 1, w.shape[0])]
        return fw.call("arm_fully_connected_s8", ctx, p, q, dims[0], x, dims[1], w, dims[2],
                       d["bias"], dims[3], out)
    tile = lambda t: nn.Tile(t[1], t[0])                      # noqa: E731 (w, h)
    quant = nn.PerChannelQuant(multiplier=ref(d["mult"]), shift=ref(d["shift"]))
    c_out = w.shape[3] if s["kind"] == "depthwise" else w.shape[0]
    idims = nn.Dims(*x.shape)
    fdims = nn.Dims(*w.shape)
    odims = nn.Dims(1, *s["out_hw"], c_out)
    bdims = nn.Dims(1, 1, 1, c_out)
    if s["kind"] == "conv":
        p = nn.ConvParams(-d["in_zp"], d["out_zp"], tile(s["stride"]), tile(s["pad"]),
                          tile(s["dilation"]), act)
        fn = "arm_convolve_wrapper_s8"
        size = fw.call(fn + "_get_buffer_size", p, idims, fdims, odims).value
    else:
        p = DwParams(-d["in_zp"], d["out_zp"], c_out // x.shape[3], tile(s["stride"]),
                     tile(s["pad"]), tile(s["dilation"]), act)
        fn = "arm_depthwise_conv_wrapper_s8"
        size = fw.call(fn + "_get_buffer_size", p, idims, fdims, odims).value
    scratch = np.zeros(max(size, 4), np.int8)
    ctx = nn.Context(buf=ref(scratch, nn.ctypes.c_void_p), size=size)
    return fw.call(fn, ctx, p, quant, idims, x, fdims, w, bdims, d["bias"], odims, out)


CMSIS_ENTRY = ["arm_convolve_wrapper_s8", "arm_convolve_wrapper_s8_get_buffer_size",
               "arm_depthwise_conv_wrapper_s8", "arm_depthwise_conv_wrapper_s8_get_buffer_size",
               "arm_fully_connected_s8"]


def cmsis_sources(root: Path) -> list[Path]:
    src = root / "Source"
    return (nn.conv_s8_sources(root) +
            sorted((src / "ConvolutionFunctions").glob("arm_depthwise_conv*_s8*.c")) +
            [src / "FullyConnectedFunctions" / "arm_fully_connected_s8.c"])


def after_kernels(board: str) -> dict:
    dsp = get_board(board).core.has_dsp
    rules = [r for r in load_rules() if r.dtype == "int8" and r.variant is None
             and r.dsp in (None, dsp)]
    return {kind: next(r for r in rules if r.op == RULE_OP[kind]) for kind in BEFORE}


def build(board, toolchain, tmp: Path):
    m = Machine(board, toolchain=toolchain, memory=MEMORY)
    after = after_kernels(board)
    kernels = {*BEFORE.values(), *(r.kernel for r in after.values())}
    sources = {f for r in load_rules() if r.kernel in kernels for f in r.sources}
    stub = tmp / "main.c"
    stub.write_text("int main(void) { return 0; }\n")
    keep = sorted({*BEFORE.values(), *(r.kernel for r in after.values())})
    srcs = sorted(ROOT / "cross_kernels" / "src" / f for f in sources)
    mine = m.build([stub, *srcs], keep_symbols=keep)
    root = nn.cmsis_nn_root()
    theirs = None
    if root is not None:
        lib = m.build_library(cmsis_sources(root), tmp / f"libcmsisnn_{board}.a",
                              include_dirs=[root / "Include"])
        theirs = m.build([stub, lib], keep_symbols=CMSIS_ENTRY)
    return mine, theirs, {k: r.kernel for k, r in after.items()}


def measure(board, toolchain, shapes) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        mine, theirs, after = build(board, toolchain, Path(tmp))
        for s in shapes:
            d = make_data(s, np.random.default_rng(0))
            expected = reference(s, d)
            row = {"board": board, "core": get_board(board).core.name, "layer": s["name"],
                   "model": s["model"], "macc": macs(s), "after_kernel": after[s["kind"]]}
            runs = {"before": lambda: call_mcusim(mine, BEFORE[s["kind"]], s, d),
                    "after": lambda: call_mcusim(mine, after[s["kind"]], s, d)}
            if theirs is not None:
                runs["cmsis_nn"] = lambda: call_cmsis(theirs, s, d)
            for name, run in runs.items():
                if name == "after" and after[s["kind"]] == BEFORE[s["kind"]]:
                    row["after"], row["after_bit_exact"] = row["before"], row["before_bit_exact"]
                    continue
                r = run()
                row[name] = r.cycles
                row[f"{name}_bit_exact"] = bool(r.value == 0 and np.array_equal(
                    output_of(r, s, name).reshape(expected.shape), expected))
            rows.append(row)
    return rows


def output_of(r, s, library: str) -> np.ndarray:
    """The output argument: mcusim's conv takes its scratch after it."""
    return r.arrays[6] if s["kind"] == "conv" and library != "cmsis_nn" else r.arrays[-1]


def _per_mac(r, key) -> str:
    v = r.get(key)
    return "-" if v is None else f"{v / r['macc']:.2f}" + ("" if r[f"{key}_bit_exact"] else "!")


def table(rows) -> str:
    out = ["| core | layer (model) | MACs | before | after | CMSIS-NN | after/CMSIS |",
           "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        ratio = "-" if r.get("cmsis_nn") is None else f"{r['after'] / r['cmsis_nn']:.2f}"
        out.append(f"| {r['core']} | {r['layer']} ({r['model']}) | {r['macc']:,} | "
                   f"{_per_mac(r, 'before')} | {_per_mac(r, 'after')} | "
                   f"{_per_mac(r, 'cmsis_nn')} | {ratio} |")
    out.append("")
    out.append("cycles per MAC, --memory ideal, call overhead included; '!' = not bit-exact")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--boards", nargs="+", default=["rp2040", "nrf52840", "stm32h743"])
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    ap.add_argument("--kinds", nargs="+", default=list(BEFORE), choices=list(BEFORE))
    ap.add_argument("--toolchain", default="zig", help="zig (default) or gcc")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    shapes = [s for s in layer_shapes(args.models) if s["kind"] in args.kinds]
    rows = [r for b in args.boards for r in measure(b, args.toolchain, shapes)]
    if args.json:
        print(json.dumps({"benchmark": "m0_kernels", "toolchain": args.toolchain,
                          "memory": MEMORY, "rows": rows,
                          "wall_seconds": round(time.perf_counter() - t0, 1)}, indent=2))
        return 0
    print(table(rows))
    print(f"({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
