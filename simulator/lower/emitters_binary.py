"""1-bit binary emitters (``ck_binary.h``): mcusim's CUSTOM ops -> parameter struct and call.
Every number from ``reference/binary.py`` (``bconv_geometry``, ``binary_epilogue_params``);
packed tensors are uint32 words in C (int32 in the IR)."""
from __future__ import annotations

from ..errors import ModelError
from ..reference import binary
from .kernel_call import ConstArray, KernelCall, i32, op_tensors

W_IN, W_OUT = "const uint32_t *", "uint32_t *"


def bpack(ctx) -> KernelCall:
    (x_t,), out_t = op_tensors(ctx, 1)
    if x_t.quant is None:
        raise ModelError("MCUSIM_BPACK needs a quantized int8 input")
    c = x_t.shape[-1]
    args = [str(x_t.num_elements // c), str(c), str(x_t.quant.scalar_zero_point),
            ctx.ptr(x_t.index), ctx.ptr(out_t.index, W_OUT)]
    return KernelCall(None, {}, args, macc=x_t.num_elements)


def _binary_epilogue(ctx, head: dict, x_t, w_t, out_t, macc: int, struct: str) -> KernelCall:
    ep = binary.binary_epilogue_params(ctx.op, ctx.graph)
    p = ctx.prefix
    x, w = ctx.ptr(x_t.index, W_IN), ctx.ptr(w_t.index, W_IN)
    if "threshold" in ep:
        fields = dict(head, output_offset=0, act_min=-128, act_max=127)
        thr = ConstArray(f"{p}_threshold", "int32_t", i32(ep["threshold"]))
        return KernelCall(struct, fields, [x, w, thr.name, ctx.ptr(out_t.index, W_OUT)], [thr],
                          macc=macc)
    fields = dict(head, output_offset=ep["output_zp"], act_min=ep["act_min"],
                  act_max=ep["act_max"])
    arrays = [ConstArray(f"{p}_{k}", "int32_t", i32(ep[k])) for k in ("bias", "multiplier",
                                                                        "shift")]
    return KernelCall(struct, fields, [x, w, *(a.name for a in arrays), ctx.ptr(out_t.index)],
                      arrays, macc=macc)


def bconv2d(ctx) -> KernelCall:
    (x_t, w_t, _), out_t = op_tensors(ctx, 3)
    if len(x_t.shape) != 4 or w_t is None or not w_t.is_const or len(w_t.shape) != 4:
        raise ModelError("MCUSIM_BCONV2D needs a packed 4-D input and constant 4-D weights")
    geo = binary.bconv_geometry(ctx.op, x_t.shape, w_t.shape)
    n, h, w, _ = x_t.shape
    c_out, kh, kw, _ = w_t.shape
    (oh, ow) = geo["out_hw"]
    head = dict(batches=n, in_h=h, in_w=w, in_c=geo["channels"], out_h=oh, out_w=ow,
                out_c=c_out, k_h=kh, k_w=kw, stride_h=geo["stride"][0],
                stride_w=geo["stride"][1], pad_top=geo["pad"][0], pad_left=geo["pad"][1])
    macc = n * oh * ow * c_out * kh * kw * geo["channels"]
    return _binary_epilogue(ctx, head, x_t, w_t, out_t, macc, "ck_bconv_params")


def bfc(ctx) -> KernelCall:
    (x_t, w_t, _), out_t = op_tensors(ctx, 3)
    if w_t is None or not w_t.is_const or len(w_t.shape) != 2:
        raise ModelError("MCUSIM_BFC needs constant 2-D packed weights")
    out_f, in_words = w_t.shape
    if x_t.num_elements % in_words:
        raise ModelError(f"packed input {x_t.shape} does not flatten onto {in_words} words")
    in_features = int(binary.binary_options(ctx.op)["in_features"])
    rows = x_t.num_elements // in_words
    head = dict(batches=rows, in_words=in_words, in_features=in_features, out_features=out_f)
    return _binary_epilogue(ctx, head, x_t, w_t, out_t, rows * out_f * in_features,
                            "ck_bfc_params")


EMITTERS = {"bpack": bpack, "bconv2d": bconv2d, "bfc": bfc}
