"""SUM, int8 (ck_mean_s8 with SUM's multiplier) and float32 (ck_sum_f32), over contiguous axes:
reference vs tflite-micro over random shapes, axes and quantization; C (host) vs reference;
bad arguments; under emulation on Cortex-M0+, M4 and M7 (one firmware per board); models
through the pipeline."""
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
from simulator.reference import float_ops as fo
from simulator.reference.graph import run_graph
from simulator.reference.reduce import mean_geometry, mean_s8, sum_params

SRC = {"int8": "reduce/ck_mean_s8.c", "float32": "reduce/ck_sum_f32.c"}
NAME = {"int8": "ck_mean_s8", "float32": "ck_sum_f32"}
BOARDS = ["rp2040", "nrf52840", "stm32h743"]          # Cortex-M0+, M4, M7
AXES = [((1, 2), True), ((1, 2), False), ((3,), True), ((1,), False), ((2, 3), True),
        ((0, 1, 2, 3), False)]
FIELDS = cstructs.fields("ck_mean_s8_params")
Params = cstructs.struct("ck_mean_s8_params")


def case(dtype, i, seed):
    """(builder, input, axes, keep_dims, fields of ck_mean_s8 or None) for case i."""
    rng = np.random.default_rng(seed * 1000 + i)
    axes, keep = AXES[i % len(AXES)]
    shape = (int(rng.integers(1, 3)), int(rng.integers(1, 10)), int(rng.integers(1, 10)),
             int(rng.integers(1, 9)))
    b = ModelBuilder("sum")
    if dtype == "float32":
        x = (rng.normal(size=shape) * 10.0 ** rng.uniform(-3, 3, size=shape)).astype(np.float32)
        b.output(b.sum(b.input(shape, dtype=dtype), axes, keep))
        return b, x, axes, keep, None
    count = int(np.prod([shape[a] for a in axes]))
    (s, z), (_, zo) = oo.scale_zp(rng), oo.scale_zp(rng)
    so = float(np.float32(s * count * rng.uniform(0.4, 1.5)))   # |sum - zp count| <= 256 count
    b.output(b.sum(b.input(shape, scale=s, zero_point=z), axes, keep, so, zo))
    return b, oo.s8(rng, shape), axes, keep, sum_params(s, z, so, zo)


def want(dtype, x, axes, keep, f):
    if dtype == "float32":
        return fo.mean_f32(x, axes, keep, divide=False)
    return mean_s8(x, axes, keep, **f)


ALL = [(dt, i) for dt in ("int8", "float32") for i in range(10)]


@pytest.mark.parametrize("dtype,i", ALL)
def test_reference_matches_tflm(dtype, i):
    b, x, axes, keep, f = case(dtype, i, 1)
    g = b.build()
    ours = np.asarray(run_graph(g, [x])[g.outputs[0]])
    oo.assert_bits_equal(ours.reshape(-1), oo.tflm(g, [x]).reshape(-1))
    oo.assert_bits_equal(ours.reshape(-1), want(dtype, x, axes, keep, f).reshape(-1))


def _call_host(dtype, x, axes, f):
    outer, red, inner = mean_geometry(x.shape, axes)
    out = hostlib.Guarded((outer * inner,), dtype=x.dtype)
    fn = oo.kernel([SRC[dtype]], NAME[dtype])
    if dtype == "int8":
        rc = fn(oo.ref(Params(outer, red, inner, **f)), hostlib.ptr(x), out.ptr)
    else:
        rc = fn(outer, red, inner, hostlib.ptr(x), out.ptr)
    assert rc == 0 and out.intact()
    return out.value()


@pytest.mark.parametrize("dtype,i", ALL)
def test_c_matches_reference(dtype, i):
    _, x, axes, keep, f = case(dtype, i, 2)
    oo.assert_bits_equal(_call_host(dtype, x, axes, f), want(dtype, x, axes, keep, f).ravel())


def test_rejects_bad_args():
    fn = oo.kernel([SRC["float32"]], NAME["float32"])
    x = np.zeros(16, np.float32)
    out = hostlib.Guarded((16,), dtype=np.float32)
    for dims in ((0, 1, 1), (1, 0, 4), (1, 4, 0)):
        assert fn(*dims, hostlib.ptr(x), out.ptr) == -1
    assert fn(1, 4, 4, None, out.ptr) == -1
    assert out.untouched()


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
        _, x, axes, keep, f = case(dtype, i, 3)
        w = want(dtype, x, axes, keep, f).ravel()
        outer, red, inner = mean_geometry(x.shape, axes)
        out = np.full(w.size + 8, 0x5A if dtype == "int8" else 7.5, x.dtype)
        if dtype == "int8":
            r = fw.call(NAME[dtype], np.array([outer, red, inner] + [f[k] for k in FIELDS[3:]],
                                              np.int32), x.ravel(), out)
        else:
            r = fw.call(NAME[dtype], outer, red, inner, x.ravel(), out)
        assert r.value == 0, (dtype, i)
        got = r.arrays[-1].view(x.dtype)
        assert np.array_equal(got[:w.size].view(np.uint8), w.view(np.uint8)), \
            f"{fw.board.name}: {dtype} case {i}"
        assert np.array_equal(got[w.size:], out[w.size:]), (dtype, i)


@pytest.mark.parametrize("dtype,board", [("int8", "stm32h743"), ("float32", "nrf52840")])
def test_model_bit_exact(dtype, board):
    b = ModelBuilder("sum")
    if dtype == "int8":
        b.output(b.sum(b.input((1, 6, 6, 8), scale=0.02, zero_point=-5), (1, 2), True, 0.3, 4))
    else:
        b.output(b.sum(b.input((1, 6, 6, 8), dtype="float32"), (1, 2), True))
    a = analyze(b.build(), board, schedule="plain")
    assert [l.kernel for l in a.layers] == [NAME[dtype]]
    assert a.bit_exact and a.fits


@pytest.mark.parametrize("core", oo.CORES)
def test_cross_compiles(core):
    assert hostlib.cross_compile(SRC["float32"], core).exists()
