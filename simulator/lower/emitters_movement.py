"""Emitters of the data-movement ops: TRANSPOSE, STRIDED_SLICE, GATHER, PACK, RESIZE_*.

One emitter per op serves int8 and float32: the rule row names the kernel for the element
size (``ck_strided_copy_x8`` / ``_x32`` ...) and its params struct; pointers to 4-byte
elements are cast to ``int32_t *`` (the _x32 kernels move float32 bits unchanged). Every number
comes from the reference (``reference/movement.py``, ``reference/resize.py``).
"""
from __future__ import annotations

import numpy as np

from ..errors import ModelError
from ..reference import movement, resize
from .kernel_call import F32_IN, F32_OUT, ConstArray, KernelCall, i32, op_tensors


def _casts(t) -> tuple[str | None, str | None]:
    """(input cast, output cast) of a kernel moving ``t``'s elements."""
    if t.dtype == "float32":
        return "const int32_t *", "int32_t *"
    if t.dtype != "int8":
        raise ModelError(f"{t.dtype} tensors have no data-movement kernel (int8, float32)")
    return None, None


def _const(t, what: str) -> np.ndarray:
    if t is None or not t.is_const:
        raise ModelError(f"{what} must be a constant tensor")
    return np.asarray(t.data)


def _strided(ctx, fields: dict) -> KernelCall:
    (x_t,), out_t = op_tensors(ctx, 1)
    if int(np.prod(fields["out_dims"])) != out_t.num_elements:
        raise ModelError(f"the op gives {fields['out_dims']} elements, the output tensor "
                         f"declares {list(out_t.shape)}")
    cin, cout = _casts(x_t)
    return KernelCall("ck_strided_copy_params", fields,
                      [ctx.ptr(x_t.index, cin), ctx.ptr(out_t.index, cout)])


def transpose(ctx) -> KernelCall:
    (x_t, p_t), _ = op_tensors(ctx, 2)
    movement.check_rank(len(x_t.shape), "TRANSPOSE")
    return _strided(ctx, movement.transpose_view(x_t.shape, _const(p_t, "TRANSPOSE perm")))


def strided_slice(ctx) -> KernelCall:
    (x_t, b_t, e_t, s_t), out_t = op_tensors(ctx, 4)
    movement.check_rank(len(x_t.shape), "STRIDED_SLICE")
    ranges = movement.slice_ranges(x_t.shape, _const(b_t, "begin"), _const(e_t, "end"),
                                   _const(s_t, "strides"), ctx.op.options)
    if any(count == 0 for _, count, _, _ in ranges):
        raise ModelError("STRIDED_SLICE with an empty output has no C kernel")
    return _strided(ctx, movement.strided_view(x_t.shape, [r[:3] for r in ranges]))


def gather(ctx) -> KernelCall:
    (x_t, i_t), out_t = op_tensors(ctx, 2)
    idx = _const(i_t, "GATHER indices").astype(np.int64).reshape(-1)
    axis = int(ctx.op.options.get("axis", 0))
    movement.gather(np.zeros(x_t.shape, np.int8), idx, axis,        # the reference's checks
                    int(ctx.op.options.get("batch_dims", 0)))
    outer, size, inner = movement.gather_geometry(x_t.shape, axis)
    fields = dict(outer=outer, axis_size=size, inner=inner, num_indices=int(idx.size))
    indices = ConstArray(f"{ctx.prefix}_indices", "int32_t", i32(idx))
    cin, cout = _casts(x_t)
    args = [ctx.ptr(x_t.index, cin), indices.name, ctx.ptr(out_t.index, cout)]
    return KernelCall("ck_gather_params", fields, args, [indices])


def pack(ctx) -> KernelCall:
    """PACK as CONCATENATION (ck_concat_s8 / _f32) of inputs of axis size 1 each."""
    op = ctx.op
    ins = [ctx.graph.tensor(i) for i in op.inputs]
    out_t = ctx.graph.tensor(op.outputs[0])
    if not 1 <= len(ins) <= 10:
        raise ModelError(f"PACK of {len(ins)} inputs (the concatenation kernel takes 1..10)")
    outer, inner, sizes = movement.pack_geometry(ins[0].shape, int(op.options.get("axis", 0)),
                                                 len(ins))
    fields = dict(num_inputs=len(ins), outer_size=outer, inner_size=inner)
    axis_sizes = ConstArray(f"{ctx.prefix}_axis_sizes", "int32_t", i32(sizes))
    ctype, cast, out_cast = (("float", F32_IN, F32_OUT) if out_t.dtype == "float32"
                             else ("int8_t", "const int8_t *", None))
    ptrs = ", ".join(ctx.ptr(t.index, cast) for t in ins)
    ctx.extra_decls.append(f"static const {ctype} *const {ctx.prefix}_inputs[] = {{{ptrs}}};")
    args = [f"{ctx.prefix}_inputs", axis_sizes.name, ctx.ptr(out_t.index, out_cast)]
    return KernelCall(ctx.rule.params_struct, fields, args, [axis_sizes])


def _resize_geometry(ctx):
    (x_t, s_t), out_t = op_tensors(ctx, 2)
    if len(x_t.shape) != 4:
        raise ModelError(f"resize needs a 4-D NHWC input, got {list(x_t.shape)}")
    oh, ow = resize.out_size(ctx.op, ctx.graph)
    n, h, w, c = x_t.shape
    flags = resize.resize_flags(ctx.op.options, ctx.op.opcode)
    return x_t, out_t, dict(batches=n, in_h=h, in_w=w, channels=c, out_h=oh, out_w=ow), flags


def resize_nearest(ctx) -> KernelCall:
    x_t, out_t, geo, (ac, hpc) = _resize_geometry(ctx)
    maps = [ConstArray(f"{ctx.prefix}_{axis}_map", "int32_t",
                       resize.nearest_map(geo[f"in_{dim}"], geo[f"out_{dim}"], ac, hpc))
            for axis, dim in (("y", "h"), ("x", "w"))]
    cin, cout = _casts(x_t)
    args = [ctx.ptr(x_t.index, cin), maps[0].name, maps[1].name, ctx.ptr(out_t.index, cout)]
    return KernelCall("ck_resize_nearest_params", geo, args, maps)


def resize_bilinear(ctx) -> KernelCall:
    x_t, out_t, geo, (ac, hpc) = _resize_geometry(ctx)
    args = [ctx.ptr(x_t.index), ctx.ptr(out_t.index)]
    if x_t.dtype == "float32":
        fields = dict(geo, height_scale=resize.float_scale(geo["in_h"], geo["out_h"], ac),
                      width_scale=resize.float_scale(geo["in_w"], geo["out_w"], ac),
                      half_pixel_centers=int(hpc))
        args = [ctx.ptr(x_t.index, F32_IN), ctx.ptr(out_t.index, F32_OUT)]
    else:
        fields = dict(geo, height_scale_10=resize.scale_10(geo["in_h"], geo["out_h"], ac),
                      width_scale_10=resize.scale_10(geo["in_w"], geo["out_w"], ac),
                      half_pixel_centers=int(hpc))
        resize.resize_bilinear_s8(np.zeros((1, geo["in_h"], geo["in_w"], 1), np.int8),
                                  (geo["out_h"], geo["out_w"]), ac, hpc)   # its edge check
    return KernelCall(ctx.rule.params_struct, fields, args, macc=4 * out_t.num_elements)


EMITTERS = {"transpose": transpose, "strided_slice": strided_slice, "gather": gather,
            "pack": pack, "resize_nearest": resize_nearest, "resize_bilinear": resize_bilinear}
