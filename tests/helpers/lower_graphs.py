"""Small int8 models for the scheduling tests, built with ModelBuilder (no files)."""
from __future__ import annotations

import numpy as np

from simulator.frontend.builder import ModelBuilder


def _w(rng, *shape):
    return rng.normal(0, 0.3, shape).astype(np.float32)


def mobile_block(seed: int = 0, hw: int = 12, c: int = 8):
    """conv s2 -> dw s1 (+RELU6) -> pw -> relu -> residual add -> dw s2 -> avgpool ->
    reshape -> fc -> softmax: every in-place kind, a residual, an alias."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder(f"mobile_block_{seed}")
    x = b.input((1, hw, hw, 3), scale=0.02, zero_point=-5)
    y = b.conv2d(x, _w(rng, c, 3, 3, 3), _w(rng, c), stride=2, activation="RELU",
                 out_scale=0.05, out_zp=-128)
    d = b.depthwise_conv2d(y, _w(rng, 1, 3, 3, c), _w(rng, c), activation="RELU6",
                           out_scale=0.04, out_zp=-128)
    p = b.conv2d(d, _w(rng, c, 1, 1, c), _w(rng, c), out_scale=0.06, out_zp=3)
    r = b.relu(p)
    s = b.add(r, y, out_scale=0.07, out_zp=-10)
    d2 = b.depthwise_conv2d(s, _w(rng, 1, 3, 3, c), _w(rng, c), stride=2, padding="SAME",
                            activation="RELU", out_scale=0.05, out_zp=-128)
    pool = b.avg_pool2d(d2, (d2_hw := (hw // 4)), stride=1)
    flat = b.reshape(pool, (1, c))
    f = b.fully_connected(flat, _w(rng, 4, c), _w(rng, 4), out_scale=0.1, out_zp=0)
    b.output(b.softmax(f))
    del d2_hw
    return b.build()


def chain(seed: int = 0, hw: int = 16, c: int = 4):
    """A residual-free chain where every op can run in place: dw s1 -> pw widen -> relu ->
    conv 3x3 -> dw s2 (VALID) -> pw narrow -> relu6 -> dw over the whole 7x7 (one output
    row: the one-channel kernel) -> avgpool -> reshape -> fc -> softmax."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder(f"chain_{seed}")
    x = b.input((1, hw, hw, c), scale=0.03, zero_point=2)
    d = b.depthwise_conv2d(x, _w(rng, 1, 3, 3, c), _w(rng, c), activation="RELU6",
                           out_scale=0.04, out_zp=-128)
    p = b.conv2d(d, _w(rng, 2 * c, 1, 1, c), _w(rng, 2 * c), out_scale=0.06, out_zp=3)
    r = b.relu(p)
    k = b.conv2d(r, _w(rng, 2 * c, 3, 3, 2 * c), _w(rng, 2 * c), out_scale=0.08, out_zp=-4)
    d2 = b.depthwise_conv2d(k, _w(rng, 1, 3, 3, 2 * c), _w(rng, 2 * c), stride=2,
                            padding="VALID", out_scale=0.05, out_zp=-7)
    n = b.conv2d(d2, _w(rng, c, 1, 1, 2 * c), _w(rng, c), out_scale=0.05, out_zp=1)
    r6 = b.relu6(n)
    hw2 = b.shape(r6)[1]
    d3 = b.depthwise_conv2d(r6, _w(rng, 1, hw2, hw2, c), _w(rng, c), padding="VALID",
                            out_scale=0.2, out_zp=0)
    pool = b.avg_pool2d(d3, 1, stride=1)
    f = b.fully_connected(b.reshape(pool, (1, c)), _w(rng, 3, c), _w(rng, 3), out_scale=0.1,
                          out_zp=0)
    b.output(b.softmax(f))
    return b.build()


def stem(seed: int = 0, hw: int = 32):
    """A MobileNet-like stem whose first layers dominate the arena (what patches are for):
    conv 3x3 s2 -> dw 3x3 -> pw 8->16 -> dw 3x3 s2 -> pw 16->16 -> avgpool -> fc -> softmax."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder(f"stem_{seed}")
    x = b.input((1, hw, hw, 3), scale=0.02, zero_point=-3)
    y = b.conv2d(x, _w(rng, 8, 3, 3, 3), _w(rng, 8), stride=2, activation="RELU6",
                 out_scale=0.04, out_zp=-128)
    y = b.depthwise_conv2d(y, _w(rng, 1, 3, 3, 8), _w(rng, 8), activation="RELU",
                           out_scale=0.05, out_zp=-128)
    y = b.conv2d(y, _w(rng, 16, 1, 1, 8), _w(rng, 16), activation="RELU6", out_scale=0.05,
                 out_zp=-128)
    y = b.depthwise_conv2d(y, _w(rng, 1, 3, 3, 16), _w(rng, 16), stride=2, activation="RELU",
                           out_scale=0.05, out_zp=-128)
    y = b.conv2d(y, _w(rng, 16, 1, 1, 16), _w(rng, 16), out_scale=0.08, out_zp=2)
    pool = b.avg_pool2d(y, b.shape(y)[1], stride=1)
    f = b.fully_connected(b.reshape(pool, (1, 16)), _w(rng, 4, 16), _w(rng, 4),
                          out_scale=0.1, out_zp=0)
    b.output(b.softmax(f))
    return b.build()


def input_residual(seed: int = 0, hw: int = 12, c: int = 4):
    """conv 3x3 -> dw 3x3 -> ADD with the model input: a patch stage of ops 0-1 whose input
    (the model input) is still read after the stage, so it is not streamed."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder(f"input_residual_{seed}")
    x = b.input((1, hw, hw, c), scale=0.03, zero_point=1)
    y = b.conv2d(x, _w(rng, c, 3, 3, c), _w(rng, c), out_scale=0.05, out_zp=-2)
    y = b.depthwise_conv2d(y, _w(rng, 1, 3, 3, c), _w(rng, c), activation="RELU",
                           out_scale=0.05, out_zp=-128)
    s = b.add(y, x, out_scale=0.06, out_zp=0)
    b.output(b.relu(s))
    return b.build()


def res_blocks(seed: int = 0, hw: int = 16, c: int = 8):
    """ResNet-like: conv stem -> identity block (conv-conv + x) -> projection block (conv s2
    widening -> dw, ADD(1x1 s2 skip, main): the skip is input 1) -> projection block with a
    one-op main branch (conv s2, output rows half the input's bytes) -> avgpool -> fc."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder(f"res_blocks_{seed}")
    x = b.input((1, hw, hw, 3), scale=0.02, zero_point=-3)
    x = b.conv2d(x, _w(rng, c, 3, 3, 3), _w(rng, c), activation="RELU", out_scale=0.04,
                 out_zp=-128)
    y = b.conv2d(x, _w(rng, c, 3, 3, c), _w(rng, c), activation="RELU", out_scale=0.05,
                 out_zp=-128)
    y = b.conv2d(y, _w(rng, c, 3, 3, c), _w(rng, c), out_scale=0.06, out_zp=4)
    x = b.add(y, x, activation="RELU", out_scale=0.05, out_zp=-128)
    y = b.conv2d(x, _w(rng, 2 * c, 3, 3, c), _w(rng, 2 * c), stride=2, activation="RELU",
                 out_scale=0.05, out_zp=-128)
    y = b.depthwise_conv2d(y, _w(rng, 1, 3, 3, 2 * c), _w(rng, 2 * c), out_scale=0.06,
                           out_zp=2)
    s = b.conv2d(x, _w(rng, 2 * c, 1, 1, c), _w(rng, 2 * c), stride=2, out_scale=0.05,
                 out_zp=-1)
    x = b.add(s, y, activation="RELU", out_scale=0.07, out_zp=-128)
    y = b.conv2d(x, _w(rng, 2 * c, 3, 3, 2 * c), _w(rng, 2 * c), stride=2, out_scale=0.06,
                 out_zp=1)
    s = b.conv2d(x, _w(rng, 2 * c, 1, 1, 2 * c), _w(rng, 2 * c), stride=2, out_scale=0.05,
                 out_zp=0)
    x = b.add(y, s, out_scale=0.08, out_zp=-5)
    pool = b.avg_pool2d(x, b.shape(x)[1], stride=1)
    f = b.fully_connected(b.reshape(pool, (1, 2 * c)), _w(rng, 4, 2 * c), _w(rng, 4),
                          out_scale=0.1, out_zp=0)
    b.output(b.softmax(f))
    return b.build()


def widening_block(seed: int = 0, hw: int = 8, c: int = 4):
    """A stride-1 projection block that widens 4x: an output row needs four input rows'
    bytes, which later rows still read, so it cannot run row by row over its input."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder(f"widening_block_{seed}")
    x = b.input((1, hw, hw, c), scale=0.03, zero_point=0)
    y = b.conv2d(x, _w(rng, 4 * c, 3, 3, c), _w(rng, 4 * c), out_scale=0.05, out_zp=0)
    s = b.conv2d(x, _w(rng, 4 * c, 1, 1, c), _w(rng, 4 * c), out_scale=0.05, out_zp=0)
    b.output(b.relu(b.add(y, s, out_scale=0.06, out_zp=0)))
    return b.build()


def padded_convs(seed: int = 0, hw: int = 10, c: int = 4):
    """Explicit PADs before convs (as ONNX exports write them): PAD 1,2 / 2,1 -> VALID conv;
    PADV2 with the zero point -> SAME depthwise s2; a PAD whose value is not the zero point
    (cannot fold) -> VALID conv; then avgpool, fc."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder(f"padded_convs_{seed}")
    x = b.input((1, hw, hw, c), scale=0.03, zero_point=3)
    p = b.pad(x, [[0, 0], [1, 2], [2, 1], [0, 0]])
    y = b.conv2d(p, _w(rng, c, 3, 3, c), _w(rng, c), padding="VALID", activation="RELU",
                 out_scale=0.05, out_zp=-128)
    p = _padv2(b, y, [[0, 0], [2, 0], [0, 3], [0, 0]], -128)
    y = b.depthwise_conv2d(p, _w(rng, 1, 3, 3, c), _w(rng, c), stride=2, out_scale=0.05,
                           out_zp=5)
    p = _padv2(b, y, [[0, 0], [1, 1], [1, 1], [0, 0]], 0)
    y = b.conv2d(p, _w(rng, c, 3, 3, c), _w(rng, c), padding="VALID", out_scale=0.06,
                 out_zp=-2)
    pool = b.avg_pool2d(y, b.shape(y)[1], stride=1)
    f = b.fully_connected(b.reshape(pool, (1, c)), _w(rng, 3, c), _w(rng, 3), out_scale=0.1,
                          out_zp=0)
    b.output(b.softmax(f))
    return b.build()


def _padv2(b, x, paddings, value: int) -> int:
    pads = np.asarray(paddings, np.int32)
    shape = tuple(int(d + lo + hi) for d, (lo, hi) in zip(b.shape(x), pads))
    y = b._new(shape, like=x)
    b.op("PADV2", [x, b.const(pads, "int32"), b.const(np.array([value], np.int8), "int8")], [y])
    return y
