"""The Armv6-M kernel variants (ck_conv_s8_m0, ck_depthwise_conv_s8_m0,
ck_fully_connected_s8_m0: rules.toml's rows for cores without DSP), bit for bit against the
NumPy reference under emulation: on the Cortex-M0+ (the Thumb-1 assembly dot4 loop, both
toolchains) and on the M4 and M7 (the same files' C path), through ``Firmware.call``.

Paths and the shapes that reach them:
  conv  per-pixel gather (k_h * k_w > 1 and taps <= 128: 1-3 channel first layers, padding
        as -input_offset) vs per-row runs (1x1, taps > 128); out_c % 4 tails; odd run
        lengths (the asm's two-element step + one left); dilation -> ck_conv_s8.
  dw    four-channel groups + channel tails, clipped borders, strides; dm != 1 and dilation
        -> ck_depthwise_conv_s8.
  fc    four-row passes + rows left; odd in_features; batches.
  all   the requantization (ck_finish_s8_m0) at extreme multipliers and shifts.
Shapes are drawn by hypothesis, plus fixed cases at the model shapes' edges.
"""
from __future__ import annotations

import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from simulator import Machine
from tests.helpers import hostlib
from tests.helpers.conv_kernels import CK_OK, conv_params
from tests.helpers.fast_path_cases import (LIMIT, MODES, dw_case, fc_case, fc_mode_case, fc_reference,
                                           reference, shaped, with_mode)
from tests.helpers.fc_kernels import PARAM_FIELDS as FC_FIELDS

SOURCES = ["conv/ck_conv_s8_m0.c", "conv/ck_conv_s8.c", "conv/ck_depthwise_conv_s8_m0.c",
           "conv/ck_depthwise_conv_s8.c", "conv/ck_conv_check_args.c",
           "fully_connected/ck_fully_connected_s8_m0.c", "fully_connected/ck_fc_check_args.c"]
TARGETS = [("rp2040", "zig"), ("nrf52840", "zig"), ("stm32h743", "zig")] + \
    ([("rp2040", "gcc")] if shutil.which("arm-none-eabi-gcc") else [])
EXTREMES = [(1 << 30, -31), ((1 << 31) - 1, 0), (-(1 << 31), 5), ((1 << 31) - 1, 31), (1 << 30, -1),
            (-(1 << 31), -3), (-12345677, -2)]   # the last two on the fast path (ck_smmulr_m0)
SETTINGS = settings(max_examples=12, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module", params=TARGETS, ids=lambda t: f"{t[0]}-{t[1]}")
def fw(request):
    board, tc = request.param
    return Machine(board, ram="256K", toolchain=tc).build([hostlib.SRC / s for s in SOURCES])


def run_conv(fw, c, depthwise):
    out = np.zeros((c["batches"], c["out_h"], c["out_w"], c["out_c"]), np.int8)
    bias = 0 if c["bias"] is None else c["bias"]
    args = [conv_params(c), c["x"], c["w"], bias, c["multiplier"], c["shift"], out]
    if depthwise:
        r = fw.call("ck_depthwise_conv_s8_m0", *args)
    else:
        r = fw.call("ck_conv_s8_m0", *args, np.zeros(4, np.uint8), 0)
    return r.value, r.arrays[sum(isinstance(a, np.ndarray) for a in args) - 1]


def run_fc(fw, c):
    out = np.zeros((c["batches"], c["out_features"]), np.int8)
    bias = 0 if c["bias"] is None else c["bias"]
    r = fw.call("ck_fully_connected_s8_m0", np.array([c[f] for f in FC_FIELDS], np.int32),
                c["x"], c["w"], bias, c["multiplier"], c["shift"], out)
    return r.value, r.arrays[-1]                      # the output is the last array


def check_conv(fw, c, depthwise):
    status, got = run_conv(fw, c, depthwise)
    assert status == CK_OK
    assert np.array_equal(got, reference(c, depthwise))


CONV_EDGES = [  # kwargs for shaped(): the bundled models' shapes, shrunk, and the path edges
    dict(in_c=1, out_c=8, k=(10, 4), stride=(2, 2), in_hw=(13, 6)),        # DS-CNN first conv
    dict(in_c=3, out_c=8, k=(3, 3), stride=(2, 2), in_hw=(9, 8)),          # VWW first conv
    dict(in_c=3, out_c=16, k=(3, 3), in_hw=(5, 5)),                        # ResNet8 first conv
    dict(in_c=16, out_c=6, k=(3, 3), in_hw=(4, 5)),                        # 144 taps: row runs
    dict(in_c=14, out_c=4, k=(3, 3), in_hw=(4, 4), padding="VALID"),       # 126 taps: gather
    dict(in_c=8, out_c=16, k=(1, 1), in_hw=(3, 4)),                        # VWW 1x1 8->16
    dict(in_c=7, out_c=5, k=(1, 1), in_hw=(3, 3)),                         # odd run + tail
    dict(in_c=5, out_c=7, k=(2, 3), stride=(1, 2), in_hw=(6, 7)),
    dict(in_c=4, out_c=4, k=(3, 3), dilation=(2, 2), in_hw=(7, 7)),        # -> ck_conv_s8
    dict(in_c=2, out_c=9, k=(3, 3), batches=2, in_hw=(3, 4)),
]
DW_EDGES = [
    dict(in_c=64, in_hw=(6, 5)), dict(in_c=16, in_hw=(9, 8), stride=(2, 2)),
    dict(in_c=7, in_hw=(5, 6)), dict(in_c=1, in_hw=(4, 4)), dict(in_c=8, in_hw=(1, 1)),
    dict(in_c=6, in_hw=(5, 5), padding="VALID"), dict(in_c=3, dm=2),
    dict(in_c=8, in_hw=(7, 7), dilation=(2, 2)), dict(in_c=5, k=(5, 5), in_hw=(6, 6)),
    dict(in_c=12, in_hw=(4, 4), batches=2),
]
FC_EDGES = [(1, 64, 12), (1, 256, 2), (1, 8, 128), (2, 7, 5), (1, 1, 1), (3, 3, 9), (1, 33, 17)]


def test_conv_edges(fw):
    for i, kw in enumerate(CONV_EDGES):
        check_conv(fw, shaped(10 + i, **kw), False)


def test_depthwise_edges(fw):
    for i, kw in enumerate(DW_EDGES):
        check_conv(fw, shaped(30 + i, depthwise=True, **kw), True)


def test_fc_edges(fw):
    for i, (b, n_in, n_out) in enumerate(FC_EDGES):
        c = fc_case(50 + i, b, n_in, n_out)
        status, got = run_fc(fw, c)
        assert status == CK_OK and np.array_equal(got, fc_reference(c)), (b, n_in, n_out)


def test_extreme_requantization(fw):
    for i, extreme in enumerate(EXTREMES):
        check_conv(fw, shaped(70 + i, in_c=3, out_c=5, extreme=extreme), False)
        check_conv(fw, shaped(80 + i, depthwise=True, in_c=5, extreme=extreme), True)
        c = fc_case(90 + i, 1, 9, 6, extreme=extreme)
        status, got = run_fc(fw, c)
        assert status == CK_OK and np.array_equal(got, fc_reference(c)), extreme


GEOMETRY = st.fixed_dictionaries(dict(
    seed=st.integers(0, 10_000), in_c=st.integers(1, 20), out_c=st.integers(1, 9),
    k=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    stride=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    in_hw=st.tuples(st.integers(1, 7), st.integers(1, 7)),
    padding=st.sampled_from(["SAME", "VALID"])))


def _fits(g) -> bool:
    return g["padding"] == "SAME" or (g["in_hw"][0] >= g["k"][0] and g["in_hw"][1] >= g["k"][1])


@SETTINGS
@given(g=GEOMETRY.filter(_fits))
def test_conv_drawn(fw, g):
    check_conv(fw, shaped(g.pop("seed"), **g), False)


@SETTINGS
@given(g=GEOMETRY.filter(_fits))
def test_depthwise_drawn(fw, g):
    g.pop("out_c")
    check_conv(fw, shaped(g.pop("seed"), depthwise=True, **g), True)


@SETTINGS
@given(seed=st.integers(0, 10_000), batches=st.integers(1, 2), n_in=st.integers(1, 70),
       n_out=st.integers(1, 13))
def test_fc_drawn(fw, seed, batches, n_in, n_out):
    c = fc_case(seed, batches, n_in, n_out)
    status, got = run_fc(fw, c)
    assert status == CK_OK and np.array_equal(got, fc_reference(c))


def test_fast_requantization_limits(fw):
    """ck_fast_requant_ok's edges (a bias at the limit: fast; one past it or a shift >= 0:
    ck_requant_s8), and the largest accumulators the fast path admits (ck_smmulr_m0)."""
    for i, mode in enumerate(MODES):
        check_conv(fw, dw_case(200 + i, mode, dict(in_c=9, in_hw=(5, 4))), True)
        c = shaped(210 + i, in_c=3, out_c=6, k=(3, 3), in_hw=(4, 5))
        check_conv(fw, with_mode(c, mode, 27, 6, 210 + i), False)
        f = fc_mode_case(220 + i, mode, 1, 37, 6)
        status, got = run_fc(fw, f)
        assert status == CK_OK and np.array_equal(got, fc_reference(f)), mode
        if mode.startswith("fast"):
            f["x"][:], f["w"][:], f["input_offset"] = -128, -128, 128
            f["bias"][:] = -(LIMIT - 37 * 128 * 255)
            status, got = run_fc(fw, f)
            assert status == CK_OK and np.array_equal(got, fc_reference(f)), mode


OURS = ["conv/ck_conv_s8_m0.c", "conv/ck_depthwise_conv_s8_m0.c",
        "fully_connected/ck_fully_connected_s8_m0.c"]


@pytest.mark.parametrize("core", ["cortex-m0plus", "cortex-m4", "cortex-m7"])
def test_warning_free_gcc(core):
    """The inline assembly (M0+) and the C path (M4/M7) under -Wall -Wextra -Werror."""
    import subprocess
    gcc = shutil.which("arm-none-eabi-gcc")
    if not gcc:
        pytest.skip("arm-none-eabi-gcc not installed")
    for source in OURS:
        r = subprocess.run([gcc, f"-mcpu={core}", "-mthumb", "-O2", "-std=c11", "-Wall",
                            "-Wextra", "-Werror", f"-I{hostlib.INCLUDE}", "-c",
                            str(hostlib.SRC / source), "-o", "/dev/null"],
                           capture_output=True, text=True)
        assert r.returncode == 0, (source, r.stderr)
