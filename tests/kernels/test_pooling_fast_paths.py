"""AVERAGE_POOL_2D and MAX_POOL_2D int8 fast paths (ck_pooling_internal.h): bit-exact against
the NumPy reference on the host (portable C, and the DSP path through CK_DSP_EMULATE) and under
emulation on M0+, M4 and M7 with both toolchains.

Cases cover SAME padding with partial windows, stride larger than the filter, a filter
covering the whole image, channel counts on both sides of the 8- and 4-channel blocks, clamps,
1x1 images, and windows on both sides of the packed-sum limit (256 taps) and of the
reciprocal's proven range (361 taps). The reciprocal itself is checked exhaustively.
"""
from __future__ import annotations

import ctypes
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import hostlib
from tests.helpers import ops_oracle as oo
from simulator.reference import pooling
from simulator.reference.padding import compute_padding
from tests.helpers.pool_kernels import Params

RECIP_SHIFT, RECIP_MAX_COUNT = 24, 361      # ck_pooling_internal.h


def test_reciprocal_exact_over_its_whole_range():
    """ck_pool_avg == TFLite's rounded division for every count <= 361, |sum| <= 128 count,
    in uint32 arithmetic (no product reaches 2^32)."""
    for d in range(1, RECIP_MAX_COUNT + 1):
        recip = ((1 << RECIP_SHIFT) + d - 1) // d
        s = np.arange(-128 * d, 128 * d + 1, dtype=np.int64)
        n = np.abs(s) + d // 2
        assert int(n.max()) * recip < 1 << 32, d
        q = (n * recip) >> RECIP_SHIFT
        got = np.where(s < 0, -q, q)
        num = np.where(s > 0, s + d // 2, s - d // 2)
        want = np.where(num >= 0, num // d, -((-num) // d))
        assert np.array_equal(got, want), d


def _case(shape, filt, stride, padding, act=(-128, 127), seed=0):
    n, h, w, c = shape
    if padding in ("SAME", "VALID"):
        pad_h, out_h = compute_padding(h, filt[0], stride[0], 1, padding)
        pad_w, out_w = compute_padding(w, filt[1], stride[1], 1, padding)
    else:                                          # explicit (pad_h, pad_w, out_h, out_w)
        pad_h, pad_w, out_h, out_w = padding
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, shape, dtype=np.int8)
    if seed % 2 == 0:                              # all-extreme windows: sums at +-128 count
        x[..., 0] = -128
        x[..., -1] = 127
    params = [n, h, w, c, out_h, out_w, *filt, *stride, pad_h, pad_w, *act]
    return dict(id=f"{shape}-{filt}-{stride}-{padding}-{act}", x=x, params=params,
                geo=dict(filter_hw=filt, stride=stride, pad=(pad_h, pad_w), out_hw=(out_h, out_w),
                         act_min=act[0], act_max=act[1]),
                out_shape=(n, out_h, out_w, c))


CASES = [
    _case((1, 8, 8, 16), (2, 2), (2, 2), "VALID"),
    _case((1, 9, 7, 13), (3, 3), (2, 2), "SAME", (-20, 90), 1),      # partial windows, C % 4 = 1
    _case((2, 5, 6, 3), (3, 2), (1, 1), "SAME", seed=2),            # C < 4, two batches
    _case((1, 7, 7, 12), (2, 2), (3, 3), "VALID", seed=3),           # stride > filter
    _case((1, 10, 9, 6), (1, 2), (4, 3), "SAME", (0, 127), 4),       # stride > filter, C % 4 = 2
    _case((1, 6, 5, 9), (6, 5), (1, 1), "VALID", seed=5),            # filter = whole image
    _case((1, 8, 8, 64), (8, 8), (8, 8), "VALID", seed=6),           # global pool head
    _case((1, 1, 1, 7), (1, 1), (1, 1), "VALID", (-3, 3), 7),        # 1x1 image
    _case((1, 1, 1, 8), (3, 3), (1, 1), "SAME", seed=8),             # 1x1 image, padded window
    _case((1, 4, 4, 15), (4, 4), (1, 1), "SAME", (5, 5), 9),         # constant output
    _case((1, 16, 16, 5), (16, 16), (1, 1), "VALID", seed=10),       # 256 taps: packed limit
    _case((1, 17, 17, 6), (17, 17), (1, 1), "VALID", seed=11),       # 289 taps: int32, reciprocal
    _case((1, 19, 19, 4), (19, 19), (1, 1), "VALID", seed=12),       # 361: last reciprocal count
    _case((1, 20, 19, 3), (20, 19), (1, 1), "VALID", seed=14),       # 380 taps: division
    _case((1, 9, 9, 5), (17, 17), (1, 1), "SAME", (-100, 100), 15),  # big filter, clipped windows
    _case((1, 5, 40, 4), (1, 40), (1, 1), "VALID", seed=16),         # one long window row
    _case((1, 6, 6, 20), (3, 3), (2, 2), (1, 1, 3, 3), seed=17),     # explicit padding
]


def _want(kind, c):
    ref = pooling.avgpool_s8 if kind == "avg" else pooling.maxpool_s8
    return ref(c["x"], **c["geo"])


@pytest.mark.parametrize("dsp", [False, True], ids=["portable", "dsp-emulated"])
@pytest.mark.parametrize("kind", ["avg", "max"])
def test_host_matches_reference(kind, dsp):
    name = f"ck_{kind}pool_s8"
    fn = getattr(hostlib.build([f"pooling/{name}.c"],
                               defines={"CK_DSP_EMULATE": None} if dsp else None), name)
    fn.restype = ctypes.c_int
    for c in CASES:
        want = _want(kind, c).ravel()
        for offset in (0, 1, 3):                 # unaligned input and output as well
            x = np.zeros(c["x"].size + offset, np.int8)
            x[offset:] = c["x"].ravel()
            out = np.full(want.size + 32 + offset, 0x5A, np.int8)
            at = 16 + offset
            assert fn(oo.ref(Params(*c["params"])), ctypes.c_void_p(x.ctypes.data + offset),
                      ctypes.c_void_p(out.ctypes.data + at)) == 0, c["id"]
            assert np.all(out[:at] == 0x5A) and np.all(out[at + want.size:] == 0x5A), c["id"]
            assert np.array_equal(out[at:at + want.size], want), f"{c['id']} offset {offset}"


BOARDS = ["rp2040", "nrf52840", "stm32h743"]


@pytest.fixture(scope="module", params=[(b, t) for b in BOARDS for t in ("zig", "gcc")],
                ids=lambda bt: f"{bt[0]}-{bt[1]}")
def fw(request):
    from simulator.machine import Machine
    board, toolchain = request.param
    if toolchain == "gcc" and shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)")
    src = hostlib.SRC
    with tempfile.TemporaryDirectory() as tmp:
        stub = Path(tmp) / "main.c"
        stub.write_text("int main(void) { return 0; }\n")
        m = Machine(board, toolchain=toolchain, ram="256K", stack="4K")
        yield m.build([stub, src / "pooling/ck_avgpool_s8.c", src / "pooling/ck_maxpool_s8.c"])


@pytest.mark.parametrize("kind", ["avg", "max"])
def test_emulated_matches_reference(fw, kind):
    for c in CASES:
        want = _want(kind, c)
        out = np.full(want.size + 8, 0x5A, np.int8)     # 8 canary bytes after the output
        r = fw.call(f"ck_{kind}pool_s8", np.array(c["params"], np.int32), c["x"], out)
        assert r.value == 0, c["id"]
        got = r.arrays[-1].view(np.int8)
        assert np.array_equal(got[:want.size], want.ravel()), f"{fw.board.name}: {c['id']}"
        assert np.all(got[want.size:] == 0x5A), c["id"]
