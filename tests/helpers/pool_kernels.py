"""Host builds of the s8 pooling kernels, their parameter struct and cases: shared by the avgpool,
maxpool and pooling fast-path tests."""
from __future__ import annotations

import numpy as np
import pytest

from simulator.frontend.builder import ModelBuilder
from simulator.reference import pooling
from simulator.reference.padding import activation_range_s8
from tests.helpers import cstructs
from tests.helpers import hostlib
from tests.helpers import ops_oracle as oo


FIELDS = cstructs.fields("ck_pool_s8_params")


Params = cstructs.struct("ck_pool_s8_params")


def cases(n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        fh, fw = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        shape = (int(rng.integers(1, 3)), int(rng.integers(max(fh, 1), 10)),
                 int(rng.integers(max(fw, 1), 10)), int(rng.integers(1, 6)))
        stride = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        act = str(rng.choice(["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]))
        out.append(pytest.param(shape, (fh, fw), stride, str(rng.choice(["SAME", "VALID"])),
                                act, i, id=f"c{i}"))
    return out


def build(kind, shape, filt, stride, padding, act, seed):
    scale, zp = oo.scale_zp(np.random.default_rng(seed))
    b = ModelBuilder()
    x = b.input(shape, scale=scale, zero_point=zp)
    b.output((b.avg_pool2d if kind == "avg" else b.max_pool2d)(x, filt, stride, padding, act))
    return b


def run_c(kind, graph, x):
    op = graph.ops[0]
    out_t = graph.tensor(op.outputs[0])
    geo = pooling.pool_geometry(op, x.shape)
    lo, hi = activation_range_s8(op.options["fused_activation_function"],
                                 float(np.float32(out_t.quant.scalar_scale)),
                                 out_t.quant.scalar_zero_point)
    (oh, ow) = geo["out_hw"]
    p = Params(x.shape[0], x.shape[1], x.shape[2], x.shape[3], oh, ow, *geo["filter_hw"],
               *geo["stride"], *geo["pad"], lo, hi)
    out = hostlib.Guarded((x.shape[0], oh, ow, x.shape[3]))
    name = f"ck_{kind}pool_s8"
    status = oo.kernel([f"pooling/{name}.c"], name)(oo.ref(p), hostlib.ptr(x), out.ptr)
    assert status == 0 and out.intact()
    return out.value()


def bad_args(kind):
    name = f"ck_{kind}pool_s8"
    fn = oo.kernel([f"pooling/{name}.c"], name)
    x = np.zeros(64, np.int8)
    out = hostlib.Guarded((64,))
    good = [1, 4, 4, 1, 2, 2, 2, 2, 2, 2, 0, 0, -128, 127]
    for field, value in (("channels", 0), ("stride_h", 0), ("pad_left", -1), ("act_min", -129),
                         ("act_max", 128), ("pad_top", 2), ("out_w", 9)):
        vals = list(good)
        vals[FIELDS.index(field)] = value
        assert fn(oo.ref(Params(*vals)), hostlib.ptr(x), out.ptr) == -1, field
    assert fn(oo.ref(Params(*good)), None, out.ptr) == -1
    assert out.untouched()
