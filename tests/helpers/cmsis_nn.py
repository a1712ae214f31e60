"""CMSIS-NN from Python with no C shim: its structs as ctypes, its sources as a library.

CMSIS-NN is found at ``$MCUSIM_CMSIS_NN`` or ``../shared/third_party/CMSIS-NN`` beside the
repository (CI clones the repo with shared/ beside it); tests skip with a reason when absent.
The struct declarations mirror Include/arm_nn_types.h field for field; Firmware.call checks
them against the DWARF of the compiled library, so a mistake here is a StructLayoutError.
"""
from __future__ import annotations

import ctypes
import os
from pathlib import Path

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
