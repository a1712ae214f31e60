"""Export the digits binary-mixed network as a .tflite that ``mcusim analyze`` takes.

    python models/make_binary_mixed.py

Reads ``digits_float_binary_qat.npz`` (the QAT weights ``make_float_models.py`` trains; no
torch needed here), builds the int8 + binary graph with
``simulator.quantize.binary_model.build_digits_binary`` (int8 conv and FC at both ends, PTQ
ranges from the 1437 training images of the bundled split; binary conv and binary FC in the
middle as ``CUSTOM:MCUSIM_BPACK/BCONV2D/BFC`` ops whose options travel as JSON in
``custom_options``) and writes

- ``digits_binary_mixed.tflite``: int8 input (scale 1/255, zero point -128) and int8 output;
- ``digits_binary_mixed_provenance.json``: what it was made from, its size, parameters and
  the reference's accuracy on the 360 held-out images.

Deterministic: the same .npz gives the same bytes.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

OUT = HERE / "digits_binary_mixed.tflite"
WEIGHTS = HERE / "digits_float_binary_qat.npz"


def digits_split():
    spec = importlib.util.spec_from_file_location("make_float_models", HERE / "make_float_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.digits_split()


def build():
    from simulator.quantize.binary_model import DigitsBinaryWeights, build_digits_binary

    (xtr, _), _ = digits_split()
    return build_digits_binary(DigitsBinaryWeights.load(WEIGHTS), xtr)


def main() -> None:
    from simulator.frontend import load_tflite, save_tflite
    from simulator.lower.lowering import count_params
    from simulator.quantize import accuracy

    data = save_tflite(build())
    OUT.write_bytes(data)
    graph = load_tflite(OUT)
    _, (xte, yte) = digits_split()
    prov = {
        "file": OUT.name,
        "made_by": "models/make_binary_mixed.py",
        "from": {"file": WEIGHTS.name,
                 "sha256": hashlib.sha256(WEIGHTS.read_bytes()).hexdigest()},
        "calibration": "minmax over the 1437 training images of make_float_models.digits_split",
        "bytes": len(data),
        "params": count_params(graph),
        "ops": [op.opcode for op in graph.ops],
        "reference_test_accuracy": accuracy(graph, xte, yte),
        "test_images": int(len(yte)),
    }
    (HERE / "digits_binary_mixed_provenance.json").write_text(json.dumps(prov, indent=2) + "\n")
    print(json.dumps(prov, indent=2))


if __name__ == "__main__":
    main()
