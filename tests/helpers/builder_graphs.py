"""A graph with every builder op: the .tflite round-trip tests and the bundled-models test (run in
TFLite Micro) use it."""
from __future__ import annotations

import numpy as np

from simulator.frontend import ModelBuilder


RNG = np.random.default_rng(0)


def all_ops_graph():
    b = ModelBuilder("all_ops")
    f = b.input((1, 8, 8, 3), dtype="float32")
    x = b.quantize(f, 0.05, 3)
    c = b.conv2d(x, RNG.normal(size=(6, 3, 3, 3)), RNG.normal(size=6), stride=(2, 1),
                 padding="VALID", activation="RELU6", out_scale=0.1, out_zp=-128)
    d = b.depthwise_conv2d(c, RNG.normal(size=(1, 3, 3, 6)), RNG.normal(size=6),
                           out_scale=0.2, out_zp=5, activation="RELU")
    p = b.pad(d, [[0, 0], [1, 1], [0, 2], [0, 0]])
    m = b.max_pool2d(p, 2)
    a = b.avg_pool2d(m, (2, 2), stride=1, padding="SAME")
    s = b.add(a, m, out_scale=0.3, out_zp=0)
    s = b.sub(s, m, activation="RELU", out_scale=0.3, out_zp=-128)
    s = b.mul(s, s, out_scale=0.5, out_zp=-128)
    mean = b.mean(s, [1, 2], keep_dims=True, out_scale=0.1, out_zp=-100)
    sq = b.squeeze(mean, [1, 2])
    cat = b.concatenation([sq, sq], axis=-1)
    r = b.reshape(cat, (1, -1))
    fc = b.fully_connected(r, RNG.normal(size=(4, 12)), RNG.normal(size=4),
                           out_scale=0.25, out_zp=2)
    outs = [b.softmax(fc, beta=0.5), b.logistic(fc), b.tanh(fc), b.relu(fc), b.relu6(fc)]
    b.output(*outs, b.dequantize(outs[0]))
    return b.build()
