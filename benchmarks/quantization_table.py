"""The quantization table: one digits CNN as float32, int8 PTQ (per channel, per tensor), and
binary-mixed (int8 first/last layers, binary middle), every number measured.

    python benchmarks/quantization_table.py [--json] [--retrain]

Data: scikit-learn's ``load_digits`` (8x8x1), the bundled models' split (permutation seed 5,
1437 train / 360 test). Models: ``models/digits_float.tflite`` and
``models/digits_float_binary_qat.npz`` (made by ``models/make_float_models.py``; ``--retrain``
re-runs that QAT training first when torch is installed, else the bundled files are used).

How each figure is measured:
- accuracy: the whole held-out test set through the bit-exact NumPy reference
  (``simulator.quantize.run_batch``): int8 and binary ops are the definitions the C kernels
  match bit for bit; the float32 reference mirrors the float C kernels' operation order;
- int8 rows: ``simulator.analyze`` (lowering, planner, generated firmware, emulation);
- float32 and binary-mixed rows: lowering has no rules for their kernels yet, so they run in
  firmware made by ``simulator.quantize.firmware`` from the same C kernels (chain arena, flash
  split and cycle region as analyze's), output bits checked against the reference;
- cycles: the ``model`` region on the board's cycle model; ms at the board's clock.
Flash "weights" includes every constant array and parameter struct; "code" the rest of the
image except the embedded test input. RAM: arena (+ scratch) and measured stack peak.
Fashion-MNIST is used only when Debian's ``dataset-fashion-mnist`` is installed (it is not
on the machines this was written on, so that row is skipped).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from simulator.frontend import load_tflite  # noqa: E402
from simulator.quantize import accuracy, quantize_graph, run_batch  # noqa: E402
from simulator.quantize.binary_model import (DigitsBinaryWeights, binary_layer_bytes,  # noqa: E402
                                             build_digits_binary)
from simulator.quantize.runner import quantize_input  # noqa: E402

BOARDS = ("stm32h743", "nrf52840")
MODELS = ROOT / "models"
FASHION = Path("/usr/share/dataset-fashion-mnist")


def _make_float_models():
    spec = importlib.util.spec_from_file_location("make_float_models", MODELS / "make_float_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def params_of(graph) -> tuple[int, int]:
    """(parameters, of which binary): elements of weight and bias tensors; a binary weight is
    one parameter (one bit)."""
    from simulator.reference import binary as bn
    total = binary = 0
    for op in graph.ops:
        for k in (1, 2):
            if len(op.inputs) <= k or op.inputs[k] < 0:
                continue
            t = graph.tensor(op.inputs[k])
            if not t.is_const or op.opcode in ("RESHAPE", "MEAN", "PAD"):
                continue
            if op.opcode in (bn.OP_CONV, bn.OP_FC) and k == 1:
                o = bn.binary_options(op)
                n = (t.shape[0] * int(np.prod(t.shape[1:-1])) * int(o["channels_in"])
                     if op.opcode == bn.OP_CONV else t.shape[0] * int(o["in_features"]))
                total, binary = total + n, binary + n
            else:
                total += t.num_elements
    return total, binary


def measure_analyze(graph, x, board) -> dict:
    from simulator.analyze import analyze
    a = analyze(graph, board, input=x.reshape(graph.tensor(graph.inputs[0]).shape))
    a.raise_for_status()
    return {"cycles": a.cycles, "ms": a.latency_ms, "flash_weights": a.flash_weights,
            "flash_code": a.flash_code, "arena": a.arena + a.scratch, "stack": a.stack_peak,
            "bit_exact": a.bit_exact, "measured_by": "simulator.analyze"}


def measure_chain(graph, x, board) -> dict:
    from simulator.quantize.firmware import measure
    want = run_batch(graph, x[None])[0][0]
    r = measure(graph, x, want, board)
    return {"cycles": r.cycles, "ms": r.latency_ms, "flash_weights": r.flash_weights,
            "flash_code": r.flash_code, "arena": r.arena + r.scratch, "stack": r.stack_peak,
            "bit_exact": r.bit_exact, "measured_by": "simulator.quantize.firmware"}


def rows(retrain: bool) -> tuple[list[dict], dict]:
    mfm = _make_float_models()
    if retrain:
        if importlib.util.find_spec("torch") is None:
            print("--retrain: torch is not installed; using the bundled models", file=sys.stderr)
        else:
            mfm.main()
    (xtr, ytr), (xte, yte) = mfm.digits_split()
    float_g = load_tflite(MODELS / "digits_float.tflite")
    graphs = [
        ("float32", float_g, measure_chain),
        ("int8 PTQ per-channel", quantize_graph(float_g, xtr, int8_io=True), measure_analyze),
        ("int8 PTQ per-tensor", quantize_graph(float_g, xtr, per_channel=False, int8_io=True),
         measure_analyze),
        ("binary-mixed (QAT)", build_digits_binary(
            DigitsBinaryWeights.load(MODELS / "digits_float_binary_qat.npz"), xtr), measure_chain),
    ]
    out = []
    for name, g, how in graphs:
        x = quantize_input(g, xte[:1])[0]
        params, binary = params_of(g)
        row = {"model": name, "params": params, "binary_params": binary,
               "test_accuracy": accuracy(g, xte, yte), "test_images": int(len(yte)), "boards": {}}
        if binary:
            row.update(binary_layer_bytes(g))
        for board in BOARDS:
            row["boards"][board] = how(g, x, board)
        out.append(row)
    meta = {"dataset": "sklearn load_digits 8x8x1, split seed 5: 1437 train / 360 test",
            "calibration": "minmax on the 1437 training images",
            "fashion_mnist": "used" if FASHION.exists() else "skipped (dataset-fashion-mnist not installed)"}
    return out, meta


def render(table: list[dict]) -> str:
    head = ("| model | params | flash weights | flash code | RAM arena | stack | "
            + " | ".join(f"{b} cycles | {b} ms" for b in BOARDS) + " | test acc |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in table:
        b0 = r["boards"][BOARDS[0]]
        cells = [r["model"], f"{r['params']}" + (f" ({r['binary_params']} 1-bit)" if r["binary_params"] else ""),
                 b0["flash_weights"], b0["flash_code"], b0["arena"], b0["stack"]]
        for b in BOARDS:
            m = r["boards"][b]
            cells += [m["cycles"], f"{m['ms']:.3f}"]
        cells.append(f"{100 * r['test_accuracy']:.2f}%")
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--retrain", action="store_true", help="re-run QAT training (needs torch)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    table, meta = rows(args.retrain)
    meta["wall_seconds"] = round(time.perf_counter() - t0, 1)
    if args.json:
        print(json.dumps({"meta": meta, "rows": table}, indent=2))
    else:
        print(render(table))
        print(f"\n{meta['dataset']}; {meta['calibration']}; Fashion-MNIST {meta['fashion_mnist']}; "
              f"{meta['wall_seconds']} s")
        for r in table:
            if r["binary_params"]:
                print(f"{r['model']}: packed binary weights {r['binary_weight_bytes']} B, channel "
                      f"padding to 32 costs {r['weight_padding_bytes']} B of weights and "
                      f"{r['activation_padding_bytes']} B of activations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
