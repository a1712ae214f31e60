"""The depthwise and fully-connected DSP fast paths, bit for bit against the NumPy reference:
on the host (CK_DSP_EMULATE stand-ins) and under emulation on Cortex-M4 and M7 with both
toolchains (zig clang and arm-none-eabi-gcc), through ``Firmware.call``.

Paths and the shapes that reach their edges:
  requant  ck_requant_fast (every shift < 0 and |bias| + taps * 32640 < 2^30, checked per
           layer) vs ck_requant_s8 (a shift >= 0, or a bias at / past the limit); per-tensor
           and per-channel; act_min / act_max clamps through SSUB8 + SEL on four bytes.
  dw       3x3 windows with >= 2x2 valid taps (unrolled inline-asm schedule: 3x3 interior,
           2x3 / 3x2 / 2x2 borders) vs 1-wide windows (tap loop), stride 1 and 2,
           channel groups + channel tails, 1x1 image, VALID windows, dm 2 (portable), dilation
           and 5x5 (general path only), batches.
  fc       3-row asm pass + the 1 / 2 rows left + in_features % 4 tails; single rows, odd
           input counts, batches.
"""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from tests.helpers import hostlib
from simulator import Machine
from tests.helpers.fast_path_cases import emulate_conv, fc_case, fc_reference, reference, shaped
from tests.helpers.conv_kernels import CK_OK, CONV_SOURCES, call_conv_kernel, conv_lib
from tests.helpers.fc_kernels import FC_SOURCES, PARAM_FIELDS as FC_FIELDS
from tests.helpers.fc_kernels import call_fc, fc_lib

BOARDS = {"cortex-m4": "nrf52840", "cortex-m7": "stm32h743"}
LIMIT = (1 << 30) - 1   # |bias| + taps * 128 * 255 must stay at or below this for the fast path

DW_SHAPES = [  # (id, kwargs for shaped(depthwise=True))
    ("3x3-c64-same", dict(in_c=64, in_hw=(6, 5))),
    ("3x3-c32-stride2", dict(in_c=32, in_hw=(9, 8), stride=(2, 2))),
    ("3x3-c8-valid", dict(in_c=8, in_hw=(5, 7), padding="VALID")),
    ("3x3-c4-1x1-image", dict(in_c=4, in_hw=(1, 1))),
    ("3x3-c5-tail", dict(in_c=5, in_hw=(5, 6))),
    ("3x3-c7-tail-stride2", dict(in_c=7, in_hw=(7, 7), stride=(2, 2))),
    ("3x3-c1", dict(in_c=1, in_hw=(4, 5))),
    ("3x3-c12-3x3-image", dict(in_c=12, in_hw=(3, 3), padding="VALID")),
    ("3x3-stride-1x2", dict(in_c=16, in_hw=(6, 9), stride=(1, 2))),
    ("3x3-batches", dict(in_c=8, in_hw=(4, 4), batches=2)),
    ("5x5-c8", dict(in_c=8, in_hw=(6, 6), k=(5, 5))),
    ("3x3-dilation", dict(in_c=8, in_hw=(7, 8), dilation=(2, 2))),
    ("1x3-valid", dict(in_c=4, k=(1, 3), padding="VALID", in_hw=(3, 5))),
    ("dm-2", dict(in_c=3, dm=2)),
    # border windows on the unrolled schedule: 2x3 / 3x2 / 2x2 valid taps, and 1-wide edges
    ("3x3-c64-dscnn-25x5", dict(in_c=64, in_hw=(25, 5))),
    ("3x3-c8-2x2-image", dict(in_c=8, in_hw=(2, 2))),
    ("3x3-c12-2-rows", dict(in_c=12, in_hw=(2, 7))),
    ("3x3-c9-2-cols", dict(in_c=9, in_hw=(6, 2))),
    ("3x3-c16-1-row", dict(in_c=16, in_hw=(1, 6))),
    ("3x3-c4-1-col", dict(in_c=4, in_hw=(5, 1))),
    ("3x3-c20-stride2-even", dict(in_c=20, in_hw=(8, 6), stride=(2, 2))),
    ("3x3-stride-2x1-odd", dict(in_c=8, in_hw=(7, 5), stride=(2, 1))),
]
FC_SHAPES = [  # (batches, in_features, out_features)
    (1, 640, 128), (1, 256, 2), (1, 1, 1), (1, 3, 3), (2, 7, 4), (1, 33, 5), (3, 5, 6),
    (1, 16, 7), (1, 9, 1),
]
MODES = ["fast-per-channel", "fast-per-tensor", "general-shift", "general-bias"]


def with_mode(c, mode, taps, n_out, seed):
    """Force the layer onto (or off) the fast requantization path."""
    rng = np.random.default_rng(seed + 77)
    c["per_channel"] = 0 if mode == "fast-per-tensor" else 1
    n_q = n_out if c["per_channel"] else 1
    c["multiplier"] = rng.integers(1 << 30, (1 << 31) - 1, n_q).astype(np.int32)
    c["shift"] = rng.integers(-12, -6, n_q).astype(np.int32)
    c["bias"] = rng.integers(-30000, 30000, n_out).astype(np.int32)
    if mode == "general-shift":
        c["shift"][-1] = 0
    if mode == "general-bias":   # one bias just past the limit: everything takes ck_requant_s8
        c["bias"][0] = LIMIT - taps * 128 * 255 + 1
    elif mode.startswith("fast"):   # a bias exactly at the limit still takes the fast path
        c["bias"][-1] = -(LIMIT - taps * 128 * 255)
    act = rng.integers(0, 3)
    c["act_min"], c["act_max"] = [(-128, 127), (c["output_offset"], 127), (-20, 35)][act]
    return c


def dw_case(seed, mode, kw):
    c = shaped(seed, depthwise=True, **kw)
    return with_mode(c, mode, c["k_h"] * c["k_w"], c["out_c"], seed)


def fc_mode_case(seed, mode, batches, n_in, n_out):
    return with_mode(fc_case(seed, batches, n_in, n_out), mode, n_in, n_out, seed)


# ---- host ----------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name,kw", DW_SHAPES, ids=[s[0] for s in DW_SHAPES])
def test_depthwise_host(name, kw, mode):
    lib = conv_lib(True)
    for seed in range(3):
        c = dw_case(seed, mode, kw)
        for kernel in ("ck_depthwise_conv_s8_dsp", "ck_depthwise_conv_s8_wrapper"):
            status, got, intact = call_conv_kernel(lib, kernel, c)
            assert status == CK_OK and intact, (name, seed, kernel)
            assert np.array_equal(got, reference(c, True)), (name, seed, kernel)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("batches,n_in,n_out", FC_SHAPES)
def test_fc_host(batches, n_in, n_out, mode):
    lib = fc_lib(True)
    for seed in range(3):
        c = fc_mode_case(seed, mode, batches, n_in, n_out)
        status, got, out = call_fc(lib, "ck_fully_connected_s8_dsp", c)
        assert status == CK_OK and out.intact()
        assert np.array_equal(got, fc_reference(c)), seed


def test_fast_requant_extreme_data_host():
    """Largest |accumulator| the fast path admits: all inputs and weights at -128, offset 128."""
    for mode in ("fast-per-channel", "fast-per-tensor"):
        c = dw_case(3, mode, dict(in_c=8, in_hw=(5, 5)))
        c["x"][:], c["w"][:], c["input_offset"] = -128, -128, 128
        c["bias"][:] = LIMIT - 9 * 128 * 255
        status, got, _ = call_conv_kernel(conv_lib(True), "ck_depthwise_conv_s8_dsp", c)
        assert status == CK_OK and np.array_equal(got, reference(c, True)), mode
        f = fc_mode_case(4, mode, 1, 37, 6)
        f["x"][:], f["w"][:], f["input_offset"] = -128, -128, 128
        f["bias"][:] = -(LIMIT - 37 * 128 * 255)
        status, got, _ = call_fc(fc_lib(True), "ck_fully_connected_s8_dsp", f)
        assert status == CK_OK and np.array_equal(got, fc_reference(f)), mode


# ---- emulation: M4 and M7, both toolchains -------------------------------------------------

TOOLCHAINS = ["zig"] + (["gcc"] if shutil.which("arm-none-eabi-gcc") else [])


@pytest.fixture(scope="module", params=[(core, tc) for core in sorted(BOARDS)
                                        for tc in TOOLCHAINS], ids=lambda p: f"{p[0]}-{p[1]}")
def firmware(request):
    core, tc = request.param
    sources = sorted(set(CONV_SOURCES + FC_SOURCES))
    return Machine(BOARDS[core], ram="256K", toolchain=tc).build(
        [hostlib.SRC / s for s in sources])


def test_depthwise_emulated(firmware):
    for name, kw in DW_SHAPES:
        for mode in MODES:
            c = dw_case(500 + len(name), mode, kw)
            status, got = emulate_conv(firmware, c, True)
            assert status == CK_OK and np.array_equal(got, reference(c, True)), (name, mode)


def test_fc_emulated(firmware):
    for batches, n_in, n_out in FC_SHAPES:
        for mode in MODES:
            c = fc_mode_case(600 + n_in, mode, batches, n_in, n_out)
            params = np.array([c[f] for f in FC_FIELDS], np.int32)
            out = np.zeros((batches, n_out), np.int8)
            r = firmware.call("ck_fully_connected_s8_wrapper", params, c["x"], c["w"], c["bias"],
                              c["multiplier"], c["shift"], out)
            assert r.value == CK_OK and np.array_equal(r.arrays[-1], fc_reference(c)), \
                (n_in, n_out, mode)


# ---- warnings ------------------------------------------------------------------------------

OURS = ["conv/ck_depthwise_conv_s8_dsp.c", "fully_connected/ck_fully_connected_s8_dsp.c"]


@pytest.mark.parametrize("core", ["cortex-m4", "cortex-m7", "cortex-m0plus"])
@pytest.mark.parametrize("source", OURS)
def test_warning_free_gcc(core, source):
    gcc = shutil.which("arm-none-eabi-gcc")
    if not gcc:
        pytest.skip("arm-none-eabi-gcc not installed")
    cmd = [gcc, f"-mcpu={core.replace('cortex-m0plus', 'cortex-m0plus')}", "-mthumb", "-O2",
           "-std=c11", "-Wall", "-Wextra", "-Werror", f"-I{hostlib.INCLUDE}", "-c",
           str(hostlib.SRC / source), "-o", "/dev/null"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
