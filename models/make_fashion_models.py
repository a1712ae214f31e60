"""Train the Fashion-MNIST float32 CNN of the quantization table and write it with its
provenance (needs torch, the optional ``train`` extra, and Debian's ``dataset-fashion-mnist``).

    apt-get install dataset-fashion-mnist      # 30 MB: the four idx .gz files
    python models/make_fashion_models.py

Data: Zalando's Fashion-MNIST (28x28 grey, 10 classes; 60000 train / 10000 test, the
official split) as Debian packages it under ``/usr/share/datasets/fashion-mnist`` in the
original gzip idx format, read here with NumPy (:func:`load_fashion`); pixels / 255.

Writes
- ``fashion_float.tflite``: conv 3x3 8 + ReLU, maxpool 2, conv 3x3 16 + ReLU, maxpool 2,
  FC 784 -> 10, softmax (float32; the table's int8 rows are post-training quantized from it);
- ``fashion_provenance.json``: data files and their sha256, trainer settings, the accuracy
  torch measured on the 10000 test images.
Trains on CPU in about a minute (Adam, 4 epochs, batch 128, seed 11, deterministic).
"""
from __future__ import annotations

import gzip
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

DATA_DIR = Path("/usr/share/datasets/fashion-mnist")
FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
         "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}
OUT = HERE / "fashion_float.tflite"
SEED = 11
EPOCHS = 4
IDX_DTYPES = {0x08: np.uint8}


def available(data_dir: Path = DATA_DIR) -> bool:
    return all((data_dir / f).is_file() for pair in FILES.values() for f in pair)


def read_idx(path: Path) -> np.ndarray:
    """An idx file (big-endian magic: two zero bytes, dtype code, number of dims; then one
    big-endian uint32 per dim; then the data), gzip-compressed."""
    raw = gzip.decompress(Path(path).read_bytes())
    if len(raw) < 4 or raw[0] or raw[1] or raw[2] not in IDX_DTYPES:
        raise ValueError(f"{path}: not an unsigned-byte idx file")
    ndim = raw[3]
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    data = np.frombuffer(raw, IDX_DTYPES[raw[2]], offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: header says {dims}, file holds {data.size} values")
    return data.reshape(dims)


def load_fashion(split: str, data_dir: Path = DATA_DIR) -> tuple[np.ndarray, np.ndarray]:
    """(images float32 [N, 28, 28, 1] in [0, 1], labels int64 [N]) of "train" or "test"."""
    images, labels = (data_dir / f for f in FILES[split])
    x = (read_idx(images).astype(np.float32) / np.float32(255.0))[..., None]
    return x, read_idx(labels).astype(np.int64)


def _net(torch):
    from torch import nn

    class FashionNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1, self.c2 = nn.Conv2d(1, 8, 3, padding=1), nn.Conv2d(8, 16, 3, padding=1)
            self.fc = nn.Linear(7 * 7 * 16, 10)

        def forward(self, x):
            x = nn.functional.max_pool2d(torch.relu(self.c1(x)), 2)
            x = nn.functional.max_pool2d(torch.relu(self.c2(x)), 2)
            return self.fc(x.permute(0, 2, 3, 1).reshape(x.shape[0], -1))   # NHWC flatten
    return FashionNet()


def train(torch, x, y):
    net = _net(torch)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    xt, yt = torch.tensor(x).permute(0, 3, 1, 2), torch.tensor(y)
    gen = torch.Generator().manual_seed(SEED)
    for _ in range(EPOCHS):
        net.train()
        for idx in torch.randperm(len(xt), generator=gen).split(128):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(xt[idx]), yt[idx]).backward()
            opt.step()
    return net.eval()


def float_graph(net):
    from simulator.quantize import FloatBuilder

    def w(conv):   # torch [out, in, kh, kw] -> IR [out, kh, kw, in]
        return conv.weight.detach().numpy().transpose(0, 2, 3, 1)

    fb = FloatBuilder("fashion_float")
    x = fb.input((1, 28, 28, 1))
    x = fb.max_pool2d(fb.conv2d(x, w(net.c1), net.c1.bias.detach().numpy(), activation="RELU"), 2)
    x = fb.max_pool2d(fb.conv2d(x, w(net.c2), net.c2.bias.detach().numpy(), activation="RELU"), 2)
    x = fb.reshape(x, (1, -1))
    x = fb.softmax(fb.fully_connected(x, net.fc.weight.detach().numpy(),
                                      net.fc.bias.detach().numpy()))
    fb.output(x)
    return fb.build()


def main() -> None:
    import torch

    from simulator.frontend import save_tflite

    if not available():
        raise SystemExit(f"Fashion-MNIST not found in {DATA_DIR}: apt-get install "
                         "dataset-fashion-mnist")
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    (xtr, ytr), (xte, yte) = load_fashion("train"), load_fashion("test")
    net = train(torch, xtr, ytr)
    with torch.no_grad():
        acc = float((net(torch.tensor(xte).permute(0, 3, 1, 2)).argmax(1).numpy() == yte).mean())
    OUT.write_bytes(save_tflite(float_graph(net)))
    prov = {
        "file": OUT.name,
        "made_by": "models/make_fashion_models.py",
        "dataset": "Fashion-MNIST (Xiao, Rasul, Vollgraf 2017), Debian package "
                   f"dataset-fashion-mnist, {DATA_DIR}; official split 60000 train / 10000 "
                   "test; pixels / 255",
        "data_sha256": {f: hashlib.sha256((DATA_DIR / f).read_bytes()).hexdigest()
                        for pair in FILES.values() for f in pair},
        "trainer": f"torch {torch.__version__}, Adam lr 2e-3, {EPOCHS} epochs, batch 128, "
                   f"seed {SEED}, deterministic algorithms, CPU",
        "architecture": "conv3x3 8 ReLU, maxpool 2, conv3x3 16 ReLU, maxpool 2, FC 784->10, "
                        "softmax",
        "torch_test_accuracy": acc,
        "bytes": OUT.stat().st_size,
    }
    (HERE / "fashion_provenance.json").write_text(json.dumps(prov, indent=2) + "\n")
    print(json.dumps(prov, indent=2))


if __name__ == "__main__":
    main()
