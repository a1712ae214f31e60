"""ONNX node converters for feature maps: Conv, BatchNormalization, MaxPool, AveragePool,
GlobalAveragePool, and the padding / geometry they share."""
from __future__ import annotations

import numpy as np

from .onnx_importer import _Fail, _Value
from .onnx_layout import FLAT, NHWC


def _need_nhwc(imp, v: _Value, what: str) -> None:
    if v.layout != NHWC:
        raise _Fail(f"{what} needs a 4-D [N, C, H, W] input, got {list(imp.onnx_shape(v))}")


def _same_pads(size, k, s, d) -> tuple[int, int]:
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def _spatial(node, a, hw, kernel, strides, dilations):
    """'SAME', 'VALID' or explicit ((top, bottom), (left, right)) for this node's padding."""
    auto = a.get("auto_pad", "NOTSET")
    same = [_same_pads(hw[i], kernel[i], strides[i], dilations[i]) for i in range(2)]
    if auto == "VALID":
        return "VALID"
    if auto == "SAME_UPPER":
        return "SAME"
    if auto == "SAME_LOWER":
        pads = [(p[1], p[0]) for p in same]
    elif auto == "NOTSET":
        p = list(a.get("pads", [0, 0, 0, 0]))
        if len(p) != 4:
            raise _Fail(f"pads {p} is not 2-D [top, left, bottom, right]")
        pads = [(p[0], p[2]), (p[1], p[3])]
    else:
        raise _Fail(f"auto_pad {auto!r} is not supported")
    if all(x == 0 for pr in pads for x in pr):
        return "VALID"
    if pads == same:
        return "SAME"
    return tuple(pads)


def _geometry(a, kernel):
    strides = list(a.get("strides", [1, 1]))
    dil = list(a.get("dilations", [1, 1]))
    if len(kernel) != 2 or len(strides) != 2 or len(dil) != 2:
        raise _Fail(f"only 2-D kernels are supported (kernel_shape {list(kernel)})")
    return strides, dil


def _out_hw(hw, kernel, strides, dil, padding):
    from ..reference.padding import compute_padding
    return [compute_padding(hw[i], kernel[i], strides[i], dil[i], padding)[1] for i in range(2)]


def _conv(imp, node, a):
    x = imp.act(node.input[0])
    _need_nhwc(imp, x, "Conv")
    w = np.asarray(imp.constant(node, 1, "weights W"), np.float32)
    b = imp.constant(node, 2, "bias B", required=False)
    n, h, wd, c = imp.shape(x.tensor)
    if w.ndim != 4:
        raise _Fail(f"weights {list(w.shape)}: only 2-D convolution is supported")
    o, ig, kh, kw = w.shape
    if list(a.get("kernel_shape", [kh, kw])) != [kh, kw]:
        raise _Fail(f"kernel_shape {a['kernel_shape']} does not match weights {list(w.shape)}")
    group = int(a.get("group", 1))
    strides, dil = _geometry(a, (kh, kw))
    if group == 1 and ig == c:
        opcode, wdata, extra = "CONV_2D", w.transpose(0, 2, 3, 1), {}
    elif group == c and ig == 1 and o % c == 0:
        opcode, wdata = "DEPTHWISE_CONV_2D", w[:, 0].transpose(1, 2, 0)[None]
        extra = {"depth_multiplier": o // c}
    else:
        raise _Fail(f"group={group} with weights {list(w.shape)} on {c} input channels: only "
                    f"group 1 (CONV_2D) or group == C_in (depthwise) is supported")
    padding = _spatial(node, a, (h, wd), (kh, kw), strides, dil)
    xi = x.tensor
    if not isinstance(padding, str):
        (t, bt), (l, r) = padding
        pads = imp.const([[0, 0], [t, bt], [l, r], [0, 0]], f"{node.output[0]}/pads", "int32")
        xi = imp.op("PAD", [xi, pads], (n, h + t + bt, wd + l + r, c), f"{node.output[0]}/pad")
        h, wd, padding = h + t + bt, wd + l + r, "VALID"
    oh, ow = _out_hw((h, wd), (kh, kw), strides, dil, padding)
    wt = imp.const(wdata, f"{node.output[0]}/weights")
    if b is not None and np.size(b) != o:
        raise _Fail(f"bias B {list(np.shape(b))} does not have one value per output channel ({o})")
    bt = -1 if b is None else imp.const(np.reshape(b, (o,)), f"{node.output[0]}/bias")
    out = imp.op(opcode, [xi, wt, bt], (n, oh, ow, o), node.output[0], padding=padding,
                 stride_h=strides[0], stride_w=strides[1], dilation_h_factor=dil[0],
                 dilation_w_factor=dil[1], fused_activation_function="NONE", **extra)
    imp.producer[node.output[0]] = ("Conv", imp.ops[-1])
    imp.set(node, out, NHWC)


def _batchnorm(imp, node, a):
    if int(a.get("training_mode", 0)):
        raise _Fail("training_mode=1 is not supported")
    if any(o for o in node.output[1:]):
        raise _Fail("running mean/var outputs are not supported")
    x = imp.act(node.input[0])
    gamma, beta, mean, var = (np.asarray(imp.constant(node, k, n), np.float64)
                              for k, n in ((1, "scale"), (2, "B"), (3, "input_mean"),
                                           (4, "input_var")))
    channels = imp.onnx_shape(x)[1] if len(imp.onnx_shape(x)) > 1 else 0
    if any(p.shape != (channels,) for p in (gamma, beta, mean, var)):
        raise _Fail(f"scale, B, mean and var must each hold one value per channel ({channels})")
    var_eps = var + float(a.get("epsilon", 1e-5))
    if not np.all(var_eps > 0):
        raise _Fail("input_var + epsilon must be positive")
    scale = gamma / np.sqrt(var_eps)
    shift = beta - mean * scale
    prod = imp.producer.get(node.input[0])
    if prod is not None and prod[0] == "Conv" and imp.sole_consumer(node.input[0]):
        op = prod[1]
        w_t = imp.tensors[op.inputs[1]]
        axis = 0 if op.opcode == "CONV_2D" else 3
        shape = [1] * 4
        shape[axis] = -1
        w_t.data = (w_t.data.astype(np.float64) * scale.reshape(shape)).astype(np.float32)
        if op.inputs[2] < 0:
            conv_name = imp.tensors[op.outputs[0]].name
            op.inputs[2] = imp.const(np.zeros(scale.size), f"{conv_name}/bias")
        b_t = imp.tensors[op.inputs[2]]
        b_t.data = (b_t.data.astype(np.float64) * scale + shift).astype(np.float32)
        imp.values[node.output[0]] = x
        return
    shape = (1, 1, 1, -1) if x.layout == NHWC else (1, -1)
    if x.layout == FLAT:
        raise _Fail("BatchNormalization of a flattened feature map is not supported")
    s = imp.const(scale.reshape(shape), f"{node.output[0]}/scale")
    t = imp.const(shift.reshape(shape), f"{node.output[0]}/shift")
    full = imp.shape(x.tensor)
    y = imp.op("MUL", [x.tensor, s], full, f"{node.output[0]}/mul")
    imp.set(node, imp.op("ADD", [y, t], full, node.output[0]), x.layout)


def _pool(kind):
    def convert(imp, node, a):
        x = imp.act(node.input[0])
        _need_nhwc(imp, x, node.op_type)
        if any(o for o in node.output[1:]):
            raise _Fail("the Indices output is not supported")
        kernel = list(a.get("kernel_shape", []))
        strides, dil = _geometry(a, kernel)
        if dil != [1, 1]:
            raise _Fail(f"dilations {dil} are not supported")
        if int(a.get("storage_order", 0)):
            raise _Fail("storage_order=1 is not supported")
        n, h, w, c = imp.shape(x.tensor)
        padding = _spatial(node, a, (h, w), kernel, strides, dil)
        if not isinstance(padding, str):
            raise _Fail(f"pads {list(a.get('pads', []))} are neither TFLite SAME nor VALID (a "
                        "pool cannot be given a PAD op)")
        if kind == "avg" and padding == "SAME" and int(a.get("count_include_pad", 0)):
            raise _Fail("count_include_pad=1 with padding is not supported (TFLite averages "
                        "over the pixels inside the image)")
        oh, ow = _out_hw((h, w), kernel, strides, dil, padding)
        if int(a.get("ceil_mode", 0)) and padding == "VALID":
            ceil = [-(-(d - k) // s) + 1 for d, k, s in zip((h, w), kernel, strides)]
            if ceil != [oh, ow]:
                raise _Fail("ceil_mode=1 changes the output size here; not supported")
        opcode = "MAX_POOL_2D" if kind == "max" else "AVERAGE_POOL_2D"
        imp.set(node, imp.op(opcode, [x.tensor], (n, oh, ow, c), node.output[0],
                             padding=padding, stride_h=strides[0], stride_w=strides[1],
                             filter_height=kernel[0], filter_width=kernel[1],
                             fused_activation_function="NONE"), NHWC)
    return convert


def _global_avg(imp, node, a):
    x = imp.act(node.input[0])
    _need_nhwc(imp, x, "GlobalAveragePool")
    n, _, _, c = imp.shape(x.tensor)
    axes = imp.const([1, 2], f"{node.output[0]}/axes", "int32")
    imp.set(node, imp.op("MEAN", [x.tensor, axes], (n, 1, 1, c), node.output[0],
                         keep_dims=True), NHWC)
