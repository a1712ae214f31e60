"""float32 reference ops: the living definition of mcusim's float path, bit for bit.

Every op here computes in float32 in the *same operation order* as its C twin in
``cross_kernels/src/<family>/ck_*_f32.c`` (see ``cross_kernels/include/ck_float.h``), so the
results are bit-identical, not merely close:

- CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED: ``acc = bias`` (or +0.0), then one
  ``acc = acc + x * w`` per tap in the order (ky, kx, c_in) [conv], (ky, kx) [depthwise],
  i = 0..in-1 [FC]; taps that fall in the padding are skipped (not added as 0, which
  would turn a -0.0 into +0.0); then the fused activation. No fused multiply-add: the C
  files are compiled with ``#pragma STDC FP_CONTRACT OFF``.
- MAX_POOL_2D: start at -inf, ``if (v > m) m = v`` over valid taps (ky, kx);
  AVERAGE_POOL_2D: ``s = s + v`` over valid taps in order, then ``s / (float)count``.
- SOFTMAX: per row ``m`` = running max, ``e_i = ck_expf((x_i - m) * beta)``, ``s = s + e_i``
  in index order, ``y_i = e_i / s``. ``ck_expf`` is :func:`expf_approx` below.
- LOGISTIC: ``1 / (1 + ck_expf(-x))``; TANH: ``a = |x|``, ``t = ck_expf(-2a)``,
  ``y = (1 - t) / (1 + t)``, negated for ``x < 0`` (:func:`logistic_f32`, :func:`tanh_f32`).
- MEAN: over contiguous axes viewed as ``[outer, reduce, inner]``: ``s = s + v`` in order, then
  ``s / (float)reduce``; SUM: ``s`` alone. ADD / MUL: elementwise with NumPy broadcasting
  (each output element is one IEEE operation, as in ``ck_add_f32_bcast``); SUB: see
  :func:`sub_f32` (TFLM's clamp to +-FLT_MAX). PAD, CONCATENATION: copies.
- PRELU: ``x >= 0 ? x : x * alpha`` (alpha broadcast); LEAKY_RELU: ``x > 0 ? x : x * alpha``;
  HARD_SWISH: ``x * min(6, max(0, x + 3)) / 6`` (:func:`prelu_f32`, :func:`leaky_relu_f32`,
  :func:`hard_swish_f32`), as TFLM's reference kernels.
- MAXIMUM / MINIMUM: ``a > b ? a : b`` / ``a < b ? a : b`` with NumPy broadcasting, the
  comparison tflite-micro's maximum_minimum.cc makes (so a NaN in ``b`` propagates, one in
  ``a`` does not; -0.0 against +0.0 gives ``b``).
- Fused activations: ``RELU`` is ``v < 0 ? 0 : v`` (keeps -0.0 and NaN like the C code),
  ``RELU6`` then ``v > 6 ? 6 : v``, ``RELU_N1_TO_1`` likewise.

NaNs follow the Arm core, not the host: every op's output passes through :func:`arm_nans`.

Vectorised over everything except the reduction axis, which is an explicit Python loop, so
NumPy's pairwise summation never reorders a sum. Tensors carry a leading batch axis (the
calibration batch in :mod:`simulator.quantize`); RESHAPE keeps it.
"""
from __future__ import annotations

import numpy as np

from simulator.errors import ModelError
from simulator.reference.padding import compute_padding

F32 = np.float32

# ck_expf constants, exact float32 values (the C file spells the same bits as hex floats).
EXP_LOG2E = F32(float.fromhex("0x1.715476p+0"))
EXP_LN2_HI = F32(float.fromhex("0x1.62e400p-1"))      # 12 significant bits: n * hi is exact
EXP_LN2_LO = F32(float.fromhex("0x1.7f7d1cp-20"))
EXP_POLY = tuple(F32(float.fromhex(h)) for h in (      # 1/720 .. 1/1, highest degree first
    "0x1.6c16c2p-10", "0x1.111112p-7", "0x1.555556p-5", "0x1.555556p-3", "0x1.000000p-1",
    "0x1.000000p+0", "0x1.000000p+0"))
EXP_MIN_X = F32(-87.0)    # below: 0 (2**n would leave the normal range)
EXP_MAX_X = F32(88.0)     # above: +inf


def expf_approx(x) -> np.ndarray:
    """float32 exp: ``x = n ln2 + r`` (n rounded half away from zero, Cody-Waite two-part ln2),
    ``exp(r)`` by the degree-6 Taylor polynomial in Horner form (|r| <= ln2/2, relative error
    < 2e-7 plus rounding), times ``2**n`` built in the exponent bits. Mirrors ``ck_expf``."""
    x = np.asarray(x, dtype=F32)
    with np.errstate(over="ignore", invalid="ignore"):
        t = x * EXP_LOG2E
        half = np.where(t >= 0, F32(0.5), F32(-0.5)).astype(F32)
        xs = np.clip(x, EXP_MIN_X, EXP_MAX_X)
        ts = np.clip(t + half, F32(-126), F32(127))
        n = np.trunc(ts).astype(np.int32)
        fn = n.astype(F32)
        r = (xs - fn * EXP_LN2_HI).astype(F32)
        r = (r - fn * EXP_LN2_LO).astype(F32)
        p = np.full_like(r, EXP_POLY[0])
        for c in EXP_POLY[1:]:
            p = (p * r + c).astype(F32)
        two_n = ((n + 127).astype(np.uint32) << np.uint32(23)).view(F32)
        y = (p * two_n).astype(F32)
    y = np.where(x < EXP_MIN_X, F32(0.0), y)
    y = np.where(x > EXP_MAX_X, F32(np.inf), y)
    return np.where(np.isnan(x), x, y).astype(F32)


def apply_activation(y, fused: str) -> np.ndarray:
    y = np.asarray(y, dtype=F32)
    fused = fused or "NONE"
    bounds = {"NONE": (None, None), "RELU": (0.0, None), "RELU6": (0.0, 6.0),
              "RELU_N1_TO_1": (-1.0, 1.0)}
    if fused == "TANH":
        return tanh_f32(y)
    if fused not in bounds:
        raise ModelError(f"fused activation {fused} is not supported")
    lo, hi = bounds[fused]
    if lo is not None:
        y = np.where(y < F32(lo), F32(lo), y)
    if hi is not None:
        y = np.where(y > F32(hi), F32(hi), y)
    return y.astype(F32)


def conv_geometry(o, h, w, kh, kw):
    stride = (int(o.get("stride_h", 1)), int(o.get("stride_w", 1)))
    dil = (int(o.get("dilation_h_factor", 1)), int(o.get("dilation_w_factor", 1)))
    pad = o.get("padding", "SAME")
    pt, oh = compute_padding(h, kh, stride[0], dil[0], pad)
    pl, ow = compute_padding(w, kw, stride[1], dil[1], pad)
    return stride, dil, (pt, pl), (oh, ow)


def _tap(x, ky, kx, stride, dil, pad, out_hw):
    """Input pixels under tap (ky, kx) for every output position, and their validity."""
    n, h, w, c = x.shape
    iy = np.arange(out_hw[0]) * stride[0] - pad[0] + ky * dil[0]
    ix = np.arange(out_hw[1]) * stride[1] - pad[1] + kx * dil[1]
    vy, vx = (iy >= 0) & (iy < h), (ix >= 0) & (ix < w)
    vals = x[:, np.clip(iy, 0, h - 1)][:, :, np.clip(ix, 0, w - 1)]
    return vals, (vy[:, None] & vx[None, :])[None, :, :, None]


def _start(bias, shape) -> np.ndarray:
    if bias is None:
        return np.zeros(shape, dtype=F32)
    return np.broadcast_to(np.asarray(bias, dtype=F32), shape).copy()


def conv2d_f32(x, w, bias, *, stride=(1, 1), dilation=(1, 1), pad=(0, 0), out_hw,
               activation="NONE") -> np.ndarray:
    x, w = np.asarray(x, F32), np.asarray(w, F32)
    c_out, kh, kw, c_in = w.shape
    if x.ndim != 4 or x.shape[3] != c_in:
        raise ModelError(f"conv input {x.shape} does not match filter {w.shape}")
    acc = _start(bias, (x.shape[0], *out_hw, c_out))
    for ky in range(kh):
        for kx in range(kw):
            vals, valid = _tap(x, ky, kx, stride, dilation, pad, out_hw)
            for ci in range(c_in):
                acc = np.where(valid, acc + vals[..., ci:ci + 1] * w[:, ky, kx, ci], acc)
    return apply_activation(acc, activation)


def depthwise_conv2d_f32(x, w, bias, *, depth_multiplier=1, stride=(1, 1), dilation=(1, 1),
                         pad=(0, 0), out_hw, activation="NONE") -> np.ndarray:
    x, w = np.asarray(x, F32), np.asarray(w, F32)
    _, kh, kw, c_out = w.shape
    if x.ndim != 4 or x.shape[3] * depth_multiplier != c_out:
        raise ModelError(f"depthwise input {x.shape} does not match filter {w.shape}")
    src = np.arange(c_out) // depth_multiplier
    acc = _start(bias, (x.shape[0], *out_hw, c_out))
    for ky in range(kh):
        for kx in range(kw):
            vals, valid = _tap(x, ky, kx, stride, dilation, pad, out_hw)
            acc = np.where(valid, acc + vals[..., src] * w[0, ky, kx], acc)
    return apply_activation(acc, activation)


def fully_connected_f32(x2d, w, bias, activation="NONE") -> np.ndarray:
    x2d, w = np.asarray(x2d, F32), np.asarray(w, F32)
    if x2d.ndim != 2 or w.ndim != 2 or x2d.shape[1] != w.shape[1]:
        raise ModelError(f"fully connected input {x2d.shape} does not match weights {w.shape}")
    acc = _start(bias, (x2d.shape[0], w.shape[0]))
    for i in range(w.shape[1]):
        acc = acc + x2d[:, i:i + 1] * w[:, i]
    return apply_activation(acc, activation)


def pool_f32(x, kind, *, filter_hw, stride, pad, out_hw, activation="NONE") -> np.ndarray:
    x = np.asarray(x, F32)
    shape = (x.shape[0], *out_hw, x.shape[3])
    acc = np.full(shape, -np.inf if kind == "max" else 0.0, dtype=F32)
    count = np.zeros((1, *out_hw, 1), dtype=np.int32)
    for ky in range(filter_hw[0]):
        for kx in range(filter_hw[1]):
            vals, valid = _tap(x, ky, kx, stride, (1, 1), pad, out_hw)
            if kind == "max":
                acc = np.where(valid & (vals > acc), vals, acc)
            else:
                acc = np.where(valid, acc + vals, acc)
                count = count + valid
    if kind == "avg":
        acc = (acc / count.astype(F32)).astype(F32)
    return apply_activation(acc, activation)


def softmax_f32(x, beta=1.0) -> np.ndarray:
    x = np.asarray(x, F32)
    rows = x.reshape(-1, x.shape[-1])
    m = rows[:, 0].copy()
    for i in range(1, rows.shape[1]):
        m = np.where(rows[:, i] > m, rows[:, i], m)
    e = expf_approx((rows - m[:, None]) * F32(beta))
    s = np.zeros(rows.shape[0], dtype=F32)
    for i in range(rows.shape[1]):
        s = s + e[:, i]
    return (e / s[:, None]).astype(F32).reshape(x.shape)


def logistic_f32(x) -> np.ndarray:
    """Mirrors ``ck_logistic_f32``: ``1 / (1 + ck_expf(-x))`` in float32."""
    x = np.asarray(x, F32)
    e = expf_approx(-x)
    with np.errstate(over="ignore", divide="ignore"):
        return (F32(1.0) / (F32(1.0) + e)).astype(F32)


def tanh_f32(x) -> np.ndarray:
    """Mirrors ``ck_tanh_f32``: ``(1 - t) / (1 + t)`` with ``t = ck_expf(-2|x|)``, sign of x."""
    x = np.asarray(x, F32)
    neg = x < F32(0.0)
    a = np.where(neg, -x, x).astype(F32)
    t = expf_approx((F32(-2.0) * a).astype(F32))
    y = ((F32(1.0) - t) / (F32(1.0) + t)).astype(F32)
    return np.where(neg, -y, y).astype(F32)


def leaky_relu_f32(x, alpha) -> np.ndarray:
    """Mirrors ``ck_leaky_relu_f32`` and TFLM's reference LeakyRelu: ``x > 0 ? x : x * alpha``
    (alpha the option's float32; -0.0 and NaN go through the multiply)."""
    x = np.asarray(x, F32)
    with np.errstate(invalid="ignore", over="ignore"):        # -inf * 0, -1e38 * 1.7: as C
        return np.where(x > F32(0), x, (x * F32(alpha)).astype(F32)).astype(F32)


def prelu_f32(x, alpha) -> np.ndarray:
    """Mirrors ``ck_prelu_f32`` and TFLM's float PRELU: ``x >= 0 ? x : x * alpha`` with alpha
    broadcast against x (so -0.0 passes unchanged)."""
    x, alpha = np.broadcast_arrays(np.asarray(x, F32), np.asarray(alpha, F32))
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(x >= F32(0), x, (x * alpha).astype(F32)).astype(F32)


def hard_swish_f32(x) -> np.ndarray:
    """Mirrors ``ck_hard_swish_f32`` and TFLM's reference HardSwish:
    ``x * min(6, max(0, x + 3)) / 6`` in that order, std::max/std::min's comparisons
    (``0 < t ? t : 0``, then ``t < 6 ? t : 6``: a NaN ``x + 3`` becomes 0)."""
    x = np.asarray(x, F32)
    with np.errstate(invalid="ignore", over="ignore"):
        t = (x + F32(3)).astype(F32)
        t = np.where(F32(0) < t, t, F32(0))
        t = np.where(t < F32(6), t, F32(6)).astype(F32)
        return ((x * t).astype(F32) / F32(6)).astype(F32)


def mean_f32(x, axes, keep_dims=False, divide=True) -> np.ndarray:
    """Mirrors ``ck_mean_f32``: contiguous ``axes`` summed in index order from +0.0, then
    divided by their element count (one float32 division); SUM (``ck_sum_f32``,
    ``divide=False``) is the sum alone, in the order of TFLM's reference Reduce."""
    x = np.asarray(x, F32)
    axes = sorted({int(a) % x.ndim for a in np.ravel(axes)})
    if axes != list(range(axes[0], axes[-1] + 1)):
        raise ModelError(f"MEAN over non-contiguous axes {axes} is not supported")
    lead, tail = x.shape[:axes[0]], x.shape[axes[-1] + 1:]
    red = int(np.prod(x.shape[axes[0]:axes[-1] + 1], dtype=np.int64))
    v = x.reshape(int(np.prod(lead, dtype=np.int64)), red, -1)
    s = np.zeros((v.shape[0], v.shape[2]), dtype=F32)
    for r in range(red):
        s = s + v[:, r, :]
    y = (s / F32(red)).astype(F32) if divide else s
    shape = lead + ((1,) * len(axes) if keep_dims else ()) + tail
    return y.reshape(shape)


def add_f32(a, b, activation="NONE") -> np.ndarray:
    return apply_activation(np.asarray(a, F32) + np.asarray(b, F32), activation)


# TFLM's float SUB clamps to its activation range even without an activation: [-FLT_MAX,
# FLT_MAX] (CalculateActivationRange), so an infinite difference comes out as +-FLT_MAX.
FLT_MAX = float(np.finfo(np.float32).max)
TFLM_RANGE = {"NONE": (-FLT_MAX, FLT_MAX), "RELU": (0.0, FLT_MAX), "RELU6": (0.0, 6.0),
              "RELU_N1_TO_1": (-1.0, 1.0)}


def sub_f32(a, b, activation="NONE") -> np.ndarray:
    """Mirrors ``ck_sub_f32``: ``d = a - b``, ``d < lo ? lo : d``, then ``d > hi ? hi : d``
    over TFLM's range (std::min(std::max(d, lo), hi): NaN passes, -0.0 stays)."""
    if activation not in TFLM_RANGE:
        raise ModelError(f"fused activation {activation} is not supported")
    lo, hi = (F32(v) for v in TFLM_RANGE[activation])
    with np.errstate(invalid="ignore", over="ignore"):      # inf - inf is NaN, as in C
        d = np.asarray(np.asarray(a, F32) - np.asarray(b, F32), F32)
    d = np.where(d < lo, lo, d)
    return np.where(d > hi, hi, d).astype(F32)


def mul_f32(a, b, activation="NONE") -> np.ndarray:
    return apply_activation(np.asarray(a, F32) * np.asarray(b, F32), activation)


def maximum_f32(a, b) -> np.ndarray:
    a, b = np.broadcast_arrays(np.asarray(a, F32), np.asarray(b, F32))
    return np.where(a > b, a, b)


def minimum_f32(a, b) -> np.ndarray:
    a, b = np.broadcast_arrays(np.asarray(a, F32), np.asarray(b, F32))
    return np.where(a < b, a, b)


# ---- IR adapters: fn(op, graph, inputs) -> output, inputs with a leading batch axis ----------

def _operands(op, graph, inputs):
    vals = []
    for k, idx in enumerate(op.inputs):
        if idx < 0:
            vals.append(None)
            continue
        v = inputs[k] if inputs is not None and k < len(inputs) else None
        vals.append(graph.tensor(idx).data if v is None else v)
    return vals


def _act(op):
    return op.options.get("fused_activation_function", "NONE")


def run_conv2d(op, graph, inputs):
    x, w, b = (_operands(op, graph, inputs) + [None])[:3]
    stride, dil, pad, out_hw = conv_geometry(op.options, x.shape[1], x.shape[2], w.shape[1], w.shape[2])
    return conv2d_f32(x, w, b, stride=stride, dilation=dil, pad=pad, out_hw=out_hw,
                      activation=_act(op))


def run_depthwise_conv2d(op, graph, inputs):
    x, w, b = (_operands(op, graph, inputs) + [None])[:3]
    stride, dil, pad, out_hw = conv_geometry(op.options, x.shape[1], x.shape[2], w.shape[1], w.shape[2])
    dm = w.shape[3] // x.shape[3]
    return depthwise_conv2d_f32(x, w, b, depth_multiplier=dm, stride=stride, dilation=dil,
                                pad=pad, out_hw=out_hw, activation=_act(op))


def run_fully_connected(op, graph, inputs):
    x, w, b = (_operands(op, graph, inputs) + [None])[:3]
    x = np.asarray(x)
    y = fully_connected_f32(x.reshape(-1, w.shape[1]), w, b, _act(op))
    if op.options.get("keep_num_dims", False):
        return y.reshape(tuple(x.shape[:-1]) + (w.shape[0],))
    return y


def _pool(kind):
    def run(op, graph, inputs):
        (x,) = _operands(op, graph, inputs)[:1]
        o = op.options
        fh, fw = int(o.get("filter_height", 1)), int(o.get("filter_width", 1))
        stride, _, pad, out_hw = conv_geometry({**o, "padding": o.get("padding", "VALID"),
                                            "dilation_h_factor": 1, "dilation_w_factor": 1},
                                           x.shape[1], x.shape[2], fh, fw)
        return pool_f32(x, kind, filter_hw=(fh, fw), stride=stride, pad=pad, out_hw=out_hw,
                        activation=_act(op))
    return run


def run_add(op, graph, inputs):
    a, b = _operands(op, graph, inputs)[:2]
    return add_f32(a, b, _act(op))


def run_sub(op, graph, inputs):
    a, b = _operands(op, graph, inputs)[:2]
    return sub_f32(a, b, _act(op))


def run_mul(op, graph, inputs):
    a, b = _operands(op, graph, inputs)[:2]
    return mul_f32(a, b, _act(op))


def _binary(fn):
    return lambda op, graph, inputs: fn(*_operands(op, graph, inputs)[:2])


def run_reshape(op, graph, inputs):
    x = np.asarray(_operands(op, graph, inputs)[0])
    shape = graph.tensor(op.outputs[0]).shape
    return x.reshape((x.shape[0],) + tuple(shape[1:]))


def run_softmax(op, graph, inputs):
    return softmax_f32(_operands(op, graph, inputs)[0], op.options.get("beta", 1.0) or 1.0)


def run_mean(op, graph, inputs):
    x, axes = _operands(op, graph, inputs)[:2]
    return mean_f32(x, axes, bool(op.options.get("keep_dims", False)))


def run_sum(op, graph, inputs):
    x, axes = _operands(op, graph, inputs)[:2]
    return mean_f32(x, axes, bool(op.options.get("keep_dims", False)), divide=False)


def pad_f32(x, paddings, value=0.0) -> np.ndarray:
    return np.pad(np.asarray(x, F32), [tuple(int(v) for v in r)
                                       for r in np.asarray(paddings).reshape(-1, 2)],
                  constant_values=F32(value))


def run_pad(op, graph, inputs):
    x, p, *rest = _operands(op, graph, inputs)
    value = F32(np.asarray(rest[0]).reshape(-1)[0]) if rest and rest[0] is not None else F32(0)
    return pad_f32(x, p, value)


def run_concat(op, graph, inputs):
    xs = _operands(op, graph, inputs)
    y = np.concatenate([np.asarray(v, F32) for v in xs], axis=int(op.options.get("axis", -1)))
    return apply_activation(y, _act(op))


def _unary(fn):
    return lambda op, graph, inputs: fn(np.asarray(_operands(op, graph, inputs)[0], F32))


# ---- NaNs as an Arm core makes them ----------------------------------------------------------
# An arithmetic operation with no numeric result (inf - inf, 0 * inf, 0 / 0) on non-NaN operands
# returns the *default NaN*. On Arm that is sign 0, exponent 0xFF, fraction bit 22 set:
# 0x7FC00000 (ARMv7-M ARM, DDI 0403E.e, A2.5.2 "Floating-point data types and arithmetic",
# FPDefaultNaN(); Cortex-M4/M7 FPU "NaN handling" tables, e.g. TI SLAU723A). x86 SSE, which
# NumPy uses, returns its "QNaN floating-point indefinite" 0xFFC00000 instead: the same NaN with
# the sign bit set. A NaN operand propagates on both (quieted), as long as FPSCR.DN = 0 on the
# Arm side: the reset value (FPDSCR.DN resets to 0) and the runtime (cross_kernels/runtime/
# startup.c) only enables CP10/CP11. The soft-float routines of cores without an FPU
# (compiler-rt, libgcc) also return 0x7FC00000 for a generated NaN (measured here on M0+).
ARM_DEFAULT_NAN = np.uint32(0x7FC00000)
X86_DEFAULT_NAN = np.uint32(0xFFC00000)


def _holds_x86_nan(v) -> bool:
    a = np.asarray(v)
    return a.dtype == F32 and bool(np.any(a.view(np.uint32) == X86_DEFAULT_NAN))


def arm_nans(y, operands=()) -> np.ndarray:
    """``y`` with NumPy's generated NaNs (0xFFC00000) made the Arm default NaN (0x7FC00000).

    An 0xFFC00000 in the output was generated by the op unless an operand already held that
    exact pattern (a propagated NaN, which Arm keeps as it is): then the output is left alone."""
    y = np.asarray(y)
    if y.dtype != F32 or not y.size:
        return y
    bits = y.view(np.uint32)
    generated = bits == X86_DEFAULT_NAN
    if not generated.any() or any(_holds_x86_nan(v) for v in operands if v is not None):
        return y
    y = y.copy()
    y.view(np.uint32)[generated] = ARM_DEFAULT_NAN
    return y


def _arm_nan_adapter(fn):
    def run(op, graph, inputs):
        return arm_nans(fn(op, graph, inputs), _operands(op, graph, inputs))
    run.__name__ = getattr(fn, "__name__", "run")
    return run


_HOST_OPS = {
    "CONV_2D": run_conv2d, "DEPTHWISE_CONV_2D": run_depthwise_conv2d,
    "FULLY_CONNECTED": run_fully_connected, "MAX_POOL_2D": _pool("max"),
    "AVERAGE_POOL_2D": _pool("avg"), "ADD": run_add, "SUB": run_sub, "MUL": run_mul,
    "RESHAPE": run_reshape,
    "SQUEEZE": run_reshape, "SOFTMAX": run_softmax, "MEAN": run_mean, "SUM": run_sum,
    "PAD": run_pad,
    "PADV2": run_pad, "CONCATENATION": run_concat,
    "LOGISTIC": _unary(logistic_f32), "TANH": _unary(tanh_f32),
    "RELU": _unary(lambda v: apply_activation(v, "RELU")),
    "RELU6": _unary(lambda v: apply_activation(v, "RELU6")),
    "MAXIMUM": _binary(maximum_f32), "MINIMUM": _binary(minimum_f32),
    "LEAKY_RELU": lambda op, graph, inputs: leaky_relu_f32(
        _operands(op, graph, inputs)[0], op.options.get("alpha", 0.0)),
    "HARD_SWISH": _unary(hard_swish_f32), "PRELU": _binary(prelu_f32),
}
OPS = {name: _arm_nan_adapter(fn) for name, fn in _HOST_OPS.items()}


def run_graph(graph, inputs, *, keep_all: bool = False):
    """Run a float32 graph on batched inputs (leading axis = batch). Returns the outputs, or
    every tensor's value by index when ``keep_all``."""
    if isinstance(inputs, np.ndarray):
        inputs = [inputs]
    values = {i: np.asarray(v, F32) for i, v in zip(graph.inputs, inputs)}
    for op in graph.ops:
        if op.opcode not in OPS:
            raise ModelError("op has no float32 reference", op_index=op.index, opcode=op.opcode)
        args = [values.get(i) if i >= 0 else None for i in op.inputs]
        values[op.outputs[0]] = np.asarray(OPS[op.opcode](op, graph, args))
    return values if keep_all else [values[o] for o in graph.outputs]
