"""SQUARED_DIFFERENCE int8 with broadcasting: reference vs tflite-micro over random shapes,
scales and zero points; C (host) vs reference; bad arguments; under emulation on Cortex-M0+,
M4 and M7 (one firmware per board); a model through the pipeline."""
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
from tests.helpers.add_mul_kernels import SHAPES

SRC, NAME = "elementwise/ck_squared_difference_s8.c", "ck_squared_difference_s8"
BOARDS = ["rp2040", "nrf52840", "stm32h743"]          # Cortex-M0+, M4, M7
AddParams = cstructs.struct("ck_add_s8_params")
FIELDS = cstructs.fields("ck_add_s8_params")
Broadcast4 = cstructs.struct("ck_broadcast4")


def model(shapes, q):
    (s1, z1), (s2, z2), (so, zo) = q
    b = ModelBuilder("squared_difference")
    x, y = b.input(shapes[0], scale=s1, zero_point=z1), b.input(shapes[1], scale=s2, zero_point=z2)
    out = b.tensor(np.broadcast_shapes(*shapes), scale=so, zero_point=zo)
    b.op("SQUARED_DIFFERENCE", [x, y], [out])
    b.output(out)
    return b


def case(i, seed):
    """(builder, [a, b], ck_add_s8_params fields) for case i of a seeded series."""
    rng = np.random.default_rng(seed * 1000 + i)
    shapes = SHAPES[i % len(SHAPES)]
    (s1, z1), (s2, z2), (_, zo) = (oo.scale_zp(rng) for _ in range(3))
    # the largest square is (255 max(s1, s2))^2: spread it over 255 steps, or a fraction
    so = float(np.float32(255 * max(s1, s2) ** 2 * rng.uniform(0.15, 1.0)))
    f = dict(input1_zp=z1, input2_zp=z2, output_zp=zo, **ew.squared_difference_params(s1, s2, so),
             act_min=-128, act_max=127)
    return (model(shapes, ((s1, z1), (s2, z2), (so, zo))),
            [oo.s8(rng, shapes[0]), oo.s8(rng, shapes[1])], f)


def shape4(a, b):
    dims, s1, s2 = ew.broadcast4(a.shape, b.shape)
    return dims + s1 + s2


@pytest.mark.parametrize("i", range(16))
def test_reference_matches_tflm(i):
    b, xs, f = case(i, 1)
    oo.check_against_tflm(b, xs)
    oo.assert_bits_equal(oo.reference(b.build(), xs).reshape(-1),
                         ew.squared_difference_s8(*xs, **f).reshape(-1))


@pytest.mark.parametrize("i", range(16))
def test_c_matches_reference(i):
    _, (a, b), f = case(i, 2)
    geo = oo.struct(dict(zip(("out_dims", "in1_strides", "in2_strides"),
                             np.reshape(shape4(a, b), (3, 4)).tolist())), Broadcast4)
    out = hostlib.Guarded(np.broadcast_shapes(a.shape, b.shape))
    assert oo.kernel([SRC], NAME)(oo.ref(AddParams(**f)), oo.ref(geo), hostlib.ptr(a),
                                  hostlib.ptr(b), out.ptr) == 0
    assert out.intact()
    oo.assert_bits_equal(out.value(), ew.squared_difference_s8(a, b, **f))


def test_rejects_bad_args():
    fn = oo.kernel([SRC], NAME)
    a = np.zeros(8, np.int8)
    out = hostlib.Guarded((8,))
    geo = oo.struct(dict(out_dims=[1, 1, 1, 8], in1_strides=[0, 0, 0, 1],
                         in2_strides=[0, 0, 0, 1]), Broadcast4)
    good = dict(input1_zp=0, input2_zp=0, output_zp=0, **ew.squared_difference_params(
        0.1, 0.1, 0.5), act_min=-128, act_max=127)
    for bad in (dict(left_shift=8), dict(input1_shift=1), dict(act_min=5, act_max=4)):
        p = AddParams(**{**good, **bad})
        assert fn(oo.ref(p), oo.ref(geo), hostlib.ptr(a), hostlib.ptr(a), out.ptr) == -1
    assert fn(oo.ref(AddParams(**good)), None, hostlib.ptr(a), hostlib.ptr(a), out.ptr) == -1
    assert fn(oo.ref(AddParams(**good)), oo.ref(geo), None, hostlib.ptr(a), out.ptr) == -1
    assert out.untouched()


@pytest.fixture(scope="module", params=BOARDS)
def fw(request):
    from simulator.machine import Machine
    with tempfile.TemporaryDirectory() as tmp:
        stub = Path(tmp) / "main.c"
        stub.write_text("int main(void) { return 0; }\n")
        yield Machine(request.param, ram="256K", stack="4K").build([stub, hostlib.SRC / SRC])


def test_emulated_matches_reference(fw):
    for i in range(8):
        _, (a, b), f = case(i, 3)
        w = ew.squared_difference_s8(a, b, **f).ravel()
        out = np.full(w.size + 8, 0x5A, np.int8)
        r = fw.call(NAME, np.array([f[k] for k in FIELDS], np.int32),
                    np.array(shape4(a, b), np.int32), a.ravel(), b.ravel(), out)
        assert r.value == 0, i
        got = r.arrays[-1].view(np.int8)
        assert np.array_equal(got[:w.size], w), f"{fw.board.name}: case {i}"
        assert np.all(got[w.size:] == 0x5A), i


def test_model_bit_exact():
    b = ModelBuilder("squared_difference")
    x = b.input((1, 4, 4, 6), scale=0.03, zero_point=2)
    c = b.const(np.arange(-30, 30, 10, dtype=np.int8).reshape(1, 1, 1, 6), "int8", scale=0.02,
                zero_point=-3)
    out = b.tensor((1, 4, 4, 6), scale=0.08, zero_point=-128)
    b.op("SQUARED_DIFFERENCE", [x, c], [out])
    b.output(out)
    a = analyze(b.build(), "stm32h743", schedule="plain")
    assert [l.kernel for l in a.layers] == [NAME]
    assert a.bit_exact and a.fits


@pytest.mark.parametrize("core", oo.CORES)
def test_cross_compiles(core):
    assert hostlib.cross_compile(SRC, core).exists()
