"""Cases for the convolution and fully-connected fast paths (SIMD, 1x1, depthwise) and their
emulated runs: shared by the conv and depthwise/fc fast-path tests."""
from __future__ import annotations

import numpy as np

from simulator.reference.conv import conv2d_s8, depthwise_conv2d_s8
from simulator.reference.fully_connected import fully_connected_s8
from simulator.reference.padding import compute_padding
from tests.helpers.conv_kernels import conv_params, random_case, reference_kwargs
from tests.helpers.fc_kernels import random_case as random_fc_case


def shaped(seed, *, depthwise=False, in_hw=(5, 6), in_c=3, out_c=5, k=(3, 3), stride=(1, 1),
           dilation=(1, 1), padding="SAME", batches=1, dm=1, extreme=None):
    """A random_case with the geometry fixed (data, zero points, requantization random)."""
    rng = np.random.default_rng(seed)
    c = random_case(rng, depthwise=depthwise)
    c.update(batches=batches, in_h=in_hw[0], in_w=in_hw[1], in_c=in_c, k_h=k[0], k_w=k[1],
             stride_h=stride[0], stride_w=stride[1], dilation_h=dilation[0],
             dilation_w=dilation[1], depth_multiplier=dm if depthwise else 0)
    c["out_c"] = in_c * dm if depthwise else out_c
    c["pad_top"], c["out_h"] = compute_padding(in_hw[0], k[0], stride[0], dilation[0], padding)
    c["pad_left"], c["out_w"] = compute_padding(in_hw[1], k[1], stride[1], dilation[1], padding)
    n_q = c["out_c"] if c["per_channel"] else 1
    c["multiplier"] = np.resize(c["multiplier"], n_q).astype(np.int32)
    c["shift"] = np.resize(c["shift"], n_q).astype(np.int32)
    c["x"] = rng.integers(-128, 128, (batches, *in_hw, in_c), dtype=np.int8)
    c["w"] = rng.integers(-128, 128, (1, *k, c["out_c"]) if depthwise
                          else (c["out_c"], *k, in_c), dtype=np.int8)
    if c["bias"] is not None:
        c["bias"] = rng.integers(-20000, 20000, c["out_c"]).astype(np.int32)
    if extreme is not None:   # saturating requantization: the INT32_MIN and shift corners
        mult, shift = extreme
        c["multiplier"] = np.full(n_q, mult, np.int32)
        c["shift"] = np.full(n_q, shift, np.int32)
        c["act_min"], c["act_max"] = -128, 127
    return c


def reference(c, depthwise):
    if depthwise:
        return depthwise_conv2d_s8(c["x"], c["w"], c["bias"],
                                   depth_multiplier=c["depth_multiplier"],
                                   **reference_kwargs(c))
    return conv2d_s8(c["x"], c["w"], c["bias"], **reference_kwargs(c))


def fc_case(seed, batches, n_in, n_out, extreme=None):
    c = random_fc_case(np.random.default_rng(seed))
    rng = np.random.default_rng(seed + 1)
    c.update(batches=batches, in_features=n_in, out_features=n_out)
    n_q = n_out if c["per_channel"] else 1
    c["multiplier"] = np.resize(c["multiplier"], n_q).astype(np.int32)
    c["shift"] = np.resize(c["shift"], n_q).astype(np.int32)
    c["x"] = rng.integers(-128, 128, (batches, n_in), dtype=np.int8)
    c["w"] = rng.integers(-128, 128, (n_out, n_in), dtype=np.int8)
    if c["bias"] is not None:
        c["bias"] = rng.integers(-20000, 20000, n_out).astype(np.int32)
    if extreme is not None:
        c["multiplier"] = np.full(n_q, extreme[0], np.int32)
        c["shift"] = np.full(n_q, extreme[1], np.int32)
    return c


def fc_reference(c):
    return fully_connected_s8(c["x"], c["w"], c["bias"], input_zp=-c["input_offset"],
                              output_zp=c["output_offset"], multiplier=c["multiplier"],
                              shift=c["shift"], act_min=c["act_min"], act_max=c["act_max"])


def emulate_conv(fw, c, depthwise):
    params = conv_params(c)
    out = np.zeros((c["batches"], c["out_h"], c["out_w"], c["out_c"]), np.int8)
    bias = 0 if c["bias"] is None else c["bias"]
    args = [params, c["x"], c["w"], bias, c["multiplier"], c["shift"], out]
    if depthwise:
        r = fw.call("ck_depthwise_conv_s8_wrapper", *args)
    else:
        size = fw.call("ck_conv_s8_wrapper_get_buffer_size", params).value
        scratch = np.full(max(size, 1) + 3, 0x77, np.uint8)[3:]   # odd address: any alignment
        r = fw.call("ck_conv_s8_wrapper", *args, scratch, size)
    return r.value, r.arrays[sum(isinstance(a, np.ndarray) for a in args) - 1]
