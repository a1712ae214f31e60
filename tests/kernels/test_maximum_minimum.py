"""MAXIMUM and MINIMUM, int8 and float32, with broadcasting: reference vs tflite-micro over
random shapes (and quantization for int8; NaN and signed zeros for float32); C kernels (host)
vs reference; bad arguments; under emulation on Cortex-M0+, M4 and M7 (one firmware per board
for all four kernels); models through the pipeline."""
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

OPS = ("MAXIMUM", "MINIMUM")
DTYPES = ("int8", "float32")
BOARDS = ["rp2040", "nrf52840", "stm32h743"]          # Cortex-M0+, M4, M7
SHAPES = [((1, 4, 5, 6), (1, 4, 5, 6)), ((1, 4, 5, 6), (1, 1, 1, 6)), ((1, 1, 1, 6), (1, 4, 5, 6)),
          ((2, 3), (1, 3)), ((1, 3, 1, 2), (1, 1, 4, 1)), ((5,), (1,)), ((1, 2, 3, 4), (4,))]
Broadcast4 = cstructs.struct("ck_broadcast4")
WANT = {("MAXIMUM", "float32"): fo.maximum_f32, ("MINIMUM", "float32"): fo.minimum_f32,
        ("MAXIMUM", "int8"): np.maximum, ("MINIMUM", "int8"): np.minimum}


def src(op, dtype):
    return f"elementwise/ck_{op.lower()}_{'s8' if dtype == 'int8' else 'f32'}.c"


def case(op, dtype, i, seed):
    """(model builder, [a, b]) for case i of a seeded series: one quantization for all."""
    rng = np.random.default_rng(seed * 1000 + i)
    sa, sb = SHAPES[i % len(SHAPES)]
    s, zp = oo.scale_zp(rng) if dtype == "int8" else (None, 0)
    b = ModelBuilder(op.lower())
    x = b.input(sa, scale=s, zero_point=zp, dtype=dtype)
    y = b.input(sb, scale=s, zero_point=zp, dtype=dtype)
    out = b.tensor(np.broadcast_shapes(sa, sb), scale=s, zero_point=zp, dtype=dtype)
    b.op(op, [x, y], [out])
    b.output(out)
    return b, [values(rng, sa, dtype), values(rng, sb, dtype)]


def shape4(a, b):
    dims, s1, s2 = ew.broadcast4(a.shape, b.shape)
    return dims, s1, s2


ALL = [(op, dt, i) for op in OPS for dt in DTYPES for i in range(len(SHAPES))]


@pytest.mark.parametrize("op,dtype,i", ALL)
def test_reference_matches_tflm(op, dtype, i):
    b, xs = case(op, dtype, i, 1)
    g = b.build()
    want = run_graph(g, xs)[g.outputs[0]]       # the float32 adapter for float32 outputs
    oo.assert_bits_equal(np.asarray(want).reshape(-1), oo.tflm(g, xs).reshape(-1))


@pytest.mark.parametrize("op,dtype,i", ALL)
def test_c_matches_reference(op, dtype, i):
    _, (a, b) = case(op, dtype, i, 2)
    dims, s1, s2 = shape4(a, b)
    geo = oo.struct(dict(out_dims=dims, in1_strides=s1, in2_strides=s2), Broadcast4)
    out = hostlib.Guarded(np.broadcast_shapes(a.shape, b.shape), dtype=a.dtype)
    fn = oo.kernel([src(op, dtype)], f"ck_{op.lower()}_{'s8' if dtype == 'int8' else 'f32'}")
    assert fn(oo.ref(geo), hostlib.ptr(a), hostlib.ptr(b), out.ptr) == 0
    assert out.intact()
    oo.assert_bits_equal(out.value(), WANT[op, dtype](a, b))


@pytest.mark.parametrize("op,dtype", [(op, dt) for op in OPS for dt in DTYPES])
def test_rejects_bad_args(op, dtype):
    fn = oo.kernel([src(op, dtype)], f"ck_{op.lower()}_{'s8' if dtype == 'int8' else 'f32'}")
    a = np.zeros(8, np.int8 if dtype == "int8" else np.float32)
    out = hostlib.Guarded((8,), dtype=a.dtype)
    good = dict(out_dims=[1, 1, 1, 8], in1_strides=[0, 0, 0, 1], in2_strides=[0, 0, 0, 1])
    for bad in (dict(out_dims=[1, 0, 1, 8]), dict(in2_strides=[0, 0, 0, -1])):
        geo = oo.struct(dict(good, **bad), Broadcast4)
        assert fn(oo.ref(geo), hostlib.ptr(a), hostlib.ptr(a), out.ptr) == -1
    geo = oo.struct(good, Broadcast4)
    assert fn(None, hostlib.ptr(a), hostlib.ptr(a), out.ptr) == -1
    assert fn(oo.ref(geo), hostlib.ptr(a), None, out.ptr) == -1
    assert out.untouched()


@pytest.fixture(scope="module", params=BOARDS)
def fw(request):
    from simulator.machine import Machine
    with tempfile.TemporaryDirectory() as tmp:
        stub = Path(tmp) / "main.c"
        stub.write_text("int main(void) { return 0; }\n")
        sources = [hostlib.SRC / src(op, dt) for op in OPS for dt in DTYPES]
        yield Machine(request.param, ram="256K", stack="4K").build([stub, *sources])


def test_emulated_matches_reference(fw):
    for op, dtype, i in ALL[::2]:
        _, (a, b) = case(op, dtype, i, 3)
        want = WANT[op, dtype](a, b).ravel()
        n = want.size
        out = np.full(n + 8, 0x5A, a.dtype) if dtype == "int8" else np.full(n + 8, 7.5, a.dtype)
        dims, s1, s2 = shape4(a, b)
        r = fw.call(f"ck_{op.lower()}_{'s8' if dtype == 'int8' else 'f32'}",
                    np.array(dims + s1 + s2, np.int32), a.ravel(), b.ravel(), out)
        assert r.value == 0, (op, dtype, i)
        got = r.arrays[-1].view(a.dtype)
        assert np.array_equal(got[:n].view(np.uint8), want.view(np.uint8)), \
            f"{fw.board.name}: {op} {dtype} case {i}"
        assert np.array_equal(got[n:], out[n:]), (op, dtype, i)


@pytest.mark.parametrize("dtype,board", [("int8", "nrf52840"), ("float32", "stm32h743")])
def test_model_bit_exact(dtype, board):
    """MAXIMUM then MINIMUM lowered from their rule rows (emitter ``minmax``), run as a model."""
    s = 0.05 if dtype == "int8" else None
    b = ModelBuilder("minmax")
    x = b.input((1, 4, 4, 6), scale=s, zero_point=3, dtype=dtype)
    cv = np.array([-40, -3, 0, 5, 30, 90], np.float32).reshape(1, 1, 1, 6) / 20
    c = b.const(cv if dtype == "float32" else (cv * 20).astype(np.int8), dtype, scale=s,
                zero_point=3)
    m = b.tensor((1, 4, 4, 6), scale=s, zero_point=3, dtype=dtype)
    y = b.tensor((1, 4, 4, 6), scale=s, zero_point=3, dtype=dtype)
    b.op("MAXIMUM", [x, c], [m])
    b.op("MINIMUM", [c, m], [y])
    b.output(y)
    a = analyze(b.build(), board, schedule="plain")
    suffix = "s8" if dtype == "int8" else "f32"
    assert [l.kernel for l in a.layers] == [f"ck_maximum_{suffix}", f"ck_minimum_{suffix}"]
    assert a.bit_exact and a.fits


@pytest.mark.parametrize("core", oo.CORES)
def test_cross_compiles(core):
    for op in OPS:
        for dtype in DTYPES:
            assert hostlib.cross_compile(src(op, dtype), core).exists()


@pytest.mark.parametrize("op", ["MAXIMUM", "PRELU", "SQUARED_DIFFERENCE"])
def test_bad_shapes_are_named_before_any_build(op):
    """Operands that do not broadcast, or an output declared at another size, are ModelErrors
    naming the op (simulator/budget.py), not a NumPy error or an overrun."""
    from simulator.errors import ModelError
    for a_shape, out_shape, what in (((1, 3, 5), (1, 3, 4), "do not broadcast"),
                                     ((1, 1, 4), (1, 3, 2), "declares")):
        b = ModelBuilder("bad")
        x = b.input((1, 3, 4), scale=0.1, zero_point=0)
        c = b.const(np.ones(a_shape, np.int8), "int8", scale=0.1, zero_point=0)
        y = b.tensor(out_shape, scale=0.1, zero_point=0)
        b.op(op, [x, c], [y])
        b.output(y)
        with pytest.raises(ModelError, match=what) as err:
            analyze(b.build(), "stm32h743")
        assert err.value.opcode == op
