"""ADD and MUL int8 fast paths (ck_elementwise_internal.h): bit-exact against the NumPy
reference at the edges of their preconditions, on the host and under emulation on M0+, M4 and
M7 with both toolchains.

Cases cover every broadcast pattern the 4-D loop nest handles (same shape, stride-0 rows on
either side, outer-dimension broadcast, non-collapsible strides, scalars), lengths not a
multiple of the unroll, zero points at -128 and 127, and requantization parameters on both
sides of the fast-path preconditions (left_shift 20 or not, input shift 0 with multiplier 2^30
or not, output shifts from -1 to -31 and >= 0, multipliers 0, 2^30 and 2^31 - 1), including
the near-INT32_MIN output of test_kernels_emulated.py's regression.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import hostlib
from tests.helpers import ops_oracle as oo
from simulator.reference import elementwise as ew
from simulator.reference import quant
from tests.helpers.add_mul_kernels import AddParams, Broadcast4, MulParams

SHAPES = [((1, 4, 5, 7), (1, 4, 5, 7)), ((1, 4, 5, 7), (1, 1, 1, 7)), ((1, 1, 1, 7), (1, 4, 5, 7)),
          ((3, 5, 9), (3, 5, 1)), ((3, 5, 1), (3, 5, 9)), ((2, 3, 1, 5), (1, 1, 4, 1)),
          ((1,), (11,)), ((13,), (1,)), ((1,), (1,)), ((2, 1, 3), (1, 4, 3)), ((6, 2), (6, 1))]
M_MAX = (1 << 31) - 1


def add_cases():
    """(name, params dict) for ADD: TFLite-made ones, then raw parameter edges."""
    out = []
    for i, (s1, s2, so) in enumerate([(0.05, 0.03, 0.07), (0.02, 0.02, 0.03), (0.01, 0.3, 0.2),
                                      (0.4, 0.0004, 0.5), (0.1, 0.0999, 0.001),
                                      (0.001, 0.5, 0.0005)]):
        out.append((f"tflite{i}", ew.add_params(s1, s2, so)))
    base = ew.add_params(0.05, 0.03, 0.07)
    edges = [dict(input2_shift=-1), dict(input2_shift=-5), dict(input2_shift=-31),
             dict(input2_multiplier=0), dict(input2_multiplier=M_MAX, input2_shift=-1),
             dict(input1_multiplier=M_MAX, input1_shift=-1),                 # both SMMLAR form
             dict(input1_multiplier=(1 << 30) + 1),                          # shift 0, not 2^30
             dict(input1_shift=-3, input2_multiplier=1 << 30, input2_shift=0),   # swapped
             dict(output_shift=-1), dict(output_shift=-31), dict(output_shift=0),
             dict(output_shift=5), dict(output_multiplier=M_MAX, output_shift=-22),
             dict(output_multiplier=0), dict(left_shift=19), dict(left_shift=23),
             dict(left_shift=0, output_shift=2)]
    for i, e in enumerate(edges):
        out.append((f"edge{i}", {**base, **e}))
    return out


def mul_cases():
    out = []
    for i, (s1, s2, so) in enumerate([(0.05, 0.03, 0.001), (0.2, 0.2, 0.01), (0.01, 0.01, 0.5)]):
        m, sh = quant.quantize_multiplier(s1 * s2 / so)
        out.append((f"tflite{i}", dict(output_multiplier=m, output_shift=sh)))
    for i, (m, sh) in enumerate([(1 << 30, -1), (M_MAX, -8), (M_MAX, -23), (M_MAX, -24),
                                 (1 << 30, -31), (0, -5), (M_MAX, 0), (M_MAX, 24), (1 << 30, 3)]):
        out.append((f"edge{i}", dict(output_multiplier=m, output_shift=sh)))
    return out


ZPS = [(-3, 5, 2), (-128, 127, -128), (127, -128, 127), (0, 0, -2)]
ACTS = [(-128, 127), (-5, 90), (0, 0)]


def make(kind, name, q, shapes, zps, act, seed):
    rng = np.random.default_rng(seed)
    a, b = (rng.integers(-128, 128, sh, dtype=np.int8) for sh in shapes)
    if seed % 3 == 0:                 # the extremes, where |q - zp| = 255
        a.flat[0], b.flat[-1] = -128, 127
    dims, st1, st2 = ew.broadcast4(a.shape, b.shape)
    kw = dict(input1_zp=zps[0], input2_zp=zps[1], output_zp=zps[2], act_min=act[0],
              act_max=act[1], **q)
    want = (ew.add_s8 if kind == "add" else ew.mul_s8)(a, b, **kw)
    if kind == "add":
        params = [zps[0], zps[1], zps[2], q["left_shift"], q["input1_multiplier"],
                  q["input1_shift"], q["input2_multiplier"], q["input2_shift"],
                  q["output_multiplier"], q["output_shift"], act[0], act[1]]
    else:
        params = [zps[0], zps[1], zps[2], q["output_multiplier"], q["output_shift"], act[0], act[1]]
    return dict(a=a, b=b, geo=dims + st1 + st2, params=params,
                want=np.asarray(want, np.int8).reshape(np.broadcast_shapes(a.shape, b.shape)))


def all_cases(kind, every=1):
    qs = add_cases() if kind == "add" else mul_cases()
    out = []
    for i, (name, q) in enumerate(qs):
        for j, shapes in enumerate(SHAPES):
            if (i + j) % every:
                continue
            zps, act = ZPS[(i + j) % len(ZPS)], ACTS[(i * 7 + j) % len(ACTS)]
            out.append((f"{kind}-{name}-{shapes}", make(kind, name, q, shapes, zps, act, i * 31 + j)))
    return out


# ---- the regression of test_kernels_emulated.py, on the fast-path preconditions' edge ------

def regression_cases():
    a, b = np.array([-128], np.int8), np.array([1], np.int8)
    out = []
    for sh in (24, -24, -23):
        q = dict(output_multiplier=M_MAX, output_shift=sh)
        out.append(("mul-int32-min", dict(a=a, b=b, geo=[1, 1, 1, 1] + [0] * 8,
                    params=[0, 0, -2, M_MAX, sh, -128, 127],
                    want=ew.mul_s8(a, b, input1_zp=0, input2_zp=0, output_zp=-2, **q))))
    return out


@pytest.mark.parametrize("kind", ["add", "mul"])
def test_host_matches_reference(kind):
    fn = oo.kernel([f"elementwise/ck_{kind}_s8.c"], f"ck_{kind}_s8")
    cls = AddParams if kind == "add" else MulParams
    cases = all_cases(kind) + (regression_cases() if kind == "mul" else [])
    for name, c in cases:
        geo = oo.struct(dict(out_dims=c["geo"][:4], in1_strides=c["geo"][4:8],
                             in2_strides=c["geo"][8:]), Broadcast4)
        out = hostlib.Guarded(c["want"].shape)
        assert fn(oo.ref(cls(*c["params"])), oo.ref(geo), hostlib.ptr(c["a"]),
                  hostlib.ptr(c["b"]), out.ptr) == 0, name
        assert out.intact(), name
        assert np.array_equal(out.value(), c["want"]), name


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
        yield m.build([stub, src / "elementwise/ck_add_s8.c", src / "elementwise/ck_mul_s8.c"])


@pytest.mark.parametrize("kind", ["add", "mul"])
def test_emulated_matches_reference(fw, kind):
    cases = all_cases(kind, every=3) + (regression_cases() if kind == "mul" else [])
    for name, c in cases:
        out = np.full(c["want"].size + 8, 0x5A, np.int8)   # 8 canary bytes after the output
        r = fw.call(f"ck_{kind}_s8", np.array(c["params"], np.int32),
                    np.array(c["geo"], np.int32), c["a"], c["b"], out)
        assert r.value == 0, name
        got = r.arrays[-1].view(np.int8)
        assert np.array_equal(got[:c["want"].size], c["want"].ravel()), f"{fw.board.name}: {name}"
        assert np.all(got[c["want"].size:] == 0x5A), name
