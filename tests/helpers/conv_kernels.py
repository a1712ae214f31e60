"""Host builds of the s8 convolution kernels, random cases, their NumPy reference arguments and the
TFLite Micro check: shared by every convolution and fully-connected kernel test."""
from __future__ import annotations

import ctypes

import numpy as np

from simulator.reference import quant
from simulator.reference.padding import activation_range_s8, compute_padding
from tests.helpers import cstructs
from tests.helpers import hostlib


CK_OK, CK_ARG_ERROR, CK_NO_SCRATCH = 0, -1, -2


CONV_SOURCES = ["conv/ck_conv_s8.c", "conv/ck_conv_s8_dsp.c", "conv/ck_conv_s8_wrapper.c",
                "conv/ck_depthwise_conv_s8.c", "conv/ck_depthwise_conv_s8_dsp.c",
                "conv/ck_depthwise_conv_s8_wrapper.c", "conv/ck_conv_check_args.c"]


PARAM_FIELDS = cstructs.fields("ck_conv_params")


def conv_lib(dsp: bool) -> ctypes.CDLL:
    """Host build of the conv family; ``dsp`` swaps the DSP instructions for C stand-ins."""
    return hostlib.build(CONV_SOURCES, defines={"CK_DSP_EMULATE": None} if dsp else None)


def conv_params(case: dict) -> np.ndarray:
    """The ck_conv_params struct as an int32 array (field order of ck_conv.h)."""
    return np.array([case[f] for f in PARAM_FIELDS], dtype=np.int32)


def random_case(rng, *, depthwise: bool) -> dict:
    """A random layer: shape, geometry, zero points, requantization, clamps and data."""
    c = dict(batches=int(rng.integers(1, 3)), in_h=int(rng.integers(1, 10)),
             in_w=int(rng.integers(1, 10)),
             in_c=int(rng.choice([1, 2, 3, 4, 5, 8, 13, 16])),
             k_h=int(rng.integers(1, 5)), k_w=int(rng.integers(1, 5)),
             stride_h=int(rng.integers(1, 4)), stride_w=int(rng.integers(1, 4)),
             dilation_h=int(rng.choice([1, 1, 2, 3])), dilation_w=int(rng.choice([1, 1, 2])))
    dm = int(rng.choice([1, 1, 1, 2, 3])) if depthwise else 0
    c["depth_multiplier"] = dm
    c["out_c"] = c["in_c"] * dm if depthwise else int(rng.integers(1, 12))
    padding = str(rng.choice(["SAME", "VALID"]))
    try:
        c["pad_top"], c["out_h"] = compute_padding(c["in_h"], c["k_h"], c["stride_h"],
                                                   c["dilation_h"], padding)
        c["pad_left"], c["out_w"] = compute_padding(c["in_w"], c["k_w"], c["stride_w"],
                                                    c["dilation_w"], padding)
    except Exception:  # VALID with a filter larger than the input: use SAME instead
        c["pad_top"], c["out_h"] = compute_padding(c["in_h"], c["k_h"], c["stride_h"],
                                                   c["dilation_h"], "SAME")
        c["pad_left"], c["out_w"] = compute_padding(c["in_w"], c["k_w"], c["stride_w"],
                                                    c["dilation_w"], "SAME")
    input_zp = int(rng.integers(-128, 128))
    output_zp = int(rng.integers(-128, 128) if rng.random() < 0.3 else rng.integers(-40, 40))
    c["input_offset"], c["output_offset"] = -input_zp, output_zp
    c["per_channel"] = int(rng.integers(0, 2))
    n_q = c["out_c"] if c["per_channel"] else 1
    taps = c["k_h"] * c["k_w"] * (1 if depthwise else c["in_c"])
    # scales that spread a sum of `taps` int8 products over the int8 range (std ~ 5e3
    # * sqrt(taps)), and now and then one above 1 to exercise left shifts
    real = np.exp(rng.uniform(np.log(0.1), np.log(10.0), n_q)) * 0.01 / np.sqrt(taps)
    if rng.random() < 0.1:
        real = rng.uniform(1.0, 300.0, n_q)
    c["multiplier"], c["shift"] = quant.quantize_multipliers(real)
    act = activation_range_s8(str(rng.choice(["NONE", "NONE", "NONE", "RELU", "RELU6"])),
                              float(rng.uniform(0.01, 0.1)), output_zp)
    c["act_min"], c["act_max"] = act
    c["x"] = rng.integers(-128, 128, (c["batches"], c["in_h"], c["in_w"], c["in_c"]),
                          dtype=np.int8)
    w_shape = ((1, c["k_h"], c["k_w"], c["out_c"]) if depthwise
               else (c["out_c"], c["k_h"], c["k_w"], c["in_c"]))
    c["w"] = rng.integers(-128, 128, w_shape, dtype=np.int8)
    c["bias"] = (None if rng.random() < 0.2 else
                 (rng.integers(-5000, 5000, c["out_c"]) * np.sqrt(taps)).astype(np.int32))
    return c


def reference_kwargs(c: dict) -> dict:
    return dict(input_zp=-c["input_offset"], output_zp=c["output_offset"],
                multiplier=c["multiplier"], shift=c["shift"],
                stride=(c["stride_h"], c["stride_w"]), dilation=(c["dilation_h"], c["dilation_w"]),
                pad=(c["pad_top"], c["pad_left"]), out_hw=(c["out_h"], c["out_w"]),
                act_min=c["act_min"], act_max=c["act_max"])


def call_conv_kernel(lib, name: str, c: dict, *, scratch_bytes: int | None = None):
    """Run one kernel on case ``c``: (status, output array, guard bytes intact)."""
    params = conv_params(c)
    out = hostlib.Guarded((c["batches"], c["out_h"], c["out_w"], c["out_c"]))
    args = [hostlib.ptr(params), hostlib.ptr(c["x"]), hostlib.ptr(c["w"]),
            hostlib.ptr(c["bias"]), hostlib.ptr(c["multiplier"]), hostlib.ptr(c["shift"]),
            out.ptr]
    scratch = None
    if name in ("ck_conv_s8_dsp", "ck_conv_s8_wrapper"):
        size_fn = getattr(lib, name + ("_get_buffer_size" if name.endswith("wrapper")
                                       else "_get_buffer_size"))
        size_fn.restype = ctypes.c_int32
        need = size_fn(hostlib.ptr(params))
        n = need if scratch_bytes is None else scratch_bytes
        scratch = np.full(max(n, 1), 0x77, dtype=np.uint8)
        args += [hostlib.ptr(scratch), ctypes.c_int32(n)]
    fn = getattr(lib, name)
    fn.restype = ctypes.c_int32
    status = fn(*args)
    return status, out.value(), out.intact()


def check_against_tflm(opcode, in_shape, k, *, out_c=None, stride=1, dilation=1, padding="SAME",
                       activation="NONE", per_channel=True, depth_multiplier=1, seed=0,
                       keep_num_dims=False):
    """Build a one-op int8 model, run it in TFLM and in our reference (through the IR adapter
    on the re-read .tflite), and require identical bits."""
    from simulator.frontend import ModelBuilder, load_tflite, save_tflite
    from simulator.frontend.tflm_oracle import run_tflm
    from simulator.reference import conv, fully_connected

    rng = np.random.default_rng(seed)
    kh, kw = (k, k) if k is None or np.isscalar(k) else k
    (sh, sw), (dh, dw) = [(v, v) if np.isscalar(v) else v for v in (stride, dilation)]
    in_scale, in_zp = float(rng.uniform(0.01, 0.1)), int(rng.integers(-128, 128))
    b = ModelBuilder(opcode.lower())
    x_t = b.input(in_shape, scale=in_scale, zero_point=in_zp)
    if opcode == "FULLY_CONNECTED":
        w_shape, axis, taps = (out_c, in_shape[-1]), 0, in_shape[-1]
    elif opcode == "CONV_2D":
        w_shape, axis, taps = (out_c, kh, kw, in_shape[3]), 0, kh * kw * in_shape[3]
    else:
        w_shape, axis, taps = (1, kh, kw, in_shape[3] * depth_multiplier), 3, kh * kw
    channels = w_shape[axis]
    # accumulators (std up to ~1.2e4 * sqrt(taps) in integer units) near 2.0 in real units, and an
    # output scale that puts them about 40 steps apart, so RELU6 still leaves a wide range
    w_scales = (2.0 / (in_scale * 12000 * np.sqrt(taps))
                * rng.uniform(0.5, 2.0, channels if per_channel else 1))
    w_t = b.const(rng.integers(-127, 128, w_shape), "int8", w_scales, 0, axis)
    bias_scales = in_scale * np.resize(w_scales, channels)
    b_t = b.const(rng.integers(-20000, 20000, channels), "int32", bias_scales, 0, 0)
    out_scale = float(rng.uniform(0.03, 0.07))
    out_zp = int(rng.integers(-30, 30))
    options = dict(fused_activation_function=activation)
    if opcode == "FULLY_CONNECTED":
        rows = int(np.prod(in_shape[:-1]))
        y_shape = tuple(in_shape[:-1]) + (out_c,) if keep_num_dims else (rows, out_c)
        options["keep_num_dims"] = keep_num_dims
    else:
        pt, oh = compute_padding(in_shape[1], kh, sh, dh, padding)
        pl, ow = compute_padding(in_shape[2], kw, sw, dw, padding)
        y_shape = (in_shape[0], oh, ow, channels)
        options.update(padding=padding, stride_h=sh, stride_w=sw, dilation_h_factor=dh,
                       dilation_w_factor=dw)
        if opcode == "DEPTHWISE_CONV_2D":
            options["depth_multiplier"] = depth_multiplier
    y_t = b.tensor(y_shape, "int8", out_scale, out_zp)
    b.op(opcode, [x_t, w_t, b_t], [y_t], **options)
    b.output(y_t)
    model = save_tflite(b.build())

    x = rng.integers(-128, 128, in_shape, dtype=np.int8)
    want = np.asarray(run_tflm(model, x)[0])
    graph = load_tflite(model)
    ops = {**conv.OPS, **fully_connected.OPS}
    got = ops[opcode](graph.ops[0], graph, [x])
    assert got.shape == want.shape
    assert np.array_equal(got, want), f"{np.count_nonzero(got != want)} of {got.size} differ"
    assert len(np.unique(want)) > min(4, want.size // 3), "degenerate test: outputs barely vary"
