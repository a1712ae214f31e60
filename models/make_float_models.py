"""Train the digits models of the quantization table (needs the optional ``train`` extra:
``pip install torch==2.13.0``) and write them with their provenance.

    python models/make_float_models.py

Writes
- ``digits_float.tflite``: a float32 CNN on scikit-learn's ``load_digits`` (8x8x1, pixels/16):
  conv 3x3 16 + ReLU, maxpool 2, conv 3x3 32 + ReLU, maxpool 2, FC 10, softmax. All layers
  trained (Adam, cross-entropy). The int8 rows of the table are post-training quantized from it.
- ``digits_float_binary_qat.npz``: weights of the binary-mixed net, trained
  quantization-aware: conv 3x3 32 (int8 at export), maxpool 2, sign, **binary** conv 3x3 64
  (+1 padding) + batch norm + sign, **binary** FC 1024->64 + batch norm + ReLU, FC 10 (int8 at
  export). Binary weights and activations use the straight-through estimator (Courbariaux et
  al., "BinaryNet", 2016; Rastegari et al., "XNOR-Net", ECCV 2016): forward ``sign`` (with
  sign(0) = +1), backward the gradient where ``|x| <= 1``. Batch norms are folded to a
  per-channel (scale, offset) after training; binary weights are stored as sign bits only
  (``DigitsBinaryWeights.save``), the rest as float32.
- ``digits_float_provenance.json``: seeds, split, epochs, the float accuracies torch measured.
The split is the bundled ``digits_cnn``'s (permutation seed 5, first 80% train), so every
row of the table is tested on the same 360 held-out images.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 7
EPOCHS = 60


def digits_split():
    from sklearn.datasets import load_digits

    d = load_digits()
    order = np.random.default_rng(5).permutation(len(d.images))
    x = (d.images[order] / 16.0)[..., None].astype(np.float32)
    y = d.target[order]
    n = int(0.8 * len(x))
    return (x[:n], y[:n]), (x[n:], y[n:])


def _torch_nets():
    import torch
    from torch import nn

    class SignSTE(torch.autograd.Function):
        @staticmethod
        def forward(ctx, v):
            ctx.save_for_backward(v)
            return torch.where(v < 0, -torch.ones_like(v), torch.ones_like(v))

        @staticmethod
        def backward(ctx, g):
            (v,) = ctx.saved_tensors
            return g * (v.abs() <= 1).to(g.dtype)

    sign = SignSTE.apply

    def nhwc_flat(t):
        return t.permute(0, 2, 3, 1).reshape(t.shape[0], -1)

    class FloatNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1, self.c2 = nn.Conv2d(1, 16, 3, padding=1), nn.Conv2d(16, 32, 3, padding=1)
            self.fc = nn.Linear(128, 10)

        def forward(self, x):
            x = nn.functional.max_pool2d(torch.relu(self.c1(x)), 2)
            x = nn.functional.max_pool2d(torch.relu(self.c2(x)), 2)
            return self.fc(nhwc_flat(x))

    class BinaryNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv2d(1, 32, 3, padding=1)
            self.bconv = nn.Parameter(torch.randn(64, 32, 3, 3) * 0.1)
            self.bn2 = nn.BatchNorm2d(64)
            self.bfc = nn.Parameter(torch.randn(64, 1024) * 0.1)
            self.bn3 = nn.BatchNorm1d(64)
            self.fc = nn.Linear(64, 10)

        def forward(self, x):
            x = nn.functional.max_pool2d(self.c1(x), 2)
            x = nn.functional.pad(sign(x), (1, 1, 1, 1), value=1.0)      # +1 padding
            x = sign(self.bn2(nn.functional.conv2d(x, sign(self.bconv))))
            x = torch.relu(self.bn3(nhwc_flat(x) @ sign(self.bfc).T))
            return self.fc(x)

    return torch, FloatNet, BinaryNet


def _train(torch, net, x, y, epochs, lr):
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    xt = torch.tensor(x).permute(0, 3, 1, 2)
    yt = torch.tensor(y)
    gen = torch.Generator().manual_seed(SEED)
    for _ in range(epochs):
        net.train()
        for idx in torch.randperm(len(xt), generator=gen).split(64):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(xt[idx]), yt[idx]).backward()
            opt.step()
            with torch.no_grad():                   # latent binary weights stay in [-1, 1]
                for name, p in net.named_parameters():
                    if name in ("bconv", "bfc"):
                        p.clamp_(-1, 1)
        sched.step()
    net.eval()
    return net


def _accuracy(torch, net, x, y) -> float:
    with torch.no_grad():
        out = net(torch.tensor(x).permute(0, 3, 1, 2))
    return float((out.argmax(1).numpy() == y).mean())


def float_graph(net):
    from simulator.quantize import FloatBuilder

    def w(conv):   # torch [out, in, kh, kw] -> IR [out, kh, kw, in]
        return conv.weight.detach().numpy().transpose(0, 2, 3, 1)

    fb = FloatBuilder("digits_float")
    x = fb.input((1, 8, 8, 1))
    x = fb.max_pool2d(fb.conv2d(x, w(net.c1), net.c1.bias.detach().numpy(), activation="RELU"), 2)
    x = fb.max_pool2d(fb.conv2d(x, w(net.c2), net.c2.bias.detach().numpy(), activation="RELU"), 2)
    x = fb.reshape(x, (1, -1))
    x = fb.softmax(fb.fully_connected(x, net.fc.weight.detach().numpy(), net.fc.bias.detach().numpy()))
    fb.output(x)
    return fb.build()


def _fold(bn):
    scale = (bn.weight / torch_sqrt(bn.running_var + bn.eps)).detach().numpy()
    offset = (bn.bias.detach().numpy() - bn.running_mean.detach().numpy() * scale)
    return scale.astype(np.float64), offset.astype(np.float64)


def torch_sqrt(t):
    return t.sqrt()


def binary_weights(net) -> dict:
    s2, o2 = _fold(net.bn2)
    s3, o3 = _fold(net.bn3)
    return {"conv1_w": net.c1.weight.detach().numpy().transpose(0, 2, 3, 1),
            "conv1_b": net.c1.bias.detach().numpy(),
            "bconv_w": net.bconv.detach().numpy().transpose(0, 2, 3, 1),
            "bconv_scale": s2, "bconv_offset": o2,
            "bfc_w": net.bfc.detach().numpy(), "bfc_scale": s3, "bfc_offset": o3,
            "fc_w": net.fc.weight.detach().numpy(), "fc_b": net.fc.bias.detach().numpy()}


def main() -> None:
    from simulator.frontend import save_tflite
    from simulator.quantize.binary_model import DigitsBinaryWeights

    torch, FloatNet, BinaryNet = _torch_nets()
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    (xtr, ytr), (xte, yte) = digits_split()
    fnet = _train(torch, FloatNet(), xtr, ytr, EPOCHS, 3e-3)
    bnet = _train(torch, BinaryNet(), xtr, ytr, EPOCHS, 3e-3)
    (HERE / "digits_float.tflite").write_bytes(save_tflite(float_graph(fnet)))
    DigitsBinaryWeights(**binary_weights(bnet)).save(HERE / "digits_float_binary_qat.npz")
    prov = {
        "dataset": "sklearn.datasets.load_digits, pixels / 16, permutation seed 5, first 80% "
                   "train (1437), last 20% test (360)",
        "trainer": f"torch {torch.__version__}, Adam lr 3e-3 cosine, {EPOCHS} epochs, batch 64, "
                   f"seed {SEED}, deterministic algorithms",
        "digits_float.tflite": {"torch_test_accuracy": _accuracy(torch, fnet, xte, yte),
                                "bytes": (HERE / "digits_float.tflite").stat().st_size},
        "digits_float_binary_qat.npz": {
            "torch_test_accuracy": _accuracy(torch, bnet, xte, yte),
            "method": "quantization-aware training, straight-through estimator for sign "
                      "(weights and activations of the two binary layers), batch norm folded"},
    }
    (HERE / "digits_float_provenance.json").write_text(json.dumps(prov, indent=2) + "\n")
    print(json.dumps(prov, indent=2))


if __name__ == "__main__":
    main()
