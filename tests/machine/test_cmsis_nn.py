"""CMSIS-NN's arm_convolve_wrapper_s8 called from Python with no C shim: its parameter
structs as ctypes (tests/helpers/cmsis_nn.py), its sources built once per core into a static
library, the output compared bit for bit with the NumPy reference (TFLite semantics, which
CMSIS-NN implements)."""
from __future__ import annotations

import numpy as np
import pytest

from simulator import Machine
from simulator.reference.conv import conv2d_s8

from tests.helpers import cmsis_nn as nn
from tests.helpers.cmsis_nn import call_conv, conv_case
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


@pytest.mark.parametrize("shape", [(6, 6, 16, 16, 1, 1, "VALID"), (7, 5, 8, 12, 3, 2, "SAME")])
def test_arm_convolve_wrapper_s8_from_python_is_bit_exact(fw, shape):
    h, w, ci, co, k, stride, padding = shape
    c = conv_case(np.random.default_rng(sum(shape[:5])), h, w, ci, co, k, stride, padding)
    r = call_conv(fw, c)
    assert r.value == 0                                # ARM_CMSIS_NN_SUCCESS
    expected = conv2d_s8(c["x"], c["w"], c["bias"], input_zp=c["in_zp"], output_zp=c["out_zp"],
                         multiplier=c["mult"], shift=c["shift"], stride=(stride, stride), pad=c["pad"],
                         out_hw=c["out_hw"])
    assert np.array_equal(r.arrays[-1], expected)


def test_an_output_buffer_too_small_is_caught_by_the_guards(fw):
    """The issue's case: a conv told its output is 6x6x16 but given 32 bytes."""
    from simulator.guards import BufferOverrun
    c = conv_case(np.random.default_rng(1), 6, 6, 16, 16, 1, 1, "VALID")
    with pytest.raises(BufferOverrun, match="argument 10 .32 B buffer") as exc:
        call_conv(fw, c, out=np.zeros(32, np.int8))
    assert exc.value.side == "after" and exc.value.offset >= 32
    assert ".c:" in exc.value.location              # CMSIS-NN's source line
