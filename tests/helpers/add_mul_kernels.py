"""Host builds of ck_add_s8 and ck_mul_s8, their parameter structs and cases: shared by the add,
mul and elementwise fast-path tests."""
from __future__ import annotations

import numpy as np
import pytest

from simulator.frontend.builder import ModelBuilder
from simulator.reference import elementwise as ew
from simulator.reference import quant
from simulator.reference.padding import activation_range_s8
from tests.helpers import cstructs
from tests.helpers import hostlib
from tests.helpers import ops_oracle as oo


SHAPES = [((1, 4, 5, 6), (1, 4, 5, 6)), ((1, 4, 5, 6), (1, 1, 1, 6)),
          ((1, 1, 1, 6), (1, 4, 5, 6)), ((1, 4, 5, 6), (6,)), ((2, 3), (1, 3)),
          ((1, 4, 5, 6), (1, 4, 5, 1)), ((1, 3, 1, 2), (1, 1, 4, 1)), ((5,), (1,))]


Broadcast4 = cstructs.struct("ck_broadcast4")


AddParams = cstructs.struct("ck_add_s8_params")


MulParams = cstructs.struct("ck_mul_s8_params")


def cases(n, seed):
    rng = np.random.default_rng(seed)
    return [pytest.param(SHAPES[i % len(SHAPES)], str(rng.choice(["NONE", "RELU", "RELU6"])),
                         i, id=f"c{i}-{SHAPES[i % len(SHAPES)]}") for i in range(n)]


def build(kind, shapes, act, seed):
    rng = np.random.default_rng(seed)
    (s1, z1), (s2, z2), (so, zo) = (oo.scale_zp(rng) for _ in range(3))
    so = float(np.float32(so * (4 if kind == "add" else s1 * 20)))
    b = ModelBuilder()
    x, y = b.input(shapes[0], scale=s1, zero_point=z1), b.input(shapes[1], scale=s2, zero_point=z2)
    b.output((b.add if kind == "add" else b.mul)(x, y, activation=act, out_scale=so, out_zp=zo))
    return b


def run_c(kind, graph, a, b):
    op = graph.ops[0]
    t1, t2, to = (graph.tensor(i) for i in op.inputs + op.outputs)
    z1, z2, zo = (t.quant.scalar_zero_point for t in (t1, t2, to))
    lo, hi = activation_range_s8(op.options["fused_activation_function"],
                                 float(np.float32(to.quant.scalar_scale)), zo)
    if kind == "add":
        p = AddParams(z1, z2, zo, **ew.add_params(t1.quant.scalar_scale, t2.quant.scalar_scale,
                                                  to.quant.scalar_scale), act_min=lo, act_max=hi)
    else:
        s1, s2, so = (float(np.float32(t.quant.scalar_scale)) for t in (t1, t2, to))
        m, sh = quant.quantize_multiplier(s1 * s2 / so)
        p = MulParams(z1, z2, zo, m, sh, lo, hi)
    dims, st1, st2 = ew.broadcast4(a.shape, b.shape)
    geo = oo.struct(dict(out_dims=dims, in1_strides=st1, in2_strides=st2), Broadcast4)
    out = hostlib.Guarded(to.shape)
    fn = oo.kernel([f"elementwise/ck_{kind}_s8.c"], f"ck_{kind}_s8")
    assert fn(oo.ref(p), oo.ref(geo), hostlib.ptr(a), hostlib.ptr(b), out.ptr) == 0
    assert out.intact()
    return out.value()


def inputs(shapes, seed):
    rng = np.random.default_rng(seed + 1000)
    return [oo.s8(rng, shapes[0]), oo.s8(rng, shapes[1])]


def bad_args(kind):
    fn = oo.kernel([f"elementwise/ck_{kind}_s8.c"], f"ck_{kind}_s8")
    a = np.zeros(8, np.int8)
    out = hostlib.Guarded((8,))
    geo = oo.struct(dict(out_dims=[1, 1, 1, 8], in1_strides=[0, 0, 0, 1],
                         in2_strides=[0, 0, 0, 1]), Broadcast4)
    p = (AddParams(0, 0, 0, 20, 1 << 30, -1, 1 << 30, -1, 1 << 30, -19, 10, 5) if kind == "add"
         else MulParams(0, 0, 0, 1 << 30, -1, 10, 5))          # act_min > act_max
    assert fn(oo.ref(p), oo.ref(geo), hostlib.ptr(a), hostlib.ptr(a), out.ptr) == -1
    p.act_min = -128
    bad_geo = oo.struct(dict(out_dims=[1, 0, 1, 8], in1_strides=[0, 0, 0, 1],
                             in2_strides=[0, 0, 0, -1]), Broadcast4)
    assert fn(oo.ref(p), oo.ref(bad_geo), hostlib.ptr(a), hostlib.ptr(a), out.ptr) == -1
    assert fn(oo.ref(p), oo.ref(geo), None, hostlib.ptr(a), out.ptr) == -1
    assert fn(oo.ref(p), None, hostlib.ptr(a), hostlib.ptr(a), out.ptr) == -1
    assert out.untouched()
