"""CMSIS-NN's arm_convolve_wrapper_s8 called from Python with no C shim: its parameter
structs as ctypes (tests/helpers/cmsis_nn.py), its sources built once per core into a static
library, the output compared bit for bit with the NumPy reference (TFLite semantics, which
CMSIS-NN implements)."""
from __future__ import annotations

import numpy as np
import pytest

from simulator import Machine, ref
from simulator.reference.conv import conv2d_s8
from simulator.reference.padding import compute_padding
from simulator.reference.quant import quantize_multiplier

from tests.helpers import cmsis_nn as nn
from .conftest import FIXTURES

ROOT = nn.cmsis_nn_root()
pytestmark = pytest.mark.skipif(ROOT is None, reason="CMSIS-NN not found: set MCUSIM_CMSIS_NN or place it "
                                                     "at ../shared/third_party/CMSIS-NN beside the repo")
ENTRY = ["arm_convolve_wrapper_s8", "arm_convolve_wrapper_s8_get_buffer_size"]


@pytest.fixture(scope="module", params=["stm32h743", "rp2040"])
def fw(request, tmp_path_factory):
    m = Machine(request.param)
    lib = m.build_library(nn.conv_s8_sources(ROOT), tmp_path_factory.mktemp("cmsis") / "libcmsisnn.a",
                          include_dirs=[ROOT / "Include"])
    return m.build([FIXTURES / "hello.c", lib], keep_symbols=ENTRY)


def _case(rng, h, w, ci, co, k, stride, padding):
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
    params = nn.ConvParams(input_offset=-c["in_zp"], output_offset=c["out_zp"],
                           stride=nn.Tile(c["stride"], c["stride"]), padding=nn.Tile(c["pad"][1], c["pad"][0]),
                           dilation=nn.Tile(1, 1), activation=nn.Activation(-128, 127))
    x, wt = c["x"], c["w"]
    idims = nn.Dims(1, x.shape[1], x.shape[2], x.shape[3])
    fdims = nn.Dims(wt.shape[0], wt.shape[1], wt.shape[2], wt.shape[3])
    odims = nn.Dims(1, c["out_hw"][0], c["out_hw"][1], wt.shape[0])
    bdims = nn.Dims(1, 1, 1, wt.shape[0])
    quant = nn.PerChannelQuant(multiplier=ref(c["mult"]), shift=ref(c["shift"]))
    size = fw.call("arm_convolve_wrapper_s8_get_buffer_size", params, idims, fdims, odims).value
    scratch = np.zeros(max(size, 4), np.int8)
    ctx = nn.Context(buf=ref(scratch, nn.ctypes.c_void_p), size=size)
    if out is None:
        out = np.zeros((1, *c["out_hw"], wt.shape[0]), np.int8)
    return fw.call("arm_convolve_wrapper_s8", ctx, params, quant, idims, x, fdims, wt, bdims, c["bias"],
                   odims, out)


@pytest.mark.parametrize("shape", [(6, 6, 16, 16, 1, 1, "VALID"), (7, 5, 8, 12, 3, 2, "SAME")])
def test_arm_convolve_wrapper_s8_from_python_is_bit_exact(fw, shape):
    h, w, ci, co, k, stride, padding = shape
    c = _case(np.random.default_rng(sum(shape[:5])), h, w, ci, co, k, stride, padding)
    r = call_conv(fw, c)
    assert r.value == 0                                # ARM_CMSIS_NN_SUCCESS
    expected = conv2d_s8(c["x"], c["w"], c["bias"], input_zp=c["in_zp"], output_zp=c["out_zp"],
                         multiplier=c["mult"], shift=c["shift"], stride=(stride, stride), pad=c["pad"],
                         out_hw=c["out_hw"])
    assert np.array_equal(r.arrays[-1], expected)


def test_an_output_buffer_too_small_is_caught_by_the_guards(fw):
    """The issue's case: a conv told its output is 6x6x16 but given 32 bytes."""
    from simulator.guards import BufferOverrun
    c = _case(np.random.default_rng(1), 6, 6, 16, 16, 1, 1, "VALID")
    with pytest.raises(BufferOverrun, match="argument 10 .32 B buffer") as exc:
        call_conv(fw, c, out=np.zeros(32, np.int8))
    assert exc.value.side == "after" and exc.value.offset >= 32
    assert ".c:" in exc.value.location              # CMSIS-NN's source line
