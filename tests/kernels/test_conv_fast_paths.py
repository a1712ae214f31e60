"""The DSP fast paths of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED, bit for bit against
the NumPy reference: on the host (CK_DSP_EMULATE stand-ins) and under emulation on Cortex-M4
and M7 (the real SXTB16/SMLAD build, incl. the inline-assembly conv MAC loop) and M0+
(portable code), through ``Firmware.call``.

Paths covered and the shapes that reach their edges:
  conv   pair im2col (two pixels share one buffer) + 2x2 MAC loop + K % 4 tail + a lone last
         pixel; contiguous filter rows (dilation 1, row inside) vs per-tap gathering (padding,
         dilation); in_c % 4 == 0 (word expansion) vs not (scalar expansion); odd out_c.
  dw     4-channel groups + channel tail; clipped windows at the borders; dilation; dm != 1
         falls back to the portable kernel.
  fc     2-row pass + a lone last row; in_features % 4 tail.
  all    ck_requant_s8 (the DSP kernels' requantization) at extreme multipliers and shifts.
"""
from __future__ import annotations

import ctypes

import numpy as np
import pytest

from simulator import Machine
from tests.helpers import hostlib
from tests.helpers.conv_kernels import CK_OK, CONV_SOURCES, call_conv_kernel, conv_lib, conv_params
from tests.helpers.fc_kernels import FC_SOURCES, PARAM_FIELDS as FC_FIELDS
from tests.helpers.fc_kernels import call_fc, fc_lib
from tests.helpers.fast_path_cases import emulate_conv, fc_case, fc_reference, reference, shaped

BOARDS = {"cortex-m4": "nrf52840", "cortex-m7": "stm32h743", "cortex-m0plus": "rp2040"}


EXTREMES = [(-(1 << 31), 31), (-(1 << 31), -31), ((1 << 31) - 1, 31), ((1 << 31) - 1, -31),
            (1 << 30, 0), (-(1 << 30), 5), (1, -1), (0, 3)]

CONV_EDGES = [  # (id, kwargs)
    ("1x1-k4", dict(in_c=8, out_c=6, k=(1, 1), padding="VALID")),
    ("1x1-odd-c", dict(in_c=7, out_c=3, k=(1, 1))),
    ("3x3-c16", dict(in_c=16, out_c=16, in_hw=(6, 7))),
    ("3x3-c3-stride2", dict(in_c=3, out_c=8, stride=(2, 2), in_hw=(9, 9), padding="VALID")),
    ("k-tail-1", dict(in_c=5, out_c=4, k=(1, 1))),
    ("k-tail-3", dict(in_c=1, out_c=2, k=(1, 3))),
    ("k-below-4", dict(in_c=1, out_c=1, k=(1, 3), in_hw=(1, 3))),
    ("tiny-1x1-image", dict(in_c=4, out_c=3, in_hw=(1, 1))),
    ("lone-pixel", dict(in_c=4, out_c=7, in_hw=(3, 3), k=(2, 2), padding="VALID", batches=1)),
    ("odd-pixels-batches", dict(in_c=8, out_c=5, in_hw=(3, 1), k=(3, 1), batches=3)),
    ("dilation", dict(in_c=4, out_c=4, dilation=(2, 2), in_hw=(7, 7))),
    ("dilation-w-only", dict(in_c=8, out_c=3, dilation=(1, 3), in_hw=(4, 9))),
    ("stride-pad", dict(in_c=12, out_c=9, stride=(2, 3), k=(4, 3), in_hw=(7, 8))),
    ("filter-wider-than-image", dict(in_c=4, out_c=2, k=(5, 5), in_hw=(2, 3))),
]
DW_EDGES = [
    ("3x3-c64", dict(in_c=64, in_hw=(5, 5))),
    ("3x3-c32-stride2", dict(in_c=32, in_hw=(8, 7), stride=(2, 2))),
    ("c-tail-5", dict(in_c=5)),
    ("c-tail-7", dict(in_c=7, k=(5, 5), in_hw=(6, 4))),
    ("c-1", dict(in_c=1, in_hw=(4, 4))),
    ("dilation", dict(in_c=8, dilation=(2, 3), in_hw=(7, 8))),
    ("tiny-1x1-image", dict(in_c=12, in_hw=(1, 1))),
    ("valid-1x3", dict(in_c=4, k=(1, 3), padding="VALID", in_hw=(3, 5))),
    ("dm-2-portable", dict(in_c=3, dm=2)),
    ("batches", dict(in_c=8, batches=2, in_hw=(3, 4))),
]
FC_EDGES = [  # (batches, in_features, out_features)
    (1, 640, 128), (1, 256, 2), (2, 7, 5), (1, 1, 1), (3, 3, 9), (1, 33, 17),
]


# ---- host: the DSP kernels' layout, tails and requantization through C stand-ins ----------

@pytest.mark.parametrize("name,kw", CONV_EDGES, ids=[e[0] for e in CONV_EDGES])
def test_conv_edges_host(name, kw):
    lib = conv_lib(True)
    for seed in range(6):
        c = shaped(seed, **kw)
        status, got, intact = call_conv_kernel(lib, "ck_conv_s8_wrapper", c)
        assert status == CK_OK and intact, (name, seed)
        assert np.array_equal(got, reference(c, False)), (name, seed)


@pytest.mark.parametrize("name,kw", DW_EDGES, ids=[e[0] for e in DW_EDGES])
def test_depthwise_edges_host(name, kw):
    lib = conv_lib(True)
    for seed in range(6):
        c = shaped(seed, depthwise=True, **kw)
        status, got, intact = call_conv_kernel(lib, "ck_depthwise_conv_s8_wrapper", c)
        assert status == CK_OK and intact, (name, seed)
        assert np.array_equal(got, reference(c, True)), (name, seed)


@pytest.mark.parametrize("batches,n_in,n_out", FC_EDGES)
def test_fc_edges_host(batches, n_in, n_out):
    lib = fc_lib(True)
    for seed in range(4):
        c = fc_case(seed, batches, n_in, n_out)
        status, got, out = call_fc(lib, "ck_fully_connected_s8_wrapper", c)
        assert status == CK_OK and out.intact()
        assert np.array_equal(got, fc_reference(c)), seed


@pytest.mark.parametrize("mult,shift", EXTREMES)
def test_extreme_requantization_host(mult, shift):
    for depthwise, kernel, kw in [(False, "ck_conv_s8_wrapper", CONV_EDGES[2][1]),
                                  (False, "ck_conv_s8_wrapper", CONV_EDGES[5][1]),
                                  (True, "ck_depthwise_conv_s8_wrapper", DW_EDGES[2][1])]:
        c = shaped(11, depthwise=depthwise, extreme=(mult, shift), **kw)
        c["x"][:] = -128   # with input_offset 128 below: the largest |accumulator|
        c["input_offset"] = 128
        status, got, _ = call_conv_kernel(conv_lib(True), kernel, c)
        assert status == CK_OK and np.array_equal(got, reference(c, depthwise)), kernel
    c = fc_case(5, 1, 37, 6, extreme=(mult, shift))
    status, got, _ = call_fc(fc_lib(True), "ck_fully_connected_s8_wrapper", c)
    assert status == CK_OK and np.array_equal(got, fc_reference(c))


def test_conv_scratch_size_unchanged():
    """The lowering sizes the scratch as 4 * k_h * k_w * in_c (simulator/lower/emitters.py)."""
    lib = conv_lib(True)
    lib.ck_conv_s8_wrapper_get_buffer_size.restype = ctypes.c_int32
    for _, kw in CONV_EDGES:
        c = shaped(0, **kw)
        need = lib.ck_conv_s8_wrapper_get_buffer_size(hostlib.ptr(conv_params(c)))
        assert need == 4 * c["k_h"] * c["k_w"] * c["in_c"]


# ---- emulation: the real instructions on each core -----------------------------------------

@pytest.fixture(scope="module")
def firmwares():
    sources = sorted(set(CONV_SOURCES + FC_SOURCES))
    return {core: Machine(board, ram="256K").build([hostlib.SRC / s for s in sources])
            for core, board in BOARDS.items()}


@pytest.mark.parametrize("core", sorted(BOARDS))
def test_conv_edges_emulated(firmwares, core):
    for name, kw in CONV_EDGES:
        for seed in range(2):
            c = shaped(100 + seed, **kw)
            status, got = emulate_conv(firmwares[core], c, False)
            assert status == CK_OK and np.array_equal(got, reference(c, False)), (name, seed)


@pytest.mark.parametrize("core", sorted(BOARDS))
def test_depthwise_edges_emulated(firmwares, core):
    for name, kw in DW_EDGES:
        for seed in range(2):
            c = shaped(200 + seed, depthwise=True, **kw)
            status, got = emulate_conv(firmwares[core], c, True)
            assert status == CK_OK and np.array_equal(got, reference(c, True)), (name, seed)


@pytest.mark.parametrize("core", sorted(BOARDS))
def test_fc_edges_emulated(firmwares, core):
    fw = firmwares[core]
    for batches, n_in, n_out in FC_EDGES:
        c = fc_case(300 + n_in, batches, n_in, n_out)
        params = np.array([c[f] for f in FC_FIELDS], np.int32)
        out = np.zeros((batches, n_out), np.int8)
        bias = 0 if c["bias"] is None else c["bias"]
        r = fw.call("ck_fully_connected_s8_wrapper", params, c["x"], c["w"], bias,
                    c["multiplier"], c["shift"], out)
        assert r.value == CK_OK and np.array_equal(r.arrays[-1], fc_reference(c)), n_in


@pytest.mark.parametrize("core", ["cortex-m4", "cortex-m7"])
def test_extreme_requantization_emulated(firmwares, core):
    for mult, shift in EXTREMES:
        c = shaped(12, extreme=(mult, shift), **CONV_EDGES[5][1])
        c["x"][:] = -128
        c["input_offset"] = 128
        status, got = emulate_conv(firmwares[core], c, False)
        assert status == CK_OK and np.array_equal(got, reference(c, False)), (mult, shift)
        c = shaped(13, depthwise=True, extreme=(mult, shift), **DW_EDGES[2][1])
        status, got = emulate_conv(firmwares[core], c, True)
        assert status == CK_OK and np.array_equal(got, reference(c, True)), (mult, shift)


@pytest.mark.parametrize("core", ["cortex-m4", "cortex-m7", "cortex-m0plus"])
@pytest.mark.parametrize("source", sorted(set(CONV_SOURCES + FC_SOURCES)))
def test_sources_warning_free(core, source):
    hostlib.cross_compile(source, core)
