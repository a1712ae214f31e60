"""SUB, int8 and float32, with broadcasting and fused activations: reference vs tflite-micro
over random shapes and quantization; C (host) vs reference; bad arguments; under emulation on
Cortex-M0+, M4 and M7 (one firmware per board); models through the pipeline."""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import cstructs
from tests.helpers import hostlib
from tests.helpers import ops_oracle as oo
from simulator.analyze import analyze
from simulator.frontend.builder import ModelBuilder
from simulator.reference import elementwise as ew
from simulator.reference import float_ops as fo
from simulator.reference.graph import run_graph
from simulator.reference.padding import activation_range_s8
from tests.helpers.add_mul_kernels import SHAPES
from tests.helpers.opmath_cases import values

SRC = {"int8": "elementwise/ck_sub_s8.c", "float32": "elementwise/ck_sub_f32.c"}
NAME = {"int8": "ck_sub_s8", "float32": "ck_sub_f32"}
BOARDS = ["rp2040", "nrf52840", "stm32h743"]          # Cortex-M0+, M4, M7
ACTS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")
ACT_CODE = {"NONE": 0, "RELU": 1, "RELU6": 2, "RELU_N1_TO_1": 3}
AddParams = cstructs.struct("ck_add_s8_params")
ADD_FIELDS = cstructs.fields("ck_add_s8_params")
Broadcast4 = cstructs.struct("ck_broadcast4")


def case(dtype, i, seed):
    """(builder, [a, b], act, ck_add_s8_params fields or None) for case i."""
    rng = np.random.default_rng(seed * 1000 + i)
    sa, sb = SHAPES[i % len(SHAPES)]
    act = ACTS[i % (4 if dtype == "float32" else 3)]
    b = ModelBuilder("sub")
    if dtype == "float32":
        x, y = b.input(sa, dtype=dtype), b.input(sb, dtype=dtype)
        b.output(b.sub(x, y, activation=act))
        return b, [values(rng, sa, dtype), values(rng, sb, dtype)], act, None
    (s1, z1), (s2, z2), (so, zo) = (oo.scale_zp(rng) for _ in range(3))
    so = float(np.float32(so * 4))
    x, y = b.input(sa, scale=s1, zero_point=z1), b.input(sb, scale=s2, zero_point=z2)
    b.output(b.sub(x, y, activation=act, out_scale=so, out_zp=zo))
    lo, hi = activation_range_s8(act, so, zo)
    f = dict(input1_zp=z1, input2_zp=z2, output_zp=zo, **ew.add_params(s1, s2, so),
             act_min=lo, act_max=hi)
    return b, [oo.s8(rng, sa), oo.s8(rng, sb)], act, f


def want(dtype, a, b, act, f):
    return fo.sub_f32(a, b, act) if dtype == "float32" else ew.sub_s8(a, b, **f)


def shape4(a, b):
    dims, s1, s2 = ew.broadcast4(a.shape, b.shape)
    return dims + s1 + s2


ALL = [(dt, i) for dt in ("int8", "float32") for i in range(12)]


@pytest.mark.parametrize("dtype,i", ALL)
def test_reference_matches_tflm(dtype, i):
    b, xs, act, f = case(dtype, i, 1)
    g = b.build()
    ours = np.asarray(run_graph(g, xs)[g.outputs[0]]).reshape(-1)
    theirs = oo.tflm(g, xs).reshape(-1)
    if dtype == "float32":
        # inf - inf: the x86 host's default NaN (sign set) in TFLM, the Arm one in ours
        # (float_ops.arm_nans); every other element bit for bit.
        nan = np.isnan(ours)
        assert np.array_equal(nan, np.isnan(theirs))
        ours, theirs = ours[~nan], theirs[~nan]
    oo.assert_bits_equal(ours, theirs)
    oo.assert_bits_equal(np.asarray(run_graph(g, xs)[g.outputs[0]]).reshape(-1),
                         fo.arm_nans(want(dtype, *xs, act, f), xs).reshape(-1))


@pytest.mark.parametrize("dtype,i", ALL)
def test_c_matches_reference(dtype, i):
    _, (a, b), act, f = case(dtype, i, 2)
    geo = oo.struct(dict(zip(("out_dims", "in1_strides", "in2_strides"),
                             np.reshape(shape4(a, b), (3, 4)).tolist())), Broadcast4)
    out = hostlib.Guarded(np.broadcast_shapes(a.shape, b.shape), dtype=a.dtype)
    fn = oo.kernel([SRC[dtype]], NAME[dtype])
    head = [oo.ref(AddParams(**f)), oo.ref(geo)] if f else [oo.ref(geo), ACT_CODE[act]]
    assert fn(*head, hostlib.ptr(a), hostlib.ptr(b), out.ptr) == 0
    assert out.intact()
    oo.assert_bits_equal(out.value(), want(dtype, a, b, act, f))


def test_rejects_bad_args():
    geo = oo.struct(dict(out_dims=[1, 1, 1, 8], in1_strides=[0, 0, 0, 1],
                         in2_strides=[0, 0, 0, 1]), Broadcast4)
    bad_geo = oo.struct(dict(out_dims=[1, 0, 1, 8], in1_strides=[0, 0, 0, 1],
                             in2_strides=[0, 0, 0, 1]), Broadcast4)
    a8, af = np.zeros(8, np.int8), np.zeros(8, np.float32)
    o8, of = hostlib.Guarded((8,)), hostlib.Guarded((8,), dtype=np.float32)
    s8, f32 = oo.kernel([SRC["int8"]], NAME["int8"]), oo.kernel([SRC["float32"]], NAME["float32"])
    p = AddParams(0, 0, 0, 20, 1 << 30, -1, 1 << 30, -1, 1 << 30, -19, 10, 5)  # act_min > max
    assert s8(oo.ref(p), oo.ref(geo), hostlib.ptr(a8), hostlib.ptr(a8), o8.ptr) == -1
    p.act_min = -128
    assert s8(oo.ref(p), oo.ref(bad_geo), hostlib.ptr(a8), hostlib.ptr(a8), o8.ptr) == -1
    assert s8(oo.ref(p), oo.ref(geo), hostlib.ptr(a8), None, o8.ptr) == -1
    assert f32(oo.ref(geo), 7, hostlib.ptr(af), hostlib.ptr(af), of.ptr) == -1
    assert f32(oo.ref(bad_geo), 0, hostlib.ptr(af), hostlib.ptr(af), of.ptr) == -1
    assert f32(oo.ref(geo), 0, None, hostlib.ptr(af), of.ptr) == -1
    assert o8.untouched() and of.untouched()


@pytest.fixture(scope="module", params=BOARDS)
def fw(request):
    from simulator.machine import Machine
    with tempfile.TemporaryDirectory() as tmp:
        stub = Path(tmp) / "main.c"
        stub.write_text("int main(void) { return 0; }\n")
        sources = [hostlib.SRC / s for s in SRC.values()]
        yield Machine(request.param, ram="256K", stack="4K").build([stub, *sources])


def test_emulated_matches_reference(fw):
    for dtype, i in ALL[::2]:
        _, (a, b), act, f = case(dtype, i, 3)
        w = fo.arm_nans(want(dtype, a, b, act, f), (a, b)).ravel()     # the Arm default NaN
        out = np.full(w.size + 8, 0x5A if dtype == "int8" else 7.5, a.dtype)
        geo = np.array(shape4(a, b), np.int32)
        head = ([np.array([f[k] for k in ADD_FIELDS], np.int32), geo] if f
                else [geo, ACT_CODE[act]])
        r = fw.call(NAME[dtype], *head, a.ravel(), b.ravel(), out)
        assert r.value == 0, (dtype, i)
        got = r.arrays[-1].view(a.dtype)
        assert np.array_equal(got[:w.size].view(np.uint8), w.view(np.uint8)), \
            f"{fw.board.name}: {dtype} case {i}"
        assert np.array_equal(got[w.size:], out[w.size:]), (dtype, i)


@pytest.mark.parametrize("dtype,board", [("int8", "nrf52840"), ("float32", "stm32h743")])
def test_model_bit_exact(dtype, board):
    """x - c (a per-channel constant), lowered from SUB's rule row and run as a model."""
    b = ModelBuilder("sub")
    cv = np.linspace(-1, 1, 6).reshape(1, 1, 1, 6)
    if dtype == "int8":
        x = b.input((1, 4, 4, 6), scale=0.03, zero_point=2)
        c = b.const((cv * 100).astype(np.int8), "int8", scale=0.01, zero_point=0)
        b.output(b.sub(x, c, activation="RELU", out_scale=0.05, out_zp=-10))
    else:
        x = b.input((1, 4, 4, 6), dtype=dtype)
        b.output(b.sub(x, b.const(cv.astype(np.float32), dtype), activation="RELU"))
    a = analyze(b.build(), board, schedule="plain")
    assert [l.kernel for l in a.layers] == [NAME[dtype]]
    assert a.bit_exact and a.fits


@pytest.mark.parametrize("core", oo.CORES)
def test_cross_compiles(core):
    for s in SRC.values():
        assert hostlib.cross_compile(s, core).exists()
