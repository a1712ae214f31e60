"""Build the bundled example int8 models, deterministically, and write their provenance.

    python models/make_models.py            # writes models/*.tflite, provenance.json, README.md

Each model is traced in float and built in int8 at once: every layer runs its float
computation on a calibration batch, and the min/max of that output (always including 0)
becomes the layer's int8 scale and zero point, so no activation saturates on the
calibration data. Weights are int8 symmetric per output channel; biases int32.
Architectures follow the MLPerf Tiny reference models (Banbury et al., "MLPerf Tiny
Benchmark", NeurIPS 2021 Datasets and Benchmarks; github.com/mlcommons/tiny,
benchmark/training/*); their weights here are random (fixed seeds), not trained.
``digits_cnn`` is fitted on scikit-learn's bundled ``load_digits`` and its accuracy is measured.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from simulator.frontend import ModelBuilder, load_tflite, save_tflite

HERE = Path(__file__).resolve().parent


# -- float twins of the layers ---------------------------------------------------------------
def _same_pads(size, k, stride):
    out = (size + stride - 1) // stride
    total = max((out - 1) * stride + k - size, 0)   # tensorflow/lite/kernels/padding.h
    return out, total // 2, total - total // 2


def _patches(x, kh, kw, stride, padding):
    n, h, w, c = x.shape
    if padding == "SAME":
        oh, top, bottom = _same_pads(h, kh, stride)
        ow, left, right = _same_pads(w, kw, stride)
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    else:
        oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    win = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]
    return win[:, :oh, :ow]                           # [n, oh, ow, c, kh, kw]


def _act(y, act):
    return np.maximum(y, 0) if act == "RELU" else np.clip(y, 0, 6) if act == "RELU6" else y


def qparams(y: np.ndarray) -> tuple[float, int]:
    lo, hi = min(float(y.min()), 0.0), max(float(y.max()), 0.0)
    scale = float(np.float32(max(hi - lo, 1e-6) / 255.0))
    return scale, int(np.clip(round(-128 - lo / scale), -128, 127))


class Net:
    """Builds an int8 model while tracing float activations. A handle is (tensor, float batch)."""

    def __init__(self, name: str, seed: int, n_calib: int):
        self.b = ModelBuilder(name)
        self.rng = np.random.default_rng(seed)
        self.n_calib = n_calib                       # rows of each batch used for ranges

    def _q(self, y):
        return qparams(y[:self.n_calib])

    def _he(self, shape, fan_in):
        return self.rng.normal(0.0, math.sqrt(2.0 / fan_in), size=shape)

    def _bias(self, n):
        return self.rng.normal(0.0, 0.05, size=n)

    def input(self, batch: np.ndarray, scale_zp=None):
        scale, zp = scale_zp or self._q(batch)
        return self.b.input((1,) + batch.shape[1:], scale, zp), batch

    def conv(self, h, cout, k, stride=1, act="RELU", padding="SAME"):
        t, x = h
        kh, kw = (k, k) if np.isscalar(k) else k
        w = self._he((cout, kh, kw, x.shape[-1]), kh * kw * x.shape[-1])
        bias = self._bias(cout)
        y = _act(np.einsum("nhwcij,oijc->nhwo", _patches(x, kh, kw, stride, padding), w,
                           optimize=True) + bias, act)
        s, zp = self._q(y)
        return self.b.conv2d(t, w, bias, stride=stride, padding=padding, activation=act,
                             out_scale=s, out_zp=zp), y

    def dw(self, h, k=3, stride=1, act="RELU"):
        t, x = h
        w = self._he((1, k, k, x.shape[-1]), k * k)
        bias = self._bias(x.shape[-1])
        y = _act(np.einsum("nhwcij,ijc->nhwc", _patches(x, k, k, stride, "SAME"), w[0],
                           optimize=True) + bias, act)
        s, zp = self._q(y)
        return self.b.depthwise_conv2d(t, w, bias, stride=stride, activation=act,
                                       out_scale=s, out_zp=zp), y

    def fc(self, h, nout, act="NONE", w=None, bias=None):
        t, x = h
        w = self._he((nout, x.shape[-1]), x.shape[-1]) if w is None else w
        bias = self._bias(nout) if bias is None else bias
        y = _act(x @ w.T + bias, act)
        s, zp = self._q(y)
        return self.b.fully_connected(t, w, bias, activation=act, out_scale=s, out_zp=zp), y

    def add(self, a, b, act="RELU"):
        y = _act(a[1] + b[1], act)
        s, zp = self._q(y)
        return self.b.add(a[0], b[0], activation=act, out_scale=s, out_zp=zp), y

    def avgpool(self, h, size):
        t, x = h
        kh, kw = (size, size) if np.isscalar(size) else size
        y = _patches(x, kh, kw, 1, "VALID")[:, ::kh, ::kw].mean(axis=(4, 5))
        return self.b.avg_pool2d(t, (kh, kw)), y

    def maxpool(self, h, size):
        t, x = h
        y = _patches(x, size, size, 1, "VALID")[:, ::size, ::size].max(axis=(4, 5))
        return self.b.max_pool2d(t, size), y

    def flatten(self, h):
        t, x = h
        return self.b.reshape(t, (1, -1)), x.reshape(len(x), -1)

    def softmax(self, h):
        t, x = h
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return self.b.softmax(t), e / e.sum(axis=-1, keepdims=True)

    def finish(self, h):
        self.b.output(h[0])
        return self.b.build()


# -- the models ---------------------------------------------------------------------------
def ds_cnn():
    net = Net("ds_cnn", seed=1, n_calib=16)
    h = net.input(net.rng.normal(0.0, 1.0, size=(16, 49, 10, 1)))  # stand-in for MFCC frames
    h = net.conv(h, 64, (10, 4), stride=2)
    for _ in range(4):
        h = net.conv(net.dw(h), 64, 1)
    h = net.softmax(net.fc(net.flatten(net.avgpool(h, (25, 5))), 12))
    return net.finish(h), {}


def mobilenet_v1_025_vww():
    net = Net("vww_mobilenet_v1_025", seed=2, n_calib=8)
    h = net.input(net.rng.uniform(0.0, 1.0, size=(8, 96, 96, 3)), (1 / 255, -128))
    h = net.conv(h, 8, 3, stride=2)
    blocks = [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2)] + [(128, 1)] * 5 + \
             [(256, 2), (256, 1)]
    for cout, stride in blocks:
        h = net.conv(net.dw(h, stride=stride), cout, 1)
    h = net.softmax(net.fc(net.flatten(net.avgpool(h, 3)), 2))
    return net.finish(h), {}


def resnet8():
    net = Net("resnet8", seed=3, n_calib=16)
    h = net.input(net.rng.uniform(0.0, 1.0, size=(16, 32, 32, 3)), (1 / 255, -128))
    h = net.conv(h, 16, 3)
    for cout, stride in ((16, 1), (32, 2), (64, 2)):
        y = net.conv(net.conv(h, cout, 3, stride=stride), cout, 3, act="NONE")
        shortcut = h if stride == 1 else net.conv(h, cout, 1, stride=stride, act="NONE")
        h = net.add(y, shortcut)
    h = net.softmax(net.fc(net.flatten(net.avgpool(h, 8)), 10))
    return net.finish(h), {}


def fc_autoencoder():
    net = Net("fc_autoencoder", seed=4, n_calib=64)
    h = net.input(net.rng.normal(0.0, 1.0, size=(64, 640)))  # stand-in for log-mel frames
    for width in (128, 128, 128, 128, 8, 128, 128, 128, 128):
        h = net.fc(h, width, act="RELU")
    return net.finish(net.fc(h, 640)), {}


def digits_cnn():
    from sklearn.datasets import load_digits

    digits = load_digits()
    order = np.random.default_rng(5).permutation(len(digits.images))
    x = (digits.images[order] / 16.0)[..., None]
    labels = digits.target[order]
    n_train = int(0.8 * len(x))
    net = Net("digits_cnn", seed=6, n_calib=n_train)   # ranges from training rows only
    h = net.input(x, (1 / 255, -128))
    h = net.maxpool(net.conv(h, 16, 3), 2)
    h = net.maxpool(net.conv(h, 32, 3), 2)
    h = net.flatten(h)
    feats = np.hstack([h[1], np.ones((len(x), 1))])
    onehot = np.eye(10)[labels]
    train = slice(0, n_train)
    gram = feats[train].T @ feats[train] + 1e-1 * np.eye(feats.shape[1])   # ridge, closed form
    coef = np.linalg.solve(gram, feats[train].T @ onehot[train])
    h = net.softmax(net.fc(h, 10, w=coef[:-1].T, bias=coef[-1]))
    test = slice(n_train, None)
    info = {"float_test_accuracy": float(np.mean(h[1][test].argmax(1) == labels[test])),
            "test_images": x[test], "test_labels": labels[test], "n_train": n_train}
    return net.finish(h), info


MODELS = {"ds_cnn": ds_cnn, "vww_mobilenet_v1_025": mobilenet_v1_025_vww, "resnet8": resnet8,
          "fc_autoencoder": fc_autoencoder, "digits_cnn": digits_cnn}


# -- what each model costs ------------------------------------------------------------------
def graph_stats(graph) -> dict:
    """Parameters, MACs, and the largest bytes any one op needs live (its inputs + outputs)."""
    params = sum(t.num_elements for t in graph.tensors
                 if t.is_const and t.dtype in ("int8", "int32") and t.quant is not None)
    macs, pair = 0, 0
    for op in graph.ops:
        ins = [graph.tensors[i] for i in op.inputs if i >= 0]
        out = graph.tensors[op.outputs[0]]
        if op.opcode == "CONV_2D":
            _, kh, kw, cin = ins[1].shape
            macs += out.num_elements * kh * kw * cin
        elif op.opcode == "DEPTHWISE_CONV_2D":
            macs += out.num_elements * ins[1].shape[1] * ins[1].shape[2]
        elif op.opcode == "FULLY_CONNECTED":
            macs += out.num_elements * ins[1].shape[1]
        live = sum(t.nbytes for t in ins if not t.is_const) + \
            sum(graph.tensors[o].nbytes for o in op.outputs)
        pair = max(pair, live)
    return {"params": params, "macs": macs, "largest_op_activation_bytes": pair}


def int8_accuracy(model_bytes: bytes, images: np.ndarray, labels: np.ndarray) -> float:
    from simulator.frontend.tflm_oracle import interpreter

    graph = load_tflite(model_bytes)
    q = graph.tensors[graph.inputs[0]].quant
    interp = interpreter(model_bytes)
    hits = 0
    for img, label in zip(images, labels):
        xq = np.clip(np.round(img / q.scalar_scale) + q.scalar_zero_point, -128, 127)
        interp.set_input(xq.astype(np.int8)[None], 0)
        interp.invoke()
        hits += int(np.argmax(interp.get_output(0)) == label)
    return hits / len(labels)


DESCRIPTIONS = {
    "ds_cnn": "MLPerf Tiny keyword spotting DS-CNN: input 1x49x10x1 (MFCC), conv 10x4/2 64ch, "
              "4x (dw3x3 + pw 64), avgpool 25x5, FC 12, softmax. Weights random (seed 1), "
              "calibration on 16 N(0,1) inputs (seed 1).",
    "vww_mobilenet_v1_025": "MLPerf Tiny visual wake words MobileNetV1 alpha=0.25: input "
              "1x96x96x3, conv 3x3/2 8ch, 13 dw+pw blocks (16..256ch), avgpool 3x3, FC 2, "
              "softmax. Weights random (seed 2), calibration on 8 uniform[0,1) images.",
    "resnet8": "MLPerf Tiny image classification ResNet-8: input 1x32x32x3, conv 16, three "
              "residual stacks (16/32/64ch, 1x1/2 projection shortcuts), residual ADD+ReLU, "
              "avgpool 8x8, FC 10, softmax. Weights random (seed 3), calibration on 16 "
              "uniform[0,1) images.",
    "fc_autoencoder": "MLPerf Tiny anomaly detection FC autoencoder: input 1x640, FC 128 x4, "
              "FC 8 bottleneck, FC 128 x4, FC 640 (ReLU on all but the last). Weights random "
              "(seed 4), calibration on 64 N(0,1) inputs.",
    "digits_cnn": "Small CNN on scikit-learn load_digits (8x8x1, pixels/16): conv 3x3 16 + "
              "maxpool 2, conv 3x3 32 + maxpool 2, FC 10 (ridge regression head, lambda 0.1, "
              "closed form), softmax. Conv filters random (seed 6); split 80/20 with "
              "permutation seed 5; ranges calibrated on the training split only.",
}


def make(names, out_dir: Path) -> dict:
    from simulator.frontend.tflm_oracle import tflm_arena_bytes

    record = {}
    for name in names:
        graph, info = MODELS[name]()
        data = save_tflite(graph, out_dir / f"{name}.tflite")
        entry = {"file": f"{name}.tflite", "bytes": len(data),
                 "input_shape": list(graph.tensors[graph.inputs[0]].shape),
                 **graph_stats(load_tflite(data)), "tflm_arena_bytes": tflm_arena_bytes(data),
                 "description": DESCRIPTIONS[name]}
        if "test_labels" in info:
            entry["float_test_accuracy"] = round(info["float_test_accuracy"], 4)
            entry["int8_tflm_test_accuracy"] = round(
                int8_accuracy(data, info["test_images"], info["test_labels"]), 4)
            entry["test_samples"] = int(len(info["test_labels"]))
        record[name] = entry
        print(f"{name}: {entry['bytes']} B, {entry['params']} params, {entry['macs']} MACs, "
              f"arena {entry['tflm_arena_bytes']} B")
    return record


README_OTHERS = """

## Float and binary models (made by their own scripts)

| file | made by | provenance |
|---|---|---|
| `digits_float.tflite`, `digits_float_binary_qat.npz` | `models/make_float_models.py` (torch, optional `[train]` extra): float32 digits CNN, and binary weights trained with a straight-through estimator | `digits_float_provenance.json` |
| `digits_binary_mixed.tflite` | `models/make_binary_mixed.py` (no torch): int8 first and last layers, 1-bit middle layers from the QAT weights | `digits_binary_mixed_provenance.json` |
| `fashion_float.tflite` | `models/make_fashion_models.py` (torch): float32 28x28 CNN on Debian's `dataset-fashion-mnist` | `fashion_provenance.json` |

The quantization table (`benchmarks/quantization_table.py`, `docs/quantization.md`) quantizes the
float models with the post-training quantizer behind `mcusim quantize` and measures every row
through `mcusim analyze`."""

README_HEAD = """# Bundled example models

Made by `python models/make_models.py` (deterministic: fixed seeds, no downloads); the numbers
below are written by that script. `provenance.json` holds the same facts as data.

Architectures follow the MLPerf Tiny reference models: C. Banbury et al., "MLPerf Tiny
Benchmark", NeurIPS 2021 Datasets and Benchmarks Track, and the reference training scripts in
github.com/mlcommons/tiny (benchmark/training/{keyword_spotting, visual_wake_words,
image_classification, anomaly_detection}). Batch norms are folded away (a conv with bias).
**Weights of the MLPerf-shaped models are random** (He-normal, fixed seeds), so their outputs
are meaningless; what is realistic is their shapes, op mix, sizes, and quantization: every
layer's int8 scale/zero point comes from the min/max of a float forward pass over a
calibration batch (range always includes 0), so activations do not saturate on that batch.
Weights are int8 symmetric per output channel, biases int32 (`input_scale * weight_scale`),
softmax outputs 1/256, -128, as TFLite's int8 kernels require.

"Largest op live" is the most bytes any single op needs at once (its non-constant inputs plus
outputs), a lower bound on the arena. "TFLM arena" is TFLite Micro's RecordingMicroAllocator
total (`simulator.frontend.tflm_oracle.tflm_arena_bytes`).

| model | input | file bytes | params | MACs | largest op live | TFLM arena |
|---|---|---:|---:|---:|---:|---:|
"""


def write_readme(record: dict, out_dir: Path) -> None:
    rows = [f"| `{e['file']}` | {'x'.join(map(str, e['input_shape']))} | {e['bytes']} | "
            f"{e['params']} | {e['macs']} | {e['largest_op_activation_bytes']} | "
            f"{e['tflm_arena_bytes']} |" for e in record.values()]
    notes = []
    for name, e in record.items():
        text = f"- `{name}`: {e['description']}"
        if "int8_tflm_test_accuracy" in e:
            text += (f" Measured on the {e['test_samples']}-image test split: float "
                     f"{e['float_test_accuracy']:.2%}, int8 under TFLM "
                     f"{e['int8_tflm_test_accuracy']:.2%}.")
        notes.append(text)
    (out_dir / "README.md").write_text(README_HEAD + "\n".join(rows) + README_OTHERS + "\n\n## Provenance\n\n"
                                       + "\n".join(notes) + "\n")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--only", nargs="*", choices=sorted(MODELS), default=None)
    args = parser.parse_args(argv)
    names = args.only or list(MODELS)
    args.out.mkdir(parents=True, exist_ok=True)
    record = make(names, args.out)
    prov_path = args.out / "provenance.json"
    if args.only and prov_path.exists():
        record = {**json.loads(prov_path.read_text()), **record}
        record = {n: record[n] for n in MODELS if n in record}
    prov_path.write_text(json.dumps(record, indent=2) + "\n")
    write_readme(record, args.out)


if __name__ == "__main__":
    main()
