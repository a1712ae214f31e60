"""float32 emitters (``ck_float.h``, and ``ck_quantize.h``'s float QUANTIZE/DEQUANTIZE): IR op
-> parameter struct and call. Geometry comes from ``reference/float_ops.py``'s own helper, so the
C kernel and the NumPy definition agree on padding defaults; float constants are written as hex
literals (exact bits)."""
from __future__ import annotations

import numpy as np

from ..errors import ModelError
from ..reference import elementwise, float_ops, reduce, shape_ops
from .kernel_call import (F32_IN, F32_OUT, ConstArray, KernelCall, bias_ptr,  # noqa: F401
                          f32_literal, i32, op_tensors)

F32_ACT = {"NONE": 0, "RELU": 1, "RELU6": 2, "RELU_N1_TO_1": 3}


def _f32_act(ctx) -> int:
    fused = ctx.op.options.get("fused_activation_function", "NONE") or "NONE"
    if fused not in F32_ACT:
        raise ModelError(f"fused activation {fused} has no float32 C kernel (NONE, RELU, RELU6, "
                         "RELU_N1_TO_1)")
    return F32_ACT[fused]


def _conv_f32(ctx, depthwise: bool) -> KernelCall:
    (x_t, w_t, b_t), out_t = op_tensors(ctx, 3)
    if len(x_t.shape) != 4 or w_t is None or not w_t.is_const:
        raise ModelError("float32 conv needs a 4-D NHWC input and constant weights")
    _, kh, kw, _ = w_t.shape
    n, h, w, c_in = x_t.shape
    stride, dil, pad, (oh, ow) = float_ops.conv_geometry(ctx.op.options, h, w, kh, kw)
    c_out = w_t.shape[3] if depthwise else w_t.shape[0]
    dm = c_out // c_in if depthwise else 1
    if depthwise and (dm < 1 or dm * c_in != c_out):
        raise ModelError(f"depthwise filter has {c_out} channels for {c_in} input channels")
    fields = dict(batches=n, in_h=h, in_w=w, in_c=c_in, out_h=oh, out_w=ow, out_c=c_out,
                  k_h=kh, k_w=kw, stride_h=stride[0], stride_w=stride[1], dilation_h=dil[0],
                  dilation_w=dil[1], pad_top=pad[0], pad_left=pad[1], depth_multiplier=dm,
                  activation=_f32_act(ctx))
    args = [ctx.ptr(x_t.index, F32_IN), ctx.ptr(w_t.index, F32_IN),
            bias_ptr(ctx, b_t, F32_IN), ctx.ptr(out_t.index, F32_OUT)]
    taps = kh * kw * (1 if depthwise else c_in)
    return KernelCall("ck_conv_f32_params", fields, args, macc=out_t.num_elements * taps)


def conv2d_f32(ctx) -> KernelCall:
    return _conv_f32(ctx, depthwise=False)


def depthwise_conv2d_f32(ctx) -> KernelCall:
    return _conv_f32(ctx, depthwise=True)


def fully_connected_f32(ctx) -> KernelCall:
    (x_t, w_t, b_t), out_t = op_tensors(ctx, 3)
    if w_t is None or not w_t.is_const or len(w_t.shape) != 2:
        raise ModelError("FULLY_CONNECTED needs constant 2-D weights")
    out_f, in_f = w_t.shape
    if x_t.num_elements % in_f:
        raise ModelError(f"input {x_t.shape} cannot be flattened onto weights {w_t.shape}")
    batches = x_t.num_elements // in_f
    fields = dict(batches=batches, in_features=in_f, out_features=out_f,
                  activation=_f32_act(ctx))
    args = [ctx.ptr(x_t.index, F32_IN), ctx.ptr(w_t.index, F32_IN),
            bias_ptr(ctx, b_t, F32_IN), ctx.ptr(out_t.index, F32_OUT)]
    return KernelCall("ck_fc_f32_params", fields, args, macc=batches * in_f * out_f)


def pool_f32(ctx) -> KernelCall:
    (x_t,), out_t = op_tensors(ctx, 1)
    if len(x_t.shape) != 4:
        raise ModelError(f"pooling needs a 4-D NHWC input, got {x_t.shape}")
    o = ctx.op.options
    fh, fw = int(o.get("filter_height", 1)), int(o.get("filter_width", 1))
    n, h, w, c = x_t.shape
    stride, _, pad, (oh, ow) = float_ops.conv_geometry(
        {**o, "padding": o.get("padding", "VALID"), "dilation_h_factor": 1,
         "dilation_w_factor": 1}, h, w, fh, fw)
    fields = dict(batches=n, in_h=h, in_w=w, channels=c, out_h=oh, out_w=ow, filter_h=fh,
                  filter_w=fw, stride_h=stride[0], stride_w=stride[1], pad_top=pad[0],
                  pad_left=pad[1], activation=_f32_act(ctx))
    return KernelCall("ck_pool_f32_params", fields,
                      [ctx.ptr(x_t.index, F32_IN), ctx.ptr(out_t.index, F32_OUT)],
                      macc=out_t.num_elements * fh * fw)


def bcast_split(full, small) -> tuple[int, int] | None:
    """(outer, inner) when ``small`` (right-aligned) is ``full``'s trailing dimensions after
    leading 1s, so ``small`` repeats ``outer`` times; None for any other broadcast."""
    full, small = list(full), list(small)
    if len(small) > len(full):
        if any(d != 1 for d in small[:len(small) - len(full)]):
            return None
        small = small[len(small) - len(full):]
    small = [1] * (len(full) - len(small)) + small
    k = len(full)
    while k > 0 and small[k - 1] == full[k - 1]:
        k -= 1
    if any(d != 1 for d in small[:k]):
        return None
    prod = lambda dims: int(np.prod(dims, dtype=np.int64))  # noqa: E731
    return prod(full[:k]), prod(full[k:])


def _broadcast_f32(ctx) -> KernelCall:
    """ADD / MUL: same shapes (outer 1), or one operand repeated along leading axes
    ([1, H, W, C] op [1, 1, 1, C], a scalar ...); the repeated one is passed as ``b``."""
    (a_t, b_t), out_t = op_tensors(ctx, 2)
    split = None
    if a_t.num_elements == out_t.num_elements:
        split = bcast_split(out_t.shape, b_t.shape)
    if split is None and b_t.num_elements == out_t.num_elements:
        split = bcast_split(out_t.shape, a_t.shape)
        a_t, b_t = b_t, a_t
    if split is None:
        raise ModelError(f"float32 {ctx.op.opcode} with broadcasting {list(a_t.shape)} and "
                         f"{list(b_t.shape)} -> {list(out_t.shape)} is not supported: "
                         f"{ctx.rule.kernel} takes two operands of the same shape, or one "
                         f"repeated along leading axes (e.g. [1, H, W, C] and [1, 1, 1, C])")
    outer, inner = split
    args = [str(outer), str(inner), str(_f32_act(ctx)), ctx.ptr(a_t.index, F32_IN),
            ctx.ptr(b_t.index, F32_IN), ctx.ptr(out_t.index, F32_OUT)]
    return KernelCall(None, {}, args, macc=out_t.num_elements)


add_f32 = mul_f32 = _broadcast_f32


def sub_f32(ctx) -> KernelCall:
    """SUB (not commutative, any 4-D broadcast): ``ck_sub_f32(&shape, act, in1, in2, out)``."""
    (a_t, b_t), out_t = op_tensors(ctx, 2)
    dims, s1, s2 = elementwise.broadcast4(a_t.shape, b_t.shape)
    shape = ("ck_broadcast4", f"{ctx.prefix}_shape",
             dict(out_dims=dims, in1_strides=s1, in2_strides=s2))
    args = [f"&{shape[1]}", str(_f32_act(ctx)), ctx.ptr(a_t.index, F32_IN),
            ctx.ptr(b_t.index, F32_IN), ctx.ptr(out_t.index, F32_OUT)]
    return KernelCall(None, {}, args, macc=out_t.num_elements, structs=[shape])


def unary_f32(ctx) -> KernelCall:
    """LOGISTIC / TANH: (size, in, out)."""
    (x_t,), out_t = op_tensors(ctx, 1)
    return KernelCall(None, {}, [str(x_t.num_elements), ctx.ptr(x_t.index, F32_IN),
                                 ctx.ptr(out_t.index, F32_OUT)], macc=x_t.num_elements)


def leaky_relu_f32(ctx) -> KernelCall:
    """(size, alpha, in, out): alpha the option's float32, as an exact C literal."""
    (x_t,), out_t = op_tensors(ctx, 1)
    alpha = f32_literal(ctx.op.options.get("alpha", 0.0))
    return KernelCall(None, {}, [str(x_t.num_elements), alpha, ctx.ptr(x_t.index, F32_IN),
                                 ctx.ptr(out_t.index, F32_OUT)], macc=x_t.num_elements)


def mean_f32(ctx) -> KernelCall:
    (x_t, a_t), out_t = op_tensors(ctx, 2)
    if a_t is None or not a_t.is_const:
        raise ModelError(f"{ctx.op.opcode} needs constant axes")
    outer, red, inner = reduce.mean_geometry(x_t.shape, np.asarray(a_t.data).reshape(-1))
    args = [str(outer), str(red), str(inner), ctx.ptr(x_t.index, F32_IN),
            ctx.ptr(out_t.index, F32_OUT)]
    return KernelCall(None, {}, args, macc=x_t.num_elements)


def pad_f32(ctx) -> KernelCall:
    (x_t, p_t, v_t), out_t = op_tensors(ctx, 3)
    if p_t is None or not p_t.is_const:
        raise ModelError(f"{ctx.op.opcode} needs constant paddings")
    value = 0.0
    if v_t is not None:
        if not v_t.is_const:
            raise ModelError("PADV2 needs a constant pad value")
        value = np.asarray(v_t.data, np.float32).reshape(-1)[0]
    dims, before, after = shape_ops.pad4(x_t.shape, p_t.data)
    fields = dict(in_dims=dims, pad_before=before, pad_after=after)
    return KernelCall("ck_pad_f32_params", fields, [f32_literal(value), ctx.ptr(x_t.index, F32_IN),
                                                    ctx.ptr(out_t.index, F32_OUT)])


def concat_f32(ctx) -> KernelCall:
    op = ctx.op
    if (op.options.get("fused_activation_function", "NONE") or "NONE") != "NONE":
        raise ModelError("float32 CONCATENATION with a fused activation is not supported")
    ins = [ctx.graph.tensor(i) for i in op.inputs]
    out_t = ctx.graph.tensor(op.outputs[0])
    if not 1 <= len(ins) <= 10:
        raise ModelError(f"CONCATENATION of {len(ins)} inputs (the kernel takes 1..10)")
    outer, inner, sizes = shape_ops.concat_geometry([t.shape for t in ins],
                                                    int(op.options.get("axis", 0)))
    fields = dict(num_inputs=len(ins), outer_size=outer, inner_size=inner)
    axis_sizes = ConstArray(f"{ctx.prefix}_axis_sizes", "int32_t", i32(sizes))
    ptrs = ", ".join(ctx.ptr(t.index, F32_IN) for t in ins)
    ctx.extra_decls.append(f"static const float *const {ctx.prefix}_inputs[] = {{{ptrs}}};")
    args = [f"{ctx.prefix}_inputs", axis_sizes.name, ctx.ptr(out_t.index, F32_OUT)]
    return KernelCall("ck_concat_f32_params", fields, args, [axis_sizes])


def relu_f32(ctx) -> KernelCall:
    (x_t,), out_t = op_tensors(ctx, 1)
    act = F32_ACT[ctx.op.opcode]
    return KernelCall(None, {}, [str(x_t.num_elements), str(act), ctx.ptr(x_t.index, F32_IN),
                                 ctx.ptr(out_t.index, F32_OUT)], macc=x_t.num_elements)


def softmax_f32(ctx) -> KernelCall:
    (x_t,), out_t = op_tensors(ctx, 1)
    depth = x_t.shape[-1] if x_t.shape else 1
    beta = ctx.op.options.get("beta", 1.0) or 1.0
    args = [str(x_t.num_elements // depth), str(depth), f32_literal(beta),
            ctx.ptr(x_t.index, F32_IN), ctx.ptr(out_t.index, F32_OUT)]
    return KernelCall(None, {}, args, macc=x_t.num_elements)


def quantize_f32(ctx) -> KernelCall:
    (x_t,), out_t = op_tensors(ctx, 1)
    q = out_t.quant
    fields = dict(size=x_t.num_elements, scale=np.float32(q.scalar_scale),
                  zero_point=q.scalar_zero_point)
    return KernelCall("ck_affine_f32_params", fields,
                      [ctx.ptr(x_t.index, F32_IN), ctx.ptr(out_t.index)], macc=x_t.num_elements)


def dequantize_f32(ctx) -> KernelCall:
    (x_t,), out_t = op_tensors(ctx, 1)
    q = x_t.quant
    fields = dict(size=x_t.num_elements, scale=np.float32(q.scalar_scale),
                  zero_point=q.scalar_zero_point)
    return KernelCall("ck_affine_f32_params", fields,
                      [ctx.ptr(x_t.index), ctx.ptr(out_t.index, F32_OUT)], macc=x_t.num_elements)


EMITTERS = {"conv2d_f32": conv2d_f32, "depthwise_conv2d_f32": depthwise_conv2d_f32,
            "fully_connected_f32": fully_connected_f32, "pool_f32": pool_f32,
            "add_f32": add_f32, "mul_f32": mul_f32, "sub_f32": sub_f32, "relu_f32": relu_f32,
            "softmax_f32": softmax_f32, "logistic_f32": unary_f32, "tanh_f32": unary_f32,
            "hard_swish_f32": unary_f32, "leaky_relu_f32": leaky_relu_f32,
            "mean_f32": mean_f32, "pad_f32": pad_f32, "concat_f32": concat_f32,
            "quantize_f32": quantize_f32,
            "dequantize_f32": dequantize_f32}
