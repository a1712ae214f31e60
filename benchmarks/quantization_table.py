"""The quantization table: small CNN classifiers as float32, int8 PTQ (per channel, per
tensor) and binary-mixed, every number measured by ``simulator.analyze``.

    python benchmarks/quantization_table.py [--json] [--retrain] [--fashion-test N]

Models and data:
- digits: scikit-learn's ``load_digits`` (8x8x1), the bundled models' split (permutation
  seed 5, 1437 train / 360 test); ``models/digits_float.tflite`` and
  ``models/digits_binary_mixed.tflite`` (QAT weights ``digits_float_binary_qat.npz``,
  exported by ``models/make_binary_mixed.py``);
- Fashion-MNIST (28x28x1) when Debian's ``dataset-fashion-mnist`` is installed:
  ``models/fashion_float.tflite`` (``models/make_fashion_models.py``), official split, the
  first ``--fashion-test`` of the 10000 test images (default all). Without the package these
  rows are skipped and the table says so.
The int8 rows are post-training quantized here from the float model (min/max over the training
images: all 1437 for digits, the first 1000 for Fashion-MNIST), int8 in and out.
``--retrain`` re-trains the float and binary models first (needs torch; else the bundled
files are used).

How each figure is measured, per row and board, by one ``simulator.analyze`` run (lowered to
C, planned, built, emulated, every layer compared bit for bit with the NumPy reference) on the
first test image:
- params: weights and biases (``Analysis.params``; a binary weight is one parameter, 1 bit);
- flash: weights = every constant array and parameter struct; code = the rest of the image
  except the embedded test input;
- RAM: arena (+ scratch) from the planner, stack = the measured peak;
- cycles on the board's cycle model (the ``model`` region), ms at its clock
  (stm32h743 Cortex-M7 480 MHz, nrf52840 Cortex-M4F 64 MHz);
- accuracy: the held-out images through the bit-exact NumPy reference
  (``simulator.quantize.accuracy``), whose bits the firmware was just shown to match.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from simulator.analyze import analyze  # noqa: E402
from simulator.frontend import load_tflite  # noqa: E402
from simulator.quantize import accuracy, quantize_graph  # noqa: E402
from simulator.quantize.binary_model import binary_layer_bytes  # noqa: E402
from simulator.quantize.runner import quantize_input  # noqa: E402
from simulator.reference import binary as bn  # noqa: E402

BOARDS = ("stm32h743", "nrf52840")
MODELS = ROOT / "models"
FASHION_CALIBRATION = 1000


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, MODELS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Dataset:
    name: str
    describe: str
    train: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    calibration: np.ndarray
    variants: list[tuple[str, Callable[[], object]]]


def digits() -> Dataset:
    (xtr, ytr), (xte, yte) = _script("make_float_models").digits_split()
    float_g = load_tflite(MODELS / "digits_float.tflite")
    return Dataset("digits", "sklearn load_digits 8x8x1, split seed 5: 1437 train / 360 test",
                   (xtr, ytr), (xte, yte), xtr, _variants(float_g, xtr) + [
                       ("binary-mixed (QAT)",
                        lambda: load_tflite(MODELS / "digits_binary_mixed.tflite"))])


def fashion(n_test: int | None) -> Dataset | None:
    mf = _script("make_fashion_models")
    if not mf.available() or not (MODELS / "fashion_float.tflite").is_file():
        return None
    xtr, ytr = mf.load_fashion("train")
    xte, yte = mf.load_fashion("test")
    xte, yte = xte[:n_test], yte[:n_test]
    float_g = load_tflite(MODELS / "fashion_float.tflite")
    cal = xtr[:FASHION_CALIBRATION]
    return Dataset("fashion", f"Fashion-MNIST 28x28x1 (Debian dataset-fashion-mnist): 60000 "
                   f"train, {len(yte)} of the 10000 test images", (xtr, ytr), (xte, yte), cal,
                   _variants(float_g, cal))


def _variants(float_g, cal) -> list:
    return [("float32", lambda: float_g),
            ("int8 PTQ per-channel", lambda: quantize_graph(float_g, cal, int8_io=True)),
            ("int8 PTQ per-tensor",
             lambda: quantize_graph(float_g, cal, per_channel=False, int8_io=True))]


def measure(graph, x, board: str) -> dict:
    a = analyze(graph, board, input=x)
    a.raise_for_status()
    return {"cycles": a.cycles, "ms": a.latency_ms, "flash_weights": a.flash_weights,
            "flash_code": a.flash_code, "arena": a.arena + a.scratch, "stack": a.stack_peak,
            "params": a.params, "bit_exact": a.bit_exact, "layers": len(a.layers)}


def binary_params(graph) -> int:
    """Parameters of the binary layers' weights (one per real bit)."""
    n = 0
    for op in graph.ops:
        if op.opcode in (bn.OP_CONV, bn.OP_FC):
            w, o = graph.tensor(op.inputs[1]), bn.binary_options(op)
            n += w.shape[0] * (int(np.prod(w.shape[1:-1])) * int(o["channels_in"])
                               if op.opcode == bn.OP_CONV else int(o["in_features"]))
    return n


def rows(ds: Dataset) -> list[dict]:
    xte, yte = ds.test
    out = []
    for name, make in ds.variants:
        g = make()
        x = quantize_input(g, xte[:1]).reshape(g.tensor(g.inputs[0]).shape)
        boards = {b: measure(g, x, b) for b in BOARDS}
        row = {"dataset": ds.name, "model": name, "params": boards[BOARDS[0]]["params"],
               "binary_params": binary_params(g), "test_accuracy": accuracy(g, xte, yte),
               "test_images": int(len(yte)), "boards": boards}
        if row["binary_params"]:
            row.update(binary_layer_bytes(g))
        out.append(row)
    return out


def render(table: list[dict]) -> str:
    head = ("| data | model | params | flash weights | flash code (H7 / nRF) | RAM arena | "
            "stack (H7 / nRF) | " + " | ".join(f"{b} cycles | {b} ms" for b in BOARDS)
            + " | test acc |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in table:
        b = [r["boards"][k] for k in BOARDS]
        params = f"{r['params']}" + (f" ({r['binary_params']} 1-bit)" if r["binary_params"] else "")
        cells = [r["dataset"], r["model"], params, b[0]["flash_weights"],
                 " / ".join(str(m["flash_code"]) for m in b), b[0]["arena"],
                 " / ".join(str(m["stack"]) for m in b)]
        for m in b:
            cells += [m["cycles"], f"{m['ms']:.3f}"]
        cells.append(f"{100 * r['test_accuracy']:.2f}%")
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def retrain(with_fashion: bool) -> None:
    if importlib.util.find_spec("torch") is None:
        print("--retrain: torch is not installed; using the bundled models", file=sys.stderr)
        return
    _script("make_float_models").main()
    _script("make_binary_mixed").main()
    if with_fashion:
        _script("make_fashion_models").main()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--retrain", action="store_true", help="re-train the models (needs torch)")
    ap.add_argument("--fashion-test", type=int, default=None, metavar="N",
                    help="Fashion-MNIST accuracy on the first N test images (default: all 10000)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    fashion_ok = _script("make_fashion_models").available()
    if args.retrain:
        retrain(fashion_ok)
    sets = [digits(), fashion(args.fashion_test)]
    table = [r for ds in sets if ds is not None for r in rows(ds)]
    meta = {"datasets": [ds.describe for ds in sets if ds is not None],
            "calibration": "minmax; digits: the 1437 training images; Fashion-MNIST: the first "
                           f"{FASHION_CALIBRATION} training images",
            "measured_by": "simulator.analyze (every layer bit-exact) on "
                           + ", ".join(BOARDS),
            "fashion_mnist": "used" if sets[1] is not None else
            ("skipped: the Fashion-MNIST rows need Debian's dataset-fashion-mnist package "
             "(apt-get install dataset-fashion-mnist)" if not fashion_ok else
             "skipped: models/fashion_float.tflite missing (run models/make_fashion_models.py)")}
    meta["wall_seconds"] = round(time.perf_counter() - t0, 1)
    if args.json:
        print(json.dumps({"meta": meta, "rows": table}, indent=2))
        return 0
    print(render(table))
    print()
    for d in meta["datasets"]:
        print(f"- {d}")
    print(f"- calibration {meta['calibration']}; measured by {meta['measured_by']}")
    print(f"- Fashion-MNIST: {meta['fashion_mnist']}")
    for r in table:
        if r["binary_params"]:
            print(f"- {r['dataset']} {r['model']}: packed binary weights "
                  f"{r['binary_weight_bytes']} B, channel padding to 32 costs "
                  f"{r['weight_padding_bytes']} B of weights and "
                  f"{r['activation_padding_bytes']} B of activations")
    print(f"- {meta['wall_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
