"""CMSIS-NN's argument marshalling: IR op -> the structs and call TFLite Micro's CMSIS-NN kernels make.

Each emitter follows the tflite-micro kernel named in its docstring
(tensorflow/lite/micro/kernels/cmsis_nn/<file>.cc): the same cmsis_nn_dims, params and
per-channel quantization, the scratch buffer sized by the function's ``_get_buffer_size`` (asked
of the compiled library on the target core, ``ctx.backend.buffer_size``, as TFLM's Prepare asks
it), ``ctx.buf`` NULL when the size is 0. Every number comes from the reference family's own
helpers, as in ``emitters.py``, so CMSIS-NN is given what the NumPy definition computes with.
A layer the library function cannot take (an ADD that broadcasts) raises ``kernel_call.Declined``: the
lowering runs mcusim's kernel for it and says why.

The structs are written as C text (``extra_decls``): they hold pointers (the context's scratch,
the per-channel arrays), which ``KernelCall.fields`` (numbers only) cannot. The ctypes mirrors
below are what ``_get_buffer_size`` is called with; Firmware.call checks them against the
library's DWARF.
"""
from __future__ import annotations

import ctypes

import numpy as np

from ..errors import ModelError
from ..reference import conv, elementwise, pooling, softmax
from .emitters import check_shifts
from .kernel_call import ConstArray, Declined, KernelCall, bias_ptr, fused_range_s8, i32, op_tensors

I32 = ctypes.c_int32
STATUS = "arm_cmsis_nn_status"      # the call's return type: codegen casts it to ck_status (0 = OK)


# ---- the structs of Include/arm_nn_types.h, as ctypes (for _get_buffer_size) ----------------

class Tile(ctypes.Structure):
    _fields_ = [("w", I32), ("h", I32)]


class Dims(ctypes.Structure):
    _fields_ = [("n", I32), ("h", I32), ("w", I32), ("c", I32)]


class Activation(ctypes.Structure):
    _fields_ = [("min", I32), ("max", I32)]


class ConvParams(ctypes.Structure):
    _fields_ = [("input_offset", I32), ("output_offset", I32), ("stride", Tile), ("padding", Tile),
                ("dilation", Tile), ("activation", Activation)]


class DwConvParams(ctypes.Structure):
    _fields_ = [("input_offset", I32), ("output_offset", I32), ("ch_mult", I32), ("stride", Tile),
                ("padding", Tile), ("dilation", Tile), ("activation", Activation)]


def _c_struct(ctype: str, name: str, body: str) -> str:
    return f"static const {ctype} {name} = {body};"


def _dims(v) -> str:
    return "{" + ", ".join(str(int(x)) for x in v) + "}"


def _context(ctx, size: int) -> str:
    """cmsis_nn_context: the shared scratch when the function asked for any, else NULL."""
    name = f"{ctx.prefix}_ctx"
    body = f"{{g_scratch, {size}}}" if size > 0 else "{NULL, 0}"
    ctx.extra_decls.append(_c_struct("cmsis_nn_context", name, body))
    return f"&{name}"


def _declare_dims(ctx, **dims) -> dict[str, str]:
    out = {}
    for key, value in dims.items():
        name = f"{ctx.prefix}_{key}_dims"
        ctx.extra_decls.append(_c_struct("cmsis_nn_dims", name, _dims(value)))
        out[key] = f"&{name}"
    return out


def _per_channel(ctx, q, channels: int) -> tuple[str, list[ConstArray]]:
    """cmsis_nn_per_channel_quant_params; a per-tensor layer gets its one multiplier per channel,
    as TFLM's PopulateConvolutionQuantizationParams fills them."""
    check_shifts(ctx, q["shift"])
    mult = ConstArray(f"{ctx.prefix}_multiplier", "int32_t",
                      i32(np.broadcast_to(q["multiplier"], channels)))
    shift = ConstArray(f"{ctx.prefix}_shift", "int32_t", i32(np.broadcast_to(q["shift"], channels)))
    name = f"{ctx.prefix}_quant"
    ctx.extra_decls.append(_c_struct("cmsis_nn_per_channel_quant_params", name,
                                     f"{{(int32_t *){mult.name}, (int32_t *){shift.name}}}"))
    return f"&{name}", [mult, shift]


def _weights(ctx, depthwise: bool):
    (x_t, w_t, b_t), out_t = op_tensors(ctx, 3)
    if len(x_t.shape) != 4 or len(w_t.shape) != 4:
        raise Declined("not a 4-D NHWC layer")
    _, kh, kw, _ = w_t.shape
    geo = conv.conv_geometry(ctx.op, x_t.shape, kh, kw)
    q = conv.layer_quant(ctx.op, ctx.graph, x_t, w_t, out_t)
    return x_t, w_t, b_t, out_t, geo, q


def conv2d(ctx) -> KernelCall:
    """tflite-micro kernels/cmsis_nn/conv.cc (commit 06118a8), Prepare and
    EvalQuantizedPerChannel (int8)."""
    x_t, w_t, b_t, out_t, geo, q = _weights(ctx, depthwise=False)
    n, h, w, c_in = x_t.shape
    c_out, kh, kw, _ = w_t.shape
    oh, ow = geo["out_hw"]
    params = ConvParams(-q["input_zp"], q["output_zp"], Tile(geo["stride"][1], geo["stride"][0]),
                        Tile(geo["pad"][1], geo["pad"][0]), Tile(geo["dilation"][1], geo["dilation"][0]),
                        Activation(q["act_min"], q["act_max"]))
    dims = dict(input=(n, h, w, c_in), filter=(c_out, kh, kw, c_in), bias=(1, 1, 1, c_out),
                output=(n, oh, ow, c_out))
    size = ctx.backend.buffer_size(ctx.rule.scratch, params, *(Dims(*dims[k]) for k in ("input", "filter", "output")))
    return _conv_call(ctx, "cmsis_nn_conv_params", params, dims, size, x_t, w_t, b_t, out_t, q,
                      macc=out_t.num_elements * kh * kw * c_in)


def depthwise_conv2d(ctx) -> KernelCall:
    """tflite-micro kernels/cmsis_nn/depthwise_conv.cc: set up as conv.cc sets up conv, with the
    depthwise params (ch_mult) and filter dims [1, kh, kw, c_out] arm_nnfunctions.h documents."""
    x_t, w_t, b_t, out_t, geo, q = _weights(ctx, depthwise=True)
    n, h, w, c_in = x_t.shape
    _, kh, kw, c_out = w_t.shape
    dm = c_out // c_in if c_in else 0
    if dm < 1 or dm * c_in != c_out:
        raise ModelError(f"depthwise filter has {c_out} channels for {c_in} input channels")
    oh, ow = geo["out_hw"]
    params = DwConvParams(-q["input_zp"], q["output_zp"], dm, Tile(geo["stride"][1], geo["stride"][0]),
                          Tile(geo["pad"][1], geo["pad"][0]), Tile(geo["dilation"][1], geo["dilation"][0]),
                          Activation(q["act_min"], q["act_max"]))
    dims = dict(input=(n, h, w, c_in), filter=(1, kh, kw, c_out), bias=(1, 1, 1, c_out),
                output=(n, oh, ow, c_out))
    size = ctx.backend.buffer_size(ctx.rule.scratch, params, *(Dims(*dims[k]) for k in ("input", "filter", "output")))
    return _conv_call(ctx, "cmsis_nn_dw_conv_params", params, dims, size, x_t, w_t, b_t, out_t, q,
                      macc=out_t.num_elements * kh * kw)


def _conv_call(ctx, ctype, params, dims, size, x_t, w_t, b_t, out_t, q, macc) -> KernelCall:
    fields = [(f, getattr(params, f)) for f, _ in params._fields_]
    body = "{" + ", ".join(_c_value(v) for _, v in fields) + "}"
    ctx.extra_decls.append(_c_struct(ctype, f"{ctx.prefix}_conv", body))
    context = _context(ctx, size)
    quant, consts = _per_channel(ctx, q, dims["output"][3])
    d = _declare_dims(ctx, **dims)
    args = [context, f"&{ctx.prefix}_conv", quant, d["input"], ctx.ptr(x_t.index), d["filter"],
            ctx.ptr(w_t.index), d["bias"], bias_ptr(ctx, b_t), d["output"], ctx.ptr(out_t.index)]
    return KernelCall(None, {}, args, consts, scratch_bytes=size, macc=macc, returns=STATUS)


def _c_value(v) -> str:
    if isinstance(v, ctypes.Structure):
        return "{" + ", ".join(_c_value(getattr(v, f)) for f, _ in v._fields_) + "}"
    return str(int(v))


def fully_connected(ctx) -> KernelCall:
    """tflite-micro kernels/cmsis_nn/fully_connected.cc (commit 004b6d6), EvalQuantizedInt8:
    per-tensor arm_fully_connected_s8 with TFLM's dims (filter n = accumulation depth, c = output
    depth) and filter_offset 0. Per-channel weights, which that TFLM version refuses, call
    arm_fully_connected_per_channel_s8, whose arguments arm_nnfunctions.h gives as the same.
    ``ctx.size`` is the scratch size (TFLM leaves it 0: "not used in cmsis_nn")."""
    (x_t, w_t, b_t), out_t = op_tensors(ctx, 3)
    if ctx.op.options.get("weights_format", "DEFAULT") != "DEFAULT" or w_t is None \
            or not w_t.is_const or len(w_t.shape) != 2:
        raise Declined("weights are not constant 2-D DEFAULT-format")
    out_f, in_f = w_t.shape
    if x_t.num_elements % in_f:
        raise ModelError(f"input {x_t.shape} cannot be flattened onto weights {w_t.shape}")
    batches = x_t.num_elements // in_f
    q = conv.layer_quant(ctx.op, ctx.graph, x_t, w_t, out_t)
    dims = dict(input=(batches, 1, 1, in_f), filter=(in_f, 1, 1, out_f), bias=(1, 1, 1, out_f),
                output=(batches, 1, 1, out_f))
    size = ctx.backend.buffer_size(ctx.rule.scratch, Dims(*dims["filter"]))
    ctx.extra_decls.append(_c_struct("cmsis_nn_fc_params", f"{ctx.prefix}_fc",
                                     f"{{{-q['input_zp']}, 0, {q['output_zp']}, "
                                     f"{{{q['act_min']}, {q['act_max']}}}}}"))
    context = _context(ctx, size)
    function = None
    if len(q["multiplier"]) > 1:
        quant, consts = _per_channel(ctx, q, out_f)
        function = "arm_fully_connected_per_channel_s8"
    else:
        check_shifts(ctx, q["shift"])
        consts = []
        ctx.extra_decls.append(_c_struct("cmsis_nn_per_tensor_quant_params", f"{ctx.prefix}_quant",
                                         f"{{{int(q['multiplier'][0])}, {int(q['shift'][0])}}}"))
        quant = f"&{ctx.prefix}_quant"
    d = _declare_dims(ctx, **dims)
    args = [context, f"&{ctx.prefix}_fc", quant, d["input"], ctx.ptr(x_t.index), d["filter"],
            ctx.ptr(w_t.index), d["bias"], bias_ptr(ctx, b_t), d["output"], ctx.ptr(out_t.index)]
    return KernelCall(None, {}, args, consts, scratch_bytes=size, macc=batches * in_f * out_f,
                      returns=STATUS, function=function)


def add(ctx) -> KernelCall:
    """tflite-micro kernels/cmsis_nn/add.cc: arm_elementwise_add_s8 over the flat size when both
    inputs have the output's shape (a broadcast is declined: mcusim's kernel runs it)."""
    (a_t, b_t), out_t = op_tensors(ctx, 2)
    if tuple(a_t.shape) != tuple(b_t.shape):
        raise Declined(f"broadcast ADD {list(a_t.shape)} + {list(b_t.shape)} (the CMSIS-NN "
                       "function takes equal shapes)")
    p = elementwise.add_params(a_t.quant.scalar_scale, b_t.quant.scalar_scale, out_t.quant.scalar_scale)
    lo, hi = fused_range_s8(ctx, out_t)
    args = [ctx.ptr(a_t.index), ctx.ptr(b_t.index),
            -a_t.quant.scalar_zero_point, p["input1_multiplier"], p["input1_shift"],
            -b_t.quant.scalar_zero_point, p["input2_multiplier"], p["input2_shift"],
            p["left_shift"], ctx.ptr(out_t.index), out_t.quant.scalar_zero_point,
            p["output_multiplier"], p["output_shift"], lo, hi, out_t.num_elements]
    return KernelCall(None, {}, [str(a) if not isinstance(a, str) else a for a in args],
                      macc=out_t.num_elements, returns=STATUS)


def _pool(ctx, avg: bool) -> KernelCall:
    """tflite-micro kernels/cmsis_nn/pooling.cc (commit 0955734), AverageEvalQuantized /
    MaxEvalInt8: one batch (input and output n = 1), filter dims [1, fh, fw, 1]."""
    (x_t,), out_t = op_tensors(ctx, 1)
    if len(x_t.shape) != 4 or x_t.shape[0] != 1:
        raise Declined(f"pooling of a {list(x_t.shape)} input (TFLM's CMSIS-NN pooling takes one "
                       "4-D batch)")
    geo = pooling.pool_geometry(ctx.op, x_t.shape)
    lo, hi = fused_range_s8(ctx, out_t)
    n, h, w, c = x_t.shape
    (oh, ow), (fh, fw) = geo["out_hw"], geo["filter_hw"]
    ctx.extra_decls.append(_c_struct(
        "cmsis_nn_pool_params", f"{ctx.prefix}_pool",
        f"{{{{{geo['stride'][1]}, {geo['stride'][0]}}}, {{{geo['pad'][1]}, {geo['pad'][0]}}}, {{{lo}, {hi}}}}}"))
    size = ctx.backend.buffer_size(ctx.rule.scratch, ow, c) if avg else 0
    context = _context(ctx, size)
    d = _declare_dims(ctx, input=(n, h, w, c), filter=(1, fh, fw, 1), output=(n, oh, ow, c))
    args = [context, f"&{ctx.prefix}_pool", d["input"], ctx.ptr(x_t.index), d["filter"], d["output"],
            ctx.ptr(out_t.index)]
    return KernelCall(None, {}, args, scratch_bytes=size, macc=out_t.num_elements * fh * fw,
                      returns=STATUS)


def avgpool(ctx) -> KernelCall:
    return _pool(ctx, avg=True)


def maxpool(ctx) -> KernelCall:
    return _pool(ctx, avg=False)


def softmax_(ctx) -> KernelCall:
    """tflite-micro kernels/cmsis_nn/softmax.cc (int8 -> int8): arm_softmax_s8 with the
    input_multiplier, input_left_shift and diff_min of TFLite's softmax (returns void)."""
    (x_t,), out_t = op_tensors(ctx, 1)
    if out_t.dtype != "int8" or x_t.dtype != "int8":
        raise Declined("not int8 -> int8")
    m, s, dmin = softmax.softmax_params(ctx.op.options.get("beta", 1.0), x_t.quant.scalar_scale)
    depth = x_t.shape[-1] if x_t.shape else 1
    args = [ctx.ptr(x_t.index), str(x_t.num_elements // depth), str(depth), str(m), str(s), str(dmin),
            ctx.ptr(out_t.index)]
    return KernelCall(None, {}, args, macc=x_t.num_elements, returns="void")


EMITTERS = {"conv2d": conv2d, "depthwise_conv2d": depthwise_conv2d, "fully_connected": fully_connected,
            "add": add, "avgpool": avgpool, "maxpool": maxpool, "softmax": softmax_}
