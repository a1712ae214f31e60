"""CMSIS-NN from Python with no C shim: its structs as ctypes, its sources as a library, and one
convolution case called through Firmware.call (the CMSIS-NN test and benchmarks/libc_and_flags.py).

CMSIS-NN is found at ``$MCUSIM_CMSIS_NN`` or ``../shared/third_party/CMSIS-NN`` beside the
repository (CI clones the repo with shared/ beside it); tests skip with a reason when absent.
The struct declarations mirror Include/arm_nn_types.h field for field; Firmware.call checks
them against the DWARF of the compiled library, so a mistake here is a StructLayoutError.
"""
from __future__ import annotations

import ctypes
import os
from pathlib import Path

import numpy as np

from simulator import ref
from simulator.reference.padding import compute_padding
from simulator.reference.quant import quantize_multiplier

REPO = Path(__file__).resolve().parents[2]
I32 = ctypes.c_int32


def cmsis_nn_root() -> Path | None:
    for cand in (os.environ.get("MCUSIM_CMSIS_NN"), REPO.parent / "shared" / "third_party" / "CMSIS-NN"):
        if cand and (Path(cand) / "Include" / "arm_nnfunctions.h").is_file():
            return Path(cand)
    return None


def conv_s8_sources(root: Path) -> list[Path]:
    """What arm_convolve_wrapper_s8 and its variants need (the linker drops the rest)."""
    conv = sorted((root / "Source" / "ConvolutionFunctions").glob("arm_convolve*_s8*.c")) + \
        sorted((root / "Source" / "ConvolutionFunctions").glob("arm_nn_mat_mult_kernel*s8*.c"))
    support = [p for p in sorted((root / "Source" / "NNSupportFunctions").glob("*.c"))
               if "f16" not in p.name and "f32" not in p.name]
    return conv + support


class Tile(ctypes.Structure):
    _fields_ = [("w", I32), ("h", I32)]


class Context(ctypes.Structure):
    _fields_ = [("buf", ctypes.c_void_p), ("size", I32)]


class Dims(ctypes.Structure):
    _fields_ = [("n", I32), ("h", I32), ("w", I32), ("c", I32)]


class PerChannelQuant(ctypes.Structure):
    _fields_ = [("multiplier", ctypes.POINTER(I32)), ("shift", ctypes.POINTER(I32))]


class Activation(ctypes.Structure):
    _fields_ = [("min", I32), ("max", I32)]


class ConvParams(ctypes.Structure):
    _fields_ = [("input_offset", I32), ("output_offset", I32), ("stride", Tile), ("padding", Tile),
                ("dilation", Tile), ("activation", Activation)]


def conv_case(rng, h, w, ci, co, k, stride, padding):
    """Random int8 data, weights and per-channel requantization for one convolution."""
    pad_h, oh = compute_padding(h, k, stride, 1, padding)
    pad_w, ow = compute_padding(w, k, stride, 1, padding)
    x = rng.integers(-128, 128, (1, h, w, ci), dtype=np.int8)
    wt = rng.integers(-127, 128, (co, k, k, ci), dtype=np.int8)
    bias = rng.integers(-3000, 3000, co, dtype=np.int32)
    qm = [quantize_multiplier(s) for s in rng.uniform(2e-4, 4e-3, co)]
    mult = np.array([q[0] for q in qm], np.int32)
    shift = np.array([q[1] for q in qm], np.int32)
    return dict(x=x, w=wt, bias=bias, mult=mult, shift=shift, pad=(pad_h, pad_w), out_hw=(oh, ow),
                stride=stride, in_zp=-7, out_zp=3)


def call_conv(fw, c, out=None):
    """arm_convolve_wrapper_s8 on ``c`` through ``fw.call``; scratch sized by its _get_buffer_size."""
    params = ConvParams(input_offset=-c["in_zp"], output_offset=c["out_zp"],
                           stride=Tile(c["stride"], c["stride"]), padding=Tile(c["pad"][1], c["pad"][0]),
                           dilation=Tile(1, 1), activation=Activation(-128, 127))
    x, wt = c["x"], c["w"]
    idims = Dims(1, x.shape[1], x.shape[2], x.shape[3])
    fdims = Dims(wt.shape[0], wt.shape[1], wt.shape[2], wt.shape[3])
    odims = Dims(1, c["out_hw"][0], c["out_hw"][1], wt.shape[0])
    bdims = Dims(1, 1, 1, wt.shape[0])
    quant = PerChannelQuant(multiplier=ref(c["mult"]), shift=ref(c["shift"]))
    size = fw.call("arm_convolve_wrapper_s8_get_buffer_size", params, idims, fdims, odims).value
    scratch = np.zeros(max(size, 4), np.int8)
    ctx = Context(buf=ref(scratch, ctypes.c_void_p), size=size)
    if out is None:
        out = np.zeros((1, *c["out_hw"], wt.shape[0]), np.int8)
    return fw.call("arm_convolve_wrapper_s8", ctx, params, quant, idims, x, fdims, wt, bdims, c["bias"],
                   odims, out)
