"""float32 LEAKY_RELU and HARD_SWISH: reference vs tflite-micro over a wide range (signed zeros,
denormals, infinities, NaN, the hard-swish corners); C (host) vs reference; bad arguments;
under emulation on Cortex-M0+ (soft float), M4 and M7 (one firmware per board); a model
through the pipeline."""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import hostlib
from tests.helpers import ops_oracle as oo
from simulator.analyze import analyze
from simulator.frontend.builder import ModelBuilder
from simulator.reference import float_ops as fo
from simulator.reference.graph import run_graph
from tests.helpers.opmath_cases import activations

SRC = {"LEAKY_RELU": "activations/ck_leaky_relu_f32.c",
       "HARD_SWISH": "activations/ck_hard_swish_f32.c"}
NAME = {"LEAKY_RELU": "ck_leaky_relu_f32", "HARD_SWISH": "ck_hard_swish_f32"}
BOARDS = ["rp2040", "nrf52840", "stm32h743"]          # Cortex-M0+, M4, M7
CASES = [("LEAKY_RELU", 0.1), ("LEAKY_RELU", 0.3), ("LEAKY_RELU", 0.0), ("LEAKY_RELU", 1.7),
         ("HARD_SWISH", None)]
IDS = [f"{op}-{a}" for op, a in CASES]


def inputs(seed=0) -> np.ndarray:
    extra = [np.nan, -np.nan, np.inf, -np.inf, -3.0, 3.0, -2.9999998, 2.9999998, -3.0000002,
             3.0000002, 1e38, -1e38, 3.4e38]
    return np.concatenate([activations(seed), np.array(extra, np.float32)]).astype(np.float32)


def want(op, alpha, x):
    return fo.leaky_relu_f32(x, alpha) if op == "LEAKY_RELU" else fo.hard_swish_f32(x)


def arm_elementwise(w, x):
    """``w`` with the NaNs the op made (not propagated from the same element of ``x``) as the
    Arm default NaN. float_ops.arm_nans decides per tensor, and these inputs hold the x86
    pattern (-nan) themselves."""
    w = np.array(w, np.float32)
    made = (w.view(np.uint32) == fo.X86_DEFAULT_NAN) & (x.view(np.uint32) != fo.X86_DEFAULT_NAN)
    w.view(np.uint32)[made] = fo.ARM_DEFAULT_NAN
    return w


def model(op, alpha, shape):
    b = ModelBuilder(op.lower())
    x = b.input(shape, dtype="float32")
    y = b.tensor(shape, dtype="float32")
    b.op(op, [x], [y], **({} if alpha is None else {"alpha": alpha}))
    b.output(y)
    return b.build()


def call_args(op, alpha, x):
    return [x.size] + ([np.float32(alpha)] if op == "LEAKY_RELU" else [])


@pytest.mark.parametrize("op,alpha", CASES, ids=IDS)
def test_reference_matches_tflm(op, alpha):
    x = inputs()[None]
    g = model(op, alpha, x.shape)
    ours = np.asarray(run_graph(g, [x])[g.outputs[0]]).reshape(-1)
    theirs = oo.tflm(g, [x]).reshape(-1)
    # a NaN HARD_SWISH makes from -inf (inf * 0): the x86 host's default NaN in TFLM, the Arm
    # one in ours (float_ops.arm_nans); every other element bit for bit
    made = np.isnan(ours) & ~np.isnan(x.reshape(-1))
    assert np.array_equal(np.isnan(ours), np.isnan(theirs))
    oo.assert_bits_equal(ours[~made], theirs[~made])
    oo.assert_bits_equal(ours, fo.arm_nans(want(op, alpha, x), [x]).reshape(-1))


@pytest.mark.parametrize("op,alpha", CASES, ids=IDS)
def test_c_matches_reference(op, alpha):
    import ctypes
    x = inputs(1)
    out = hostlib.Guarded(x.shape, dtype=np.float32)
    fn = oo.kernel([SRC[op]], NAME[op])
    extra = [ctypes.c_float(alpha)] if op == "LEAKY_RELU" else []
    assert fn(x.size, *extra, hostlib.ptr(x), out.ptr) == 0
    assert out.intact()
    oo.assert_bits_equal(out.value(), want(op, alpha, x))       # the host's NaNs on both sides


@pytest.mark.parametrize("op", list(SRC))
def test_rejects_bad_args(op):
    import ctypes
    x = np.zeros(8, np.float32)
    out = hostlib.Guarded((8,), dtype=np.float32)
    fn = oo.kernel([SRC[op]], NAME[op])
    extra = [ctypes.c_float(0.1)] if op == "LEAKY_RELU" else []
    assert fn(-1, *extra, hostlib.ptr(x), out.ptr) == -1
    assert fn(8, *extra, None, out.ptr) == -1
    assert fn(8, *extra, hostlib.ptr(x), None) == -1
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
    x = inputs(2)
    for op, alpha in CASES:
        w = arm_elementwise(want(op, alpha, x), x)
        out = np.full(x.size + 8, 7.5, np.float32)
        r = fw.call(NAME[op], *call_args(op, alpha, x), x, out)
        assert r.value == 0, op
        got = r.arrays[-1].view(np.float32)
        assert np.array_equal(got[:x.size].view(np.uint32), w.view(np.uint32)), \
            f"{fw.board.name}: {op} {alpha}"
        assert np.all(got[x.size:] == 7.5), op


@pytest.mark.parametrize("op,alpha,board", [("LEAKY_RELU", 0.2, "stm32h743"),
                                            ("HARD_SWISH", None, "rp2040")])
def test_model_bit_exact(op, alpha, board):
    a = analyze(model(op, alpha, (1, 5, 5, 4)), board, schedule="plain")
    assert [l.kernel for l in a.layers] == [NAME[op]]
    assert a.bit_exact and a.fits


@pytest.mark.parametrize("core", oo.CORES)
def test_cross_compiles(core):
    for s in SRC.values():
        assert hostlib.cross_compile(s, core).exists()
