"""One function per kernel family: IR op -> the kernel's parameter struct and call.

Every number comes from the reference family's own helpers (``conv.layer_quant``,
``elementwise.add_params``, ``softmax.softmax_params`` ...), so the C kernel is given exactly
what the NumPy definition computes with. An emitter returns a :class:`KernelCall`; the
codegen turns it into C. Operands are C expressions made by ``ctx.ptr(tensor_index)``
(an arena address, or a flash array for a constant). The float32, binary and in-place emitters live
in ``emitters_float.py``, ``emitters_binary.py`` and ``emitters_inplace.py``; the pieces they
share in ``kernel_call.py``; ``lowering.EMITTERS`` merges the tables. A one-input elementwise
op needs no emitter of its own: ``unary`` takes its fields from the op's reference
registration (``reference/registry.py``).
"""
from __future__ import annotations

import numpy as np

from ..errors import ModelError
from ..reference import conv, elementwise, pooling, quant, reduce, shape_ops, softmax
from ..reference.registry import spec_for
from .kernel_call import (F32_IN, F32_OUT, ConstArray, KernelCall, bias_ptr,  # noqa: F401
                          fused_range_s8, i32, op_tensors)

CONV_FIELDS = ("batches", "in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "k_h", "k_w",
               "stride_h", "stride_w", "dilation_h", "dilation_w", "pad_top", "pad_left",
               "input_offset", "output_offset", "act_min", "act_max", "per_channel",
               "depth_multiplier")


# The conv and fully connected kernels take shifts in -31..31 (ck_conv_check_args.c,
# ck_fc_check_args.c) and return CK_ARG_ERROR otherwise; TFLite's own kernels refuse such a
# layer at Prepare. A scale ratio that needs more is the model's error, said before any build.
SHIFT_RANGE = (-31, 31)


def check_shifts(ctx, shifts) -> None:
    bad = [(c, int(s)) for c, s in enumerate(np.ravel(shifts))
           if not SHIFT_RANGE[0] <= int(s) <= SHIFT_RANGE[1]]
    if not bad:
        return
    channel, shift = bad[0]
    op, g = ctx.op, ctx.graph
    x_t, w_t, out_t = g.tensor(op.inputs[0]), g.tensor(op.inputs[1]), g.tensor(op.outputs[0])
    w_scale = np.ravel(w_t.quant.scale)[min(channel, np.size(w_t.quant.scale) - 1)]
    raise ModelError(
        f"output {out_t.name!r}: the requantization multiplier "
        f"input scale {x_t.quant.scalar_scale:.6g} x weight scale {w_scale:.6g} / output scale "
        f"{out_t.quant.scalar_scale:.6g} needs a shift of {shift:+d} (output channel {channel}); "
        f"the kernels take {SHIFT_RANGE[0]}..{SHIFT_RANGE[1]}: the output tensor's scale is "
        f"not usable", op_index=op.index, opcode=op.opcode, tensor_index=out_t.index)


def _requant_arrays(ctx, q) -> tuple[str, str, list[ConstArray]]:
    check_shifts(ctx, q["shift"])
    p = ctx.prefix
    mult = ConstArray(f"{p}_multiplier", "int32_t", i32(q["multiplier"]))
    shift = ConstArray(f"{p}_shift", "int32_t", i32(q["shift"]))
    return mult.name, shift.name, [mult, shift]


# ---- conv family ----------------------------------------------------------------------------

def conv_like(ctx, depthwise: bool) -> KernelCall:
    (x_t, w_t, b_t), out_t = op_tensors(ctx, 3)
    _, kh, kw, _ = w_t.shape
    n, h, w, c_in = x_t.shape
    geo = conv.conv_geometry(ctx.op, x_t.shape, kh, kw)
    q = conv.layer_quant(ctx.op, ctx.graph, x_t, w_t, out_t)
    c_out = w_t.shape[3] if depthwise else w_t.shape[0]
    dm = c_out // c_in if depthwise else 1
    if depthwise and (dm < 1 or dm * c_in != c_out):
        raise ModelError(f"depthwise filter has {c_out} channels for {c_in} input channels")
    (oh, ow) = geo["out_hw"]
    fields = dict(zip(CONV_FIELDS, (
        n, h, w, c_in, oh, ow, c_out, kh, kw, *geo["stride"], *geo["dilation"], *geo["pad"],
        -q["input_zp"], q["output_zp"], q["act_min"], q["act_max"],
        int(len(q["multiplier"]) > 1), dm)))
    mult, shift, consts = _requant_arrays(ctx, q)
    args = [ctx.ptr(x_t.index), ctx.ptr(w_t.index), bias_ptr(ctx, b_t), mult, shift,
            ctx.ptr(out_t.index)]
    taps = kh * kw * (1 if depthwise else c_in)
    scratch = 4 * kh * kw * c_in if ctx.rule.scratch == "conv_im2col" else 0
    return KernelCall("ck_conv_params", fields, args, consts, scratch_bytes=scratch,
                      macc=out_t.num_elements * taps, with_scratch=not depthwise)


def conv2d(ctx) -> KernelCall:
    return conv_like(ctx, depthwise=False)


def depthwise_conv2d(ctx) -> KernelCall:
    return conv_like(ctx, depthwise=True)


def fully_connected(ctx) -> KernelCall:
    (x_t, w_t, b_t), out_t = op_tensors(ctx, 3)
    fmt = ctx.op.options.get("weights_format", "DEFAULT")
    if fmt != "DEFAULT":
        raise ModelError(f"FULLY_CONNECTED weights_format {fmt} has no C kernel")
    if w_t is None or not w_t.is_const or len(w_t.shape) != 2:
        raise ModelError("FULLY_CONNECTED needs constant 2-D weights")
    out_f, in_f = w_t.shape
    if x_t.num_elements % in_f:
        raise ModelError(f"input {x_t.shape} cannot be flattened onto weights {w_t.shape}")
    q = conv.layer_quant(ctx.op, ctx.graph, x_t, w_t, out_t)
    batches = x_t.num_elements // in_f
    fields = dict(batches=batches, in_features=in_f, out_features=out_f,
                  input_offset=-q["input_zp"], output_offset=q["output_zp"],
                  act_min=q["act_min"], act_max=q["act_max"],
                  per_channel=int(len(q["multiplier"]) > 1))
    mult, shift, consts = _requant_arrays(ctx, q)
    args = [ctx.ptr(x_t.index), ctx.ptr(w_t.index), bias_ptr(ctx, b_t), mult, shift,
            ctx.ptr(out_t.index)]
    return KernelCall("ck_fc_params", fields, args, consts, macc=batches * in_f * out_f)


# ---- pooling, softmax, elementwise -----------------------------------------------------------

def _pool(ctx) -> KernelCall:
    (x_t,), out_t = op_tensors(ctx, 1)
    if len(x_t.shape) != 4:
        raise ModelError(f"pooling needs a 4-D NHWC input, got {x_t.shape}")
    geo = pooling.pool_geometry(ctx.op, x_t.shape)
    lo, hi = fused_range_s8(ctx, out_t)
    n, h, w, c = x_t.shape
    fields = dict(batches=n, in_h=h, in_w=w, channels=c, out_h=geo["out_hw"][0],
                  out_w=geo["out_hw"][1], filter_h=geo["filter_hw"][0],
                  filter_w=geo["filter_hw"][1], stride_h=geo["stride"][0],
                  stride_w=geo["stride"][1], pad_top=geo["pad"][0], pad_left=geo["pad"][1],
                  act_min=lo, act_max=hi)
    window = geo["filter_hw"][0] * geo["filter_hw"][1]
    return KernelCall("ck_pool_s8_params", fields, [ctx.ptr(x_t.index), ctx.ptr(out_t.index)],
                      macc=out_t.num_elements * window)


avgpool = maxpool = _pool


def softmax_(ctx) -> KernelCall:
    (x_t,), out_t = op_tensors(ctx, 1)
    m, s, dmin = softmax.softmax_params(ctx.op.options.get("beta", 1.0), x_t.quant.scalar_scale)
    depth = x_t.shape[-1] if x_t.shape else 1
    if depth > 4095:
        raise ModelError(f"SOFTMAX depth {depth} exceeds the C kernel's 4095")
    fields = dict(rows=x_t.num_elements // depth, depth=depth, input_multiplier=m,
                  input_left_shift=s, diff_min=dmin)
    return KernelCall("ck_softmax_s8_params", fields, [ctx.ptr(x_t.index), ctx.ptr(out_t.index)],
                      macc=x_t.num_elements)


def _binary(ctx, struct_type: str, params: dict) -> KernelCall:
    (a_t, b_t), out_t = op_tensors(ctx, 2)
    dims, s1, s2 = elementwise.broadcast4(a_t.shape, b_t.shape)
    shape = ("ck_broadcast4", f"{ctx.prefix}_shape",
             dict(out_dims=dims, in1_strides=s1, in2_strides=s2))
    lo, hi = fused_range_s8(ctx, out_t)
    fields = dict(input1_zp=a_t.quant.scalar_zero_point, input2_zp=b_t.quant.scalar_zero_point,
                  output_zp=out_t.quant.scalar_zero_point, **params, act_min=lo, act_max=hi)
    args = [f"&{shape[1]}", ctx.ptr(a_t.index), ctx.ptr(b_t.index), ctx.ptr(out_t.index)]
    return KernelCall(struct_type, fields, args, macc=out_t.num_elements, structs=[shape])


def add(ctx) -> KernelCall:
    (a_t, b_t), out_t = op_tensors(ctx, 2)
    p = elementwise.add_params(a_t.quant.scalar_scale, b_t.quant.scalar_scale,
                               out_t.quant.scalar_scale)
    order = ("left_shift", "input1_multiplier", "input1_shift", "input2_multiplier",
             "input2_shift", "output_multiplier", "output_shift")
    return _binary(ctx, "ck_add_s8_params", {k: p[k] for k in order})


def squared_difference(ctx) -> KernelCall:
    """ck_squared_difference_s8 takes ADD's struct: its own left shift and multipliers."""
    (a_t, b_t), out_t = op_tensors(ctx, 2)
    p = elementwise.squared_difference_params(a_t.quant.scalar_scale, b_t.quant.scalar_scale,
                                              out_t.quant.scalar_scale)
    return _binary(ctx, "ck_add_s8_params", p)


def mul(ctx) -> KernelCall:
    # Same computation as elementwise.run_mul (which has no separate param helper).
    (a_t, b_t), out_t = op_tensors(ctx, 2)
    s1, s2, so = (float(np.float32(t.quant.scalar_scale)) for t in (a_t, b_t, out_t))
    m, sh = quant.quantize_multiplier(s1 * s2 / so)
    return _binary(ctx, "ck_mul_s8_params", dict(output_multiplier=m, output_shift=sh))


def _shape4(ctx, a_t, b_t) -> tuple:
    dims, s1, s2 = elementwise.broadcast4(a_t.shape, b_t.shape)
    return ("ck_broadcast4", f"{ctx.prefix}_shape",
            dict(out_dims=dims, in1_strides=s1, in2_strides=s2))


def prelu(ctx) -> KernelCall:
    """``ck_prelu_s8(&params, &shape, in, alpha, out)``: alpha broadcasts as input 2."""
    (x_t, a_t), out_t = op_tensors(ctx, 2)
    shape = _shape4(ctx, x_t, a_t)
    args = [f"&{shape[1]}", ctx.ptr(x_t.index), ctx.ptr(a_t.index), ctx.ptr(out_t.index)]
    return KernelCall("ck_prelu_s8_params", elementwise.prelu_fields(ctx.op, ctx.graph), args,
                      macc=out_t.num_elements, structs=[shape])


def minmax(ctx) -> KernelCall:
    """MAXIMUM / MINIMUM (int8, float32) and float32 PRELU: ``kernel(&shape, in1, in2, out)``,
    no params."""
    (a_t, b_t), out_t = op_tensors(ctx, 2)
    cin, cout = (F32_IN, F32_OUT) if out_t.dtype == "float32" else (None, None)
    shape = _shape4(ctx, a_t, b_t)
    args = [f"&{shape[1]}", ctx.ptr(a_t.index, cin), ctx.ptr(b_t.index, cin),
            ctx.ptr(out_t.index, cout)]
    return KernelCall(None, {}, args, macc=out_t.num_elements, structs=[shape])


def _unary_size(ctx, struct_type: str, params: dict, order: tuple[str, ...]) -> KernelCall:
    (x_t,), out_t = op_tensors(ctx, 1)
    fields = dict(size=x_t.num_elements, **{k: params[k] for k in order})
    return KernelCall(struct_type, fields, [ctx.ptr(x_t.index), ctx.ptr(out_t.index)],
                      macc=x_t.num_elements)


def unary(ctx) -> KernelCall:
    """Any one-input elementwise op: ``kernel(&params, in, out)`` with ``params`` = ``size``
    then the fields its reference registration's ``params(op, graph)`` computes, in order; the
    struct type is the rule's ``params`` (default ``<kernel>_params``)."""
    p = spec_for(ctx.op.opcode).params(ctx.op, ctx.graph)
    return _unary_size(ctx, ctx.rule.params_struct, p, tuple(p))


def requantize(ctx) -> KernelCall:
    (x_t,), out_t = op_tensors(ctx, 1)
    if x_t.dtype != "int8" or x_t.quant is None:
        raise ModelError(f"QUANTIZE from {x_t.dtype} has no C kernel (int8 -> int8 only)")
    m, sh = quant.quantize_multiplier(float(np.float32(x_t.quant.scalar_scale))
                                      / float(np.float32(out_t.quant.scalar_scale)))
    p = dict(input_zp=x_t.quant.scalar_zero_point, output_zp=out_t.quant.scalar_zero_point,
             multiplier=m, shift=sh)
    return _unary_size(ctx, "ck_requantize_s8_params", p, tuple(p))


# ---- reduce and data movement -----------------------------------------------------------------

def mean(ctx, sum_: bool = False) -> KernelCall:
    """MEAN, and SUM (``sum_``: ck_mean_s8 with the multiplier of reduce.sum_params)."""
    (x_t, a_t), out_t = op_tensors(ctx, 2)
    if a_t is None or not a_t.is_const:
        raise ModelError(f"{ctx.op.opcode} needs constant axes")
    axes = np.asarray(a_t.data).reshape(-1).tolist()
    outer, red, inner = reduce.mean_geometry(x_t.shape, axes)
    q = (x_t.quant.scalar_scale, x_t.quant.scalar_zero_point, out_t.quant.scalar_scale,
         out_t.quant.scalar_zero_point)
    p = reduce.sum_params(*q) if sum_ else reduce.mean_params(*q, red)
    fields = dict(outer=outer, reduce=red, inner=inner, **p)
    return KernelCall("ck_mean_s8_params", fields, [ctx.ptr(x_t.index), ctx.ptr(out_t.index)],
                      macc=x_t.num_elements)


def sum_(ctx) -> KernelCall:
    return mean(ctx, sum_=True)


def pad(ctx) -> KernelCall:
    (x_t, p_t, v_t), out_t = op_tensors(ctx, 3)
    if p_t is None or not p_t.is_const:
        raise ModelError("PAD needs constant paddings")
    if v_t is not None:
        if not v_t.is_const:
            raise ModelError("PADV2 needs a constant pad value")
        value = int(np.asarray(v_t.data).reshape(-1)[0])
    else:
        value = out_t.quant.scalar_zero_point if out_t.quant is not None else 0
    dims, before, after = shape_ops.pad4(x_t.shape, p_t.data)
    fields = dict(in_dims=dims, pad_before=before, pad_after=after, pad_value=value)
    return KernelCall("ck_pad_s8_params", fields, [ctx.ptr(x_t.index), ctx.ptr(out_t.index)])


def concat(ctx) -> KernelCall:
    op = ctx.op
    if op.options.get("fused_activation_function", "NONE") != "NONE":
        raise ModelError("CONCATENATION with a fused activation is not supported")
    ins = [ctx.graph.tensor(i) for i in op.inputs]
    out_t = ctx.graph.tensor(op.outputs[0])
    if not 1 <= len(ins) <= 10:
        raise ModelError(f"CONCATENATION of {len(ins)} inputs (the kernel takes 1..10)")
    outer, inner, sizes = shape_ops.concat_geometry([t.shape for t in ins],
                                                    int(op.options.get("axis", 0)))
    fields = dict(num_inputs=len(ins), outer_size=outer, inner_size=inner)
    axis_sizes = ConstArray(f"{ctx.prefix}_axis_sizes", "int32_t", i32(sizes))
    ptrs = ", ".join(f"(const int8_t *){ctx.ptr(t.index)}" for t in ins)
    ctx.extra_decls.append(f"static const int8_t *const {ctx.prefix}_inputs[] = {{{ptrs}}};")
    args = [f"{ctx.prefix}_inputs", axis_sizes.name, ctx.ptr(out_t.index)]
    return KernelCall("ck_concat_s8_params", fields, args, [axis_sizes])


def reshape(ctx) -> KernelCall:
    """Alias (no call) when the input lives in the arena; a copy from flash otherwise."""
    (x_t,), out_t = op_tensors(ctx, 1)
    return KernelCall(None, {}, [ctx.ptr(x_t.index), ctx.ptr(out_t.index), str(out_t.nbytes)])


EMITTERS = {"conv2d": conv2d, "depthwise_conv2d": depthwise_conv2d,
            "fully_connected": fully_connected, "avgpool": avgpool, "maxpool": maxpool,
            "softmax": softmax_, "add": add, "mul": mul, "unary": unary,
            "requantize": requantize, "mean": mean, "pad": pad, "concat": concat,
            "reshape": reshape, "prelu": prelu, "minmax": minmax, "prelu_f32": minmax,
            "sum": sum_, "squared_difference": squared_difference}

