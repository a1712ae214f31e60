"""Property tests: every int8 kernel, run under emulation on Cortex-M0+, M4 and M7, gives the
NumPy reference's bits (``np.array_equal``) and writes nothing outside its output.

Hypothesis draws the geometry and the quantization (shapes, strides, paddings, dilations,
depth multipliers, zero points, per-channel multipliers and shifts in their documented
ranges, clamps, variants); tensor contents come from a NumPy generator seeded by a drawn
integer. Each core's firmware is built once (``kernel_fw``, module scope) and each example is
one ``fw.call`` on a fresh emulator. Outputs are guarded blocks (simulator/guards.py).
"""
from __future__ import annotations

import math
import os

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from simulator.errors import ModelError
from simulator.guards import Guarded
from simulator.reference import activations, elementwise, pooling, quant, quantize_ops, reduce
from simulator.reference import shape_ops, softmax
from simulator.reference.conv import conv2d_s8, depthwise_conv2d_s8
from simulator.reference.fully_connected import fully_connected_s8
from simulator.reference.padding import compute_padding

# ~30 per op per core keeps this module near 30 s on 2 cores; raise it to hunt for bugs:
# MCUSIM_KERNEL_EXAMPLES=500 HYPOTHESIS_PROFILE=dev pytest tests/kernels/test_kernels_emulated.py
EXAMPLES = int(os.environ.get("MCUSIM_KERNEL_EXAMPLES", "30"))
NULL = 0

seeds = st.integers(0, 2**32 - 1)
zero_points = st.integers(-128, 127)
variants = st.sampled_from([0, 1, 2])          # portable, DSP (falls back on M0+), wrapper
raw_multipliers = st.one_of(st.integers(1 << 30, (1 << 31) - 1), st.sampled_from([0, (1 << 31) - 1]))


def call_guarded(fw, fn: str, *args, out: Guarded) -> np.ndarray:
    """``fw.call(fn, *args)`` (``out`` passed as its guarded block); the checked output."""
    r = fw.call(fn, *args)
    assert r.value == 0, f"{fn} returned status {r.value}"
    arrays = [a for a in args if isinstance(a, np.ndarray)]
    index = next(i for i, a in enumerate(arrays) if a is out.raw)
    return out.unwrap(r.arrays[index])


def assert_same(got: np.ndarray, want: np.ndarray, fw) -> None:
    want = np.asarray(want).reshape(got.shape)
    if not np.array_equal(got, want):
        bad = np.argwhere(got != want)
        i = tuple(bad[0])
        raise AssertionError(f"{fw.board.name}: {len(bad)} of {got.size} differ; first at {i}: "
                             f"got {got[i]} want {want[i]}")


@st.composite
def clamps(draw):
    if draw(st.booleans()):
        return -128, 127
    lo, hi = sorted(draw(st.lists(st.integers(-128, 127), min_size=2, max_size=2)))
    return lo, hi


@st.composite
def requant(draw, n: int, taps: int, max_shift: int = 31):
    """Per-channel (multiplier, shift): scaled to spread ``taps`` int8 products over int8,
    or raw values anywhere in the documented range."""
    if draw(st.integers(0, 3)):
        rng = np.random.default_rng(draw(seeds))
        real = np.exp(rng.uniform(math.log(0.1), math.log(10.0), n)) * 0.01 / math.sqrt(taps)
        m, s = quant.quantize_multipliers(real)
        return m, s
    m = draw(st.lists(raw_multipliers, min_size=n, max_size=n))
    s = draw(st.lists(st.integers(-31, max_shift), min_size=n, max_size=n))
    return np.array(m, np.int32), np.array(s, np.int32)


def _geometry(draw, in_size: int, k: int, stride: int, dilation: int) -> tuple[int, int]:
    padding = draw(st.sampled_from(["SAME", "VALID"]))
    try:
        return compute_padding(in_size, k, stride, dilation, padding)
    except Exception:             # VALID with a filter larger than the input
        return compute_padding(in_size, k, stride, dilation, "SAME")


# ---- conv and depthwise -------------------------------------------------------------------

CONV_FIELDS = ("batches in_h in_w in_c out_h out_w out_c k_h k_w stride_h stride_w dilation_h "
               "dilation_w pad_top pad_left input_offset output_offset act_min act_max "
               "per_channel depth_multiplier").split()


@st.composite
def conv_cases(draw, depthwise: bool):
    c = dict(batches=draw(st.integers(1, 2)), in_h=draw(st.integers(1, 8)),
             in_w=draw(st.integers(1, 8)), in_c=draw(st.integers(1, 9)),
             k_h=draw(st.integers(1, 4)), k_w=draw(st.integers(1, 4)),
             stride_h=draw(st.integers(1, 3)), stride_w=draw(st.integers(1, 3)),
             dilation_h=draw(st.integers(1, 3)), dilation_w=draw(st.integers(1, 2)))
    c["depth_multiplier"] = draw(st.integers(1, 3)) if depthwise else 0
    c["out_c"] = c["in_c"] * c["depth_multiplier"] if depthwise else draw(st.integers(1, 10))
    c["pad_top"], c["out_h"] = _geometry(draw, c["in_h"], c["k_h"], c["stride_h"], c["dilation_h"])
    c["pad_left"], c["out_w"] = _geometry(draw, c["in_w"], c["k_w"], c["stride_w"], c["dilation_w"])
    input_zp, output_zp = draw(zero_points), draw(zero_points)
    c["input_offset"], c["output_offset"] = -input_zp, output_zp
    c["act_min"], c["act_max"] = draw(clamps())
    c["per_channel"] = int(draw(st.booleans()))
    taps = c["k_h"] * c["k_w"] * (1 if depthwise else c["in_c"])
    c["multiplier"], c["shift"] = draw(requant(c["out_c"] if c["per_channel"] else 1, taps))
    rng = np.random.default_rng(draw(seeds))
    c["x"] = rng.integers(-128, 128, (c["batches"], c["in_h"], c["in_w"], c["in_c"]), dtype=np.int8)
    w_shape = ((1, c["k_h"], c["k_w"], c["out_c"]) if depthwise
               else (c["out_c"], c["k_h"], c["k_w"], c["in_c"]))
    c["w"] = rng.integers(-128, 128, w_shape, dtype=np.int8)
    bias_kind = draw(st.sampled_from(["none", "typical", "extreme"]))
    c["bias"] = {"none": None,
                 "typical": (rng.integers(-5000, 5000, c["out_c"]) * math.sqrt(taps)).astype(np.int32),
                 "extreme": rng.integers(-(1 << 31), 1 << 31, c["out_c"], dtype=np.int64).astype(np.int32)}[bias_kind]
    c["variant"] = draw(variants)
    return c


def _conv_reference(c: dict, depthwise: bool) -> np.ndarray:
    kw = dict(input_zp=-c["input_offset"], output_zp=c["output_offset"], multiplier=c["multiplier"],
              shift=c["shift"], stride=(c["stride_h"], c["stride_w"]),
              dilation=(c["dilation_h"], c["dilation_w"]), pad=(c["pad_top"], c["pad_left"]),
              out_hw=(c["out_h"], c["out_w"]), act_min=c["act_min"], act_max=c["act_max"])
    if depthwise:
        return depthwise_conv2d_s8(c["x"], c["w"], c["bias"], depth_multiplier=c["depth_multiplier"], **kw)
    return conv2d_s8(c["x"], c["w"], c["bias"], **kw)


def _conv_out(c: dict) -> Guarded:
    return Guarded("output", (c["batches"], c["out_h"], c["out_w"], c["out_c"]), np.int8, fill=0x5A)


def _bias_arg(c):
    return NULL if c["bias"] is None else c["bias"]


@settings(max_examples=EXAMPLES)
@given(c=conv_cases(depthwise=False))
def test_conv(kernel_fw, c):
    params = np.array([c[f] for f in CONV_FIELDS], np.int32)
    out = _conv_out(c)
    scratch = np.zeros(max(4 * c["k_h"] * c["k_w"] * c["in_c"], 4), np.uint8)
    got = call_guarded(kernel_fw, "h_conv", params, c["x"], c["w"], _bias_arg(c), c["multiplier"],
                       c["shift"], out.raw, c["variant"], scratch, scratch.size, out=out)
    assert_same(got, _conv_reference(c, False), kernel_fw)


@settings(max_examples=EXAMPLES)
@given(c=conv_cases(depthwise=True))
def test_depthwise_conv(kernel_fw, c):
    params = np.array([c[f] for f in CONV_FIELDS], np.int32)
    out = _conv_out(c)
    got = call_guarded(kernel_fw, "h_depthwise", params, c["x"], c["w"], _bias_arg(c),
                       c["multiplier"], c["shift"], out.raw, c["variant"], out=out)
    assert_same(got, _conv_reference(c, True), kernel_fw)


# ---- fully connected ----------------------------------------------------------------------

@settings(max_examples=EXAMPLES)
@given(batches=st.integers(1, 3), n_in=st.integers(1, 40), n_out=st.integers(1, 12),
       zps=st.tuples(zero_points, zero_points), act=clamps(), per_channel=st.booleans(),
       data=st.data(), seed=seeds, variant=variants, with_bias=st.booleans())
def test_fully_connected(kernel_fw, batches, n_in, n_out, zps, act, per_channel, data, seed,
                         variant, with_bias):
    mult, shift = data.draw(requant(n_out if per_channel else 1, n_in))
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (batches, n_in), dtype=np.int8)
    w = rng.integers(-128, 128, (n_out, n_in), dtype=np.int8)
    bias = rng.integers(-50000, 50000, n_out).astype(np.int32) if with_bias else None
    params = np.array([batches, n_in, n_out, -zps[0], zps[1], act[0], act[1], int(per_channel)], np.int32)
    out = Guarded("output", (batches, n_out), np.int8)
    got = call_guarded(kernel_fw, "h_fc", params, x, w, NULL if bias is None else bias, mult, shift,
                       out.raw, variant, out=out)
    want = fully_connected_s8(x, w, bias, input_zp=zps[0], output_zp=zps[1], multiplier=mult,
                              shift=shift, act_min=act[0], act_max=act[1])
    assert_same(got, want, kernel_fw)


# ---- add / mul with broadcasting ----------------------------------------------------------

@st.composite
def broadcast_shapes(draw):
    rank = draw(st.integers(1, 4))
    out = draw(st.lists(st.integers(1, 5), min_size=rank, max_size=rank))

    def one():
        shape = [d if draw(st.integers(0, 2)) else 1 for d in out]
        return tuple(shape[draw(st.integers(0, rank - 1)):]) if draw(st.booleans()) else tuple(shape)
    return one(), one()


scales = st.floats(1e-3, 0.5)


@settings(max_examples=EXAMPLES)
@given(shapes=broadcast_shapes(), zps=st.tuples(zero_points, zero_points, zero_points),
       s=st.tuples(scales, scales, st.floats(0.25, 4.0)), act=clamps(), seed=seeds)
def test_add(kernel_fw, shapes, zps, s, act, seed):
    p = elementwise.add_params(s[0], s[1], (s[0] + s[1]) * s[2])
    rng = np.random.default_rng(seed)
    a, b = (rng.integers(-128, 128, sh, dtype=np.int8) for sh in shapes)
    dims, st1, st2 = elementwise.broadcast4(a.shape, b.shape)
    params = np.array([zps[0], zps[1], zps[2], p["left_shift"], p["input1_multiplier"],
                       p["input1_shift"], p["input2_multiplier"], p["input2_shift"],
                       p["output_multiplier"], p["output_shift"], act[0], act[1]], np.int32)
    out_shape = np.broadcast_shapes(a.shape, b.shape)
    out = Guarded("output", out_shape, np.int8)
    got = call_guarded(kernel_fw, "h_add", params, np.array(dims + st1 + st2, np.int32), a, b,
                       out.raw, out=out)
    want = elementwise.add_s8(a, b, input1_zp=zps[0], input2_zp=zps[1], output_zp=zps[2],
                              act_min=act[0], act_max=act[1], **p)
    assert_same(got, want, kernel_fw)


@settings(max_examples=EXAMPLES)
@given(shapes=broadcast_shapes(), zps=st.tuples(zero_points, zero_points, zero_points),
       mult=raw_multipliers, shift=st.integers(-31, 30), scaled=st.booleans(), act=clamps(),
       seed=seeds)
def test_mul(kernel_fw, shapes, zps, mult, shift, scaled, act, seed):
    if scaled:     # s1 s2 / s_out spreading products of two int8 over the int8 range
        mult, shift = quant.quantize_multiplier(1 / (64 + seed % 512))
    rng = np.random.default_rng(seed)
    a, b = (rng.integers(-128, 128, sh, dtype=np.int8) for sh in shapes)
    dims, st1, st2 = elementwise.broadcast4(a.shape, b.shape)
    params = np.array([zps[0], zps[1], zps[2], mult, shift, act[0], act[1]], np.int32)
    out = Guarded("output", np.broadcast_shapes(a.shape, b.shape), np.int8)
    got = call_guarded(kernel_fw, "h_mul", params, np.array(dims + st1 + st2, np.int32), a, b,
                       out.raw, out=out)
    want = elementwise.mul_s8(a, b, input1_zp=zps[0], input2_zp=zps[1], output_zp=zps[2],
                              output_multiplier=mult, output_shift=shift, act_min=act[0],
                              act_max=act[1])
    assert_same(got, want, kernel_fw)


# ---- pooling ------------------------------------------------------------------------------

@st.composite
def pool_cases(draw):
    n, h, w, ch = (draw(st.integers(1, 2)), draw(st.integers(1, 9)), draw(st.integers(1, 9)),
                   draw(st.integers(1, 6)))
    fh, fw_, sh, sw = (draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 3)),
                       draw(st.integers(1, 3)))
    pad_h, out_h = _geometry(draw, h, fh, sh, 1)
    pad_w, out_w = _geometry(draw, w, fw_, sw, 1)
    # ck_pool_s8_check: every window must touch the image (TFLite errors otherwise)
    assume((out_h - 1) * sh - pad_h < h and fh > pad_h and (out_w - 1) * sw - pad_w < w and fw_ > pad_w)
    act = draw(clamps())
    return dict(shape=(n, h, w, ch), f=(fh, fw_), s=(sh, sw), pad=(pad_h, pad_w), out=(out_h, out_w),
                act=act, seed=draw(seeds))


@pytest.mark.parametrize("kind", ["avg", "max"])
@settings(max_examples=EXAMPLES)
@given(c=pool_cases())
def test_pool(kernel_fw, kind, c):
    x = np.random.default_rng(c["seed"]).integers(-128, 128, c["shape"], dtype=np.int8)
    n, h, w, ch = c["shape"]
    params = np.array([n, h, w, ch, *c["out"], *c["f"], *c["s"], *c["pad"], *c["act"]], np.int32)
    out = Guarded("output", (n, *c["out"], ch), np.int8)
    got = call_guarded(kernel_fw, f"h_{kind}pool", params, x, out.raw, out=out)
    ref = pooling.avgpool_s8 if kind == "avg" else pooling.maxpool_s8
    want = ref(x, filter_hw=c["f"], stride=c["s"], pad=c["pad"], out_hw=c["out"],
               act_min=c["act"][0], act_max=c["act"][1])
    assert_same(got, want, kernel_fw)


# ---- softmax, mean ------------------------------------------------------------------------

@settings(max_examples=EXAMPLES)
@given(rows=st.integers(1, 4), depth=st.integers(1, 64), scale=st.floats(0.002, 0.5),
       beta=st.sampled_from([1.0, 0.5, 2.0, 1.7, 0.1]), ties=st.booleans(), seed=seeds)
def test_softmax(kernel_fw, rows, depth, scale, beta, ties, seed):
    try:
        m, ls, dmin = softmax.softmax_params(beta, scale)
    except ModelError:
        assume(False)
    x = np.random.default_rng(seed).integers(-128, 128, (rows, depth), dtype=np.int8)
    if ties:
        x[:, :] = x[:, :1]
    out = Guarded("output", (rows, depth), np.int8)
    got = call_guarded(kernel_fw, "h_softmax", np.array([rows, depth, m, ls, dmin], np.int32), x,
                       out.raw, out=out)
    assert_same(got, softmax.softmax_s8(x, input_multiplier=m, input_left_shift=ls, diff_min=dmin),
                kernel_fw)


@settings(max_examples=EXAMPLES)
@given(outer=st.integers(1, 3), red=st.integers(1, 40), inner=st.integers(1, 8),
       zps=st.tuples(zero_points, zero_points), s=st.tuples(scales, scales), seed=seeds)
def test_mean(kernel_fw, outer, red, inner, zps, s, seed):
    p = reduce.mean_params(s[0], zps[0], s[1], zps[1], red)
    x = np.random.default_rng(seed).integers(-128, 128, (outer, red, inner), dtype=np.int8)
    params = np.array([outer, red, inner, p["input_zp"], p["output_zp"], p["multiplier"], p["shift"]],
                      np.int32)
    out = Guarded("output", (outer, inner), np.int8)
    got = call_guarded(kernel_fw, "h_mean", params, x, out.raw, out=out)
    assert_same(got, reduce.mean_s8(x, (1,), False, **p), kernel_fw)


# ---- concat, pad --------------------------------------------------------------------------

@settings(max_examples=EXAMPLES)
@given(outer=st.integers(1, 3), inner=st.integers(1, 5),
       sizes=st.lists(st.integers(0, 4), min_size=1, max_size=10), seed=seeds)
def test_concat(kernel_fw, outer, inner, sizes, seed):
    rng = np.random.default_rng(seed)
    xs = [rng.integers(-128, 128, (outer, k, inner), dtype=np.int8) for k in sizes]
    packed = np.concatenate([x.reshape(-1) for x in xs]) if sum(sizes) else np.zeros(1, np.int8)
    out = Guarded("output", (outer, sum(sizes), inner), np.int8)
    got = call_guarded(kernel_fw, "h_concat", np.array([len(sizes), outer, inner], np.int32), packed,
                       np.array(sizes, np.int32), out.raw, out=out)
    assert_same(got, shape_ops.concat_s8(xs, axis=1), kernel_fw)


@settings(max_examples=EXAMPLES)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4),
       pads=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=4, max_size=4),
       value=zero_points, seed=seeds)
def test_pad(kernel_fw, shape, pads, value, seed):
    pads = pads[:len(shape)]
    x = np.random.default_rng(seed).integers(-128, 128, shape, dtype=np.int8)
    dims, before, after = shape_ops.pad4(x.shape, pads)
    want = shape_ops.pad_s8(x, pads, value)
    out = Guarded("output", want.shape, np.int8)
    got = call_guarded(kernel_fw, "h_pad", np.array(dims + before + after + [value], np.int32), x,
                       out.raw, out=out)
    assert_same(got, want, kernel_fw)


# ---- logistic, tanh, quantize, requantize -------------------------------------------------

@pytest.mark.parametrize("kind", ["logistic", "tanh"])
@settings(max_examples=EXAMPLES)
@given(scale=st.floats(1e-4, 0.3), zp=zero_points, size=st.integers(1, 300), seed=seeds)
def test_sigmoid_like(kernel_fw, kind, scale, zp, size, seed):
    m, ls, radius = activations.sigmoid_params(scale)
    x = np.random.default_rng(seed).integers(-128, 128, size, dtype=np.int8)
    out = Guarded("output", (size,), np.int8)
    got = call_guarded(kernel_fw, f"h_{kind}", np.array([size, zp, m, ls, radius], np.int32), x,
                       out.raw, out=out)
    ref = activations.logistic_s8 if kind == "logistic" else activations.tanh_s8
    assert_same(got, ref(x, input_zp=zp, input_multiplier=m, input_left_shift=ls,
                         input_range_radius=radius), kernel_fw)


@settings(max_examples=EXAMPLES)
@given(scale=st.floats(0.001, 0.5).map(lambda s: float(np.float32(s))), zp=zero_points, size=st.integers(1, 200),
       specials=st.booleans(), seed=seeds)
def test_quantize_f32(kernel_fw, scale, zp, size, specials, seed):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(size) * 150 * scale).astype(np.float32)
    k = rng.integers(-130, 130, size).astype(np.float32)
    x[::3] = (k[::3] + np.float32(0.5)) * np.float32(scale)        # near ties
    if specials:
        x[:6] = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 3e38], np.float32)[:min(6, size)]
    scale_bits = int(np.array([scale], np.float32).view(np.int32)[0])
    out = Guarded("output", (size,), np.int8)
    got = call_guarded(kernel_fw, "h_quantize", np.array([size, scale_bits, zp], np.int32), x,
                       out.raw, out=out)
    assert_same(got, quantize_ops.quantize_f32_s8(x, scale=float(np.float32(scale)), zero_point=zp),
                kernel_fw)


@settings(max_examples=EXAMPLES)
@given(zps=st.tuples(zero_points, zero_points), mult=raw_multipliers, shift=st.integers(-31, 30),
       size=st.integers(1, 300), seed=seeds)
def test_requantize(kernel_fw, zps, mult, shift, size, seed):
    x = np.random.default_rng(seed).integers(-128, 128, size, dtype=np.int8)
    out = Guarded("output", (size,), np.int8)
    got = call_guarded(kernel_fw, "h_requantize", np.array([size, zps[0], zps[1], mult, shift], np.int32),
                       x, out.raw, out=out)
    assert_same(got, quantize_ops.requantize_s8(x, input_zp=zps[0], output_zp=zps[1], multiplier=mult,
                                                shift=shift), kernel_fw)


# ---- regressions found by the properties above --------------------------------------------

# Regression: adding the output zero point to a requantized value near INT32_MIN overflowed
# int32 (shift >= 24, multiplier 2^31-1; found by test_requantize with zps=(0, -2),
# mult=2^31-1, shift=28, x=120). Fixed with ck_offset_clamp_s8 in ck_quant.h.


def test_requantize_output_zero_point_near_int32_min(kernel_fw):
    m, shift, x = (1 << 31) - 1, 24, np.array([-128], np.int8)
    out = Guarded("output", (1,), np.int8)
    got = call_guarded(kernel_fw, "h_requantize", np.array([1, 0, -2, m, shift], np.int32), x, out.raw,
                       out=out)
    assert_same(got, quantize_ops.requantize_s8(x, input_zp=0, output_zp=-2, multiplier=m, shift=shift),
                kernel_fw)


def test_mul_output_zero_point_near_int32_min(kernel_fw):
    m, shift = (1 << 31) - 1, 24
    a, b = np.array([-128], np.int8), np.array([1], np.int8)
    out = Guarded("output", (1,), np.int8)
    got = call_guarded(kernel_fw, "h_mul", np.array([0, 0, -2, m, shift, -128, 127], np.int32),
                       np.array([1, 1, 1, 1] + [0] * 8, np.int32), a, b, out.raw, out=out)
    assert_same(got, elementwise.mul_s8(a, b, input1_zp=0, input2_zp=0, output_zp=-2, output_multiplier=m,
                                        output_shift=shift), kernel_fw)


def test_conv_and_fc_saturate_near_int32_min(kernel_fw):
    """The same extreme requantization through conv and FC: these kernels get it right."""
    m, shift = np.array([(1 << 31) - 1], np.int32), np.array([24], np.int32)
    fields = dict(batches=1, in_h=1, in_w=1, in_c=1, out_h=1, out_w=1, out_c=1, k_h=1, k_w=1,
                  stride_h=1, stride_w=1, dilation_h=1, dilation_w=1, pad_top=0, pad_left=0,
                  input_offset=0, output_offset=-2, act_min=-128, act_max=127, per_channel=0,
                  depth_multiplier=0)
    x, w = np.full((1, 1, 1, 1), -128, np.int8), np.ones((1, 1, 1, 1), np.int8)
    for variant in (0, 1, 2):
        out = Guarded("output", (1, 1, 1, 1), np.int8)
        got = call_guarded(kernel_fw, "h_conv", np.array(list(fields.values()), np.int32), x, w, NULL, m,
                           shift, out.raw, variant, np.zeros(16, np.uint8), 16, out=out)
        assert got.ravel()[0] == -128
        out = Guarded("output", (1, 1), np.int8)
        got = call_guarded(kernel_fw, "h_fc", np.array([1, 1, 1, 0, -2, -128, 127, 0], np.int32),
                           x.reshape(1, 1), w.reshape(1, 1), NULL, m, shift, out.raw, variant, out=out)
        assert got.ravel()[0] == -128
