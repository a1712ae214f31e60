"""LEAKY_RELU int8 (every input value, random scales and alphas): reference vs tflite-micro,
C kernel (host) vs reference, bad arguments, and under emulation on Cortex-M0+, M4 and M7 (the
kernel alone, then a model through the whole pipeline: rule row, emitter, codegen)."""
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
from simulator.reference.activations import leaky_relu_params, leaky_relu_s8

SRC, NAME = "activations/ck_leaky_relu_s8.c", "ck_leaky_relu_s8"
ALL_S8 = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)
FIELDS = cstructs.fields("ck_leaky_relu_s8_params")
BOARDS = ["rp2040", "nrf52840", "stm32h743"]          # Cortex-M0+, M4, M7

Params = cstructs.struct("ck_leaky_relu_s8_params")


def _cases(n, seed=11):
    """(s_in, zp_in, s_out, zp_out, alpha): random, then alpha 0, 1 and > 1, tiny/large ratios."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        s_in, zp_in = oo.scale_zp(rng)
        s_out, zp_out = oo.scale_zp(rng)
        out.append((s_in, zp_in, s_out, zp_out, float(rng.choice([0.01, 0.1, 0.2, 0.3]))))
    out += [(0.05, 3, 0.05, 3, 0.0), (0.05, -128, 0.05, -128, 1.0), (0.1, 0, 0.02, 10, 2.5),
            (0.002, 127, 0.3, -5, 0.2), (0.3, -40, 0.001, 0, 0.2)]
    return [pytest.param(*c, id=f"c{i}") for i, c in enumerate(out)]


def _model(s_in, zp_in, s_out, zp_out, alpha, shape=ALL_S8.shape):
    b = ModelBuilder("leaky_relu")
    x = b.input(shape, scale=s_in, zero_point=zp_in)
    y = b.tensor(shape, scale=s_out, zero_point=zp_out)
    b.op("LEAKY_RELU", [x], [y], alpha=alpha)
    b.output(y)
    return b


def _want(p):
    return leaky_relu_s8(ALL_S8, **{k: p[k] for k in FIELDS[1:]})


@pytest.mark.parametrize("s_in,zp_in,s_out,zp_out,alpha", _cases(10))
def test_reference_matches_tflm(s_in, zp_in, s_out, zp_out, alpha):
    oo.check_against_tflm(_model(s_in, zp_in, s_out, zp_out, alpha), [ALL_S8])


@pytest.mark.parametrize("s_in,zp_in,s_out,zp_out,alpha", _cases(20, seed=12))
def test_c_matches_reference(s_in, zp_in, s_out, zp_out, alpha):
    p = dict(size=256, **leaky_relu_params(s_in, zp_in, s_out, zp_out, alpha))
    out = hostlib.Guarded(ALL_S8.shape)
    assert oo.kernel([SRC], NAME)(oo.ref(Params(*(p[k] for k in FIELDS))),
                                  hostlib.ptr(ALL_S8), out.ptr) == 0
    assert out.intact()
    oo.assert_bits_equal(out.value(), _want(p))


def test_rejects_bad_args():
    out = hostlib.Guarded((256,))
    good = [4, 0, 0, 1 << 30, 1, 1 << 29, -2]
    for k, bad in ((0, -1), (3, -5), (4, 32), (5, -1), (6, -32)):
        fields = list(good)
        fields[k] = bad
        assert oo.kernel([SRC], NAME)(oo.ref(Params(*fields)), hostlib.ptr(ALL_S8), out.ptr) == -1
    assert oo.kernel([SRC], NAME)(oo.ref(Params(*good)), None, out.ptr) == -1
    assert out.untouched()


@pytest.fixture(scope="module", params=BOARDS)
def fw(request):
    from simulator.machine import Machine
    with tempfile.TemporaryDirectory() as tmp:
        stub = Path(tmp) / "main.c"
        stub.write_text("int main(void) { return 0; }\n")
        yield Machine(request.param, ram="256K", stack="4K").build([stub, hostlib.SRC / SRC])


def test_emulated_matches_reference(fw):
    for case in _cases(6, seed=13):
        p = dict(size=256, **leaky_relu_params(*case.values))
        out = np.full(256 + 8, 0x5A, np.int8)        # 8 canary bytes after the output
        r = fw.call(NAME, np.array([p[k] for k in FIELDS], np.int32), ALL_S8.ravel(), out)
        assert r.value == 0, case.id
        got = r.arrays[-1].view(np.int8)
        assert np.array_equal(got[:256], _want(p).ravel()), f"{fw.board.name}: {case.id}"
        assert np.all(got[256:] == 0x5A), case.id


@pytest.mark.parametrize("board", BOARDS)
def test_model_bit_exact(board):
    """The op lowered from its rule row (ck_leaky_relu_s8 through the generic emitter), run as
    a model: every layer's output equals the reference."""
    a = analyze(_model(0.04, -7, 0.03, 5, 0.2, shape=(1, 6, 6, 8)).build(), board,
                schedule="plain")
    assert [l.kernel for l in a.layers] == [NAME]
    assert a.bit_exact and a.fits


@pytest.mark.parametrize("core", oo.CORES)
def test_cross_compiles(core):
    assert hostlib.cross_compile(SRC, core).exists()
