"""PRELU int8 (alpha per channel, broadcast against the input): reference vs tflite-micro over
random scales, zero points and shapes; C kernel (host) vs reference; bad arguments; under
emulation on Cortex-M0+, M4 and M7 (one firmware per board); a model through the pipeline.
The float32 PRELU (ck_prelu_f32) the same way, sharing the firmware."""
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
from tests.helpers.opmath_cases import values

SRC, NAME = "elementwise/ck_prelu_s8.c", "ck_prelu_s8"
SRC_F32, NAME_F32 = "elementwise/ck_prelu_f32.c", "ck_prelu_f32"
BOARDS = ["rp2040", "nrf52840", "stm32h743"]          # Cortex-M0+, M4, M7
# (input shape, alpha shape): per channel as the converter writes it, a scalar, a full tensor
SHAPES = [((1, 4, 5, 6), (1, 1, 6)), ((1, 3, 3, 8), (8,)), ((2, 7), (1, 7)),
          ((1, 2, 3, 4), (1,)), ((1, 2, 2, 3), (1, 2, 2, 3)), ((1, 5, 1, 4), (5, 1, 4))]
FIELDS = cstructs.fields("ck_prelu_s8_params")
Params = cstructs.struct("ck_prelu_s8_params")
Broadcast4 = cstructs.struct("ck_broadcast4")


def case(i, seed):
    """(model builder, input, fields, alpha) for case i of a seeded series."""
    rng = np.random.default_rng(seed * 1000 + i)
    shape, a_shape = SHAPES[i % len(SHAPES)]
    (s_in, zp_in), (s_a, zp_a), (s_out, zp_out) = (oo.scale_zp(rng) for _ in range(3))
    alpha = oo.s8(rng, a_shape)
    b = ModelBuilder("prelu")
    x = b.input(shape, scale=s_in, zero_point=zp_in)
    a = b.const(alpha, "int8", scale=s_a, zero_point=zp_a)
    y = b.tensor(shape, scale=s_out, zero_point=zp_out)
    b.op("PRELU", [x, a], [y])
    b.output(y)
    fields = dict(input_zp=zp_in, alpha_zp=zp_a, output_zp=zp_out,
                  **ew.prelu_params(s_in, s_a, s_out))
    return b, oo.s8(rng, shape), fields, alpha


def case_f32(i, seed):
    """(builder, x, alpha) of a float32 PRELU: NaN, infinities and signed zeros in both."""
    rng = np.random.default_rng(seed * 1000 + i)
    shape, a_shape = SHAPES[i % len(SHAPES)]
    alpha = values(rng, a_shape, "float32")
    b = ModelBuilder("prelu_f32")
    x = b.input(shape, dtype="float32")
    y = b.tensor(shape, dtype="float32")
    b.op("PRELU", [x, b.const(alpha, "float32")], [y])
    b.output(y)
    return b, values(rng, shape, "float32"), alpha


def _shape4(x, alpha):
    dims, s1, s2 = ew.broadcast4(x.shape, alpha.shape)
    return dims + s1 + s2


@pytest.mark.parametrize("i", range(12))
def test_reference_matches_tflm(i):
    b, x, _, _ = case(i, 1)
    oo.check_against_tflm(b, [x])


@pytest.mark.parametrize("i", range(12))
def test_c_matches_reference(i):
    _, x, f, alpha = case(i, 2)
    geo = oo.struct(dict(zip(("out_dims", "in1_strides", "in2_strides"),
                             np.reshape(_shape4(x, alpha), (3, 4)).tolist())), Broadcast4)
    out = hostlib.Guarded(x.shape)
    assert oo.kernel([SRC], NAME)(oo.ref(Params(*(f[k] for k in FIELDS))), oo.ref(geo),
                                  hostlib.ptr(x), hostlib.ptr(alpha), out.ptr) == 0
    assert out.intact()
    oo.assert_bits_equal(out.value(), ew.prelu_s8(x, alpha, **f))


def test_rejects_bad_args():
    x = np.zeros(8, np.int8)
    out = hostlib.Guarded((8,))
    fn = oo.kernel([SRC], NAME)
    good = dict(out_dims=[1, 1, 1, 8], in1_strides=[0, 0, 0, 1], in2_strides=[0, 0, 0, 1])
    geo = oo.struct(good, Broadcast4)
    ok = [0, 0, 0, 1 << 30, 1, 1 << 30, -3]
    for k, bad in ((0, 200), (1, -129), (4, 32), (6, -32)):
        fields = list(ok)
        fields[k] = bad
        assert fn(oo.ref(Params(*fields)), oo.ref(geo), hostlib.ptr(x), hostlib.ptr(x),
                  out.ptr) == -1
    bad_geo = oo.struct(dict(good, out_dims=[1, 0, 1, 8]), Broadcast4)
    assert fn(oo.ref(Params(*ok)), oo.ref(bad_geo), hostlib.ptr(x), hostlib.ptr(x), out.ptr) == -1
    assert fn(oo.ref(Params(*ok)), oo.ref(geo), hostlib.ptr(x), None, out.ptr) == -1
    assert fn(oo.ref(Params(*ok)), None, hostlib.ptr(x), hostlib.ptr(x), out.ptr) == -1
    assert out.untouched()


@pytest.mark.parametrize("i", range(6))
def test_f32_reference_matches_tflm(i):
    b, x, alpha = case_f32(i, 5)
    g = b.build()
    ours = np.asarray(run_graph(g, [x])[g.outputs[0]]).reshape(-1)
    theirs = oo.tflm(g, [x]).reshape(-1)
    # NaNs the op makes (-inf * 0): x86's default NaN in TFLM, Arm's in ours; the rest exact
    made = np.isnan(ours) & ~np.isnan(np.broadcast_to(x, g.tensor(g.outputs[0]).shape).ravel())
    assert np.array_equal(np.isnan(ours), np.isnan(theirs))
    oo.assert_bits_equal(ours[~made], theirs[~made])


@pytest.mark.parametrize("i", range(6))
def test_f32_c_matches_reference(i):
    _, x, alpha = case_f32(i, 6)
    geo = oo.struct(dict(zip(("out_dims", "in1_strides", "in2_strides"),
                             np.reshape(_shape4(x, alpha), (3, 4)).tolist())), Broadcast4)
    out = hostlib.Guarded(x.shape, dtype=np.float32)
    assert oo.kernel([SRC_F32], NAME_F32)(oo.ref(geo), hostlib.ptr(x), hostlib.ptr(alpha),
                                          out.ptr) == 0
    assert out.intact()
    oo.assert_bits_equal(out.value(), fo.prelu_f32(x, alpha))


def test_f32_rejects_bad_args():
    x = np.zeros(8, np.float32)
    out = hostlib.Guarded((8,), dtype=np.float32)
    fn = oo.kernel([SRC_F32], NAME_F32)
    geo = oo.struct(dict(out_dims=[1, 1, 1, 8], in1_strides=[0, 0, 0, 1],
                         in2_strides=[0, 0, 0, -1]), Broadcast4)
    assert fn(oo.ref(geo), hostlib.ptr(x), hostlib.ptr(x), out.ptr) == -1
    assert fn(None, hostlib.ptr(x), hostlib.ptr(x), out.ptr) == -1
    assert out.untouched()


@pytest.fixture(scope="module", params=BOARDS)
def fw(request):
    from simulator.machine import Machine
    with tempfile.TemporaryDirectory() as tmp:
        stub = Path(tmp) / "main.c"
        stub.write_text("int main(void) { return 0; }\n")
        yield Machine(request.param, ram="256K", stack="4K").build(
            [stub, hostlib.SRC / SRC, hostlib.SRC / SRC_F32])


def test_emulated_matches_reference(fw):
    for i in range(6):
        _, x, f, alpha = case(i, 3)
        n = x.size
        out = np.full(n + 8, 0x5A, np.int8)        # 8 canary bytes after the output
        r = fw.call(NAME, np.array([f[k] for k in FIELDS], np.int32),
                    np.array(_shape4(x, alpha), np.int32), x.ravel(), alpha.ravel(), out)
        assert r.value == 0, i
        got = r.arrays[-1].view(np.int8)
        assert np.array_equal(got[:n], ew.prelu_s8(x, alpha, **f).ravel()), \
            f"{fw.board.name}: case {i}"
        assert np.all(got[n:] == 0x5A), i


def test_f32_emulated_matches_reference(fw):
    for i in range(4):
        _, x, alpha = case_f32(i, 7)
        w = fo.arm_nans(fo.prelu_f32(x, alpha), (x, alpha)).ravel()
        out = np.full(w.size + 8, 7.5, np.float32)
        r = fw.call(NAME_F32, np.array(_shape4(x, alpha), np.int32), x.ravel(), alpha.ravel(),
                    out)
        assert r.value == 0, i
        got = r.arrays[-1].view(np.float32)
        assert np.array_equal(got[:w.size].view(np.uint32), w.view(np.uint32)), \
            f"{fw.board.name}: case {i}"
        assert np.all(got[w.size:] == 7.5), i


def test_model_bit_exact():
    """The op lowered from its rule row (emitter ``prelu``) and run as a model on the M7."""
    b, _, _, _ = case(0, 4)
    a = analyze(b.build(), "stm32h743", schedule="plain")
    assert [l.kernel for l in a.layers] == [NAME]
    assert a.bit_exact and a.fits


def test_f32_model_bit_exact():
    b = ModelBuilder("prelu_f32")
    x = b.input((1, 4, 4, 6), dtype="float32")
    y = b.tensor((1, 4, 4, 6), dtype="float32")
    b.op("PRELU", [x, b.const(np.linspace(-0.5, 1.5, 6, dtype=np.float32).reshape(1, 1, 6),
                              "float32")], [y])
    b.output(y)
    a = analyze(b.build(), "nrf52840", schedule="plain")
    assert [l.kernel for l in a.layers] == [NAME_F32]
    assert a.bit_exact and a.fits


@pytest.mark.parametrize("core", oo.CORES)
def test_cross_compiles(core):
    assert hostlib.cross_compile(SRC, core).exists()
    assert hostlib.cross_compile(SRC_F32, core).exists()
