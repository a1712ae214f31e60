"""The data-movement ops from ModelBuilder's helpers (shapes from the reference families),
chained in one model bit-exact against tflite-micro and through analyze; a declared output
shape the operands contradict is a named error before anything runs (simulator/budget.py)."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import movement_cases as mc
from simulator.analyze import analyze
from simulator.budget import check_geometry
from simulator.errors import ModelError
from simulator.frontend.builder import ModelBuilder
from simulator.frontend.multi_output import expand_multi_output


def chain(dtype):
    """x [1, 4, 6, 3] through every helper once, to one output [2, 1, 4, 3, 2]."""
    q = dict(scale=0.05, zero_point=-9) if dtype == "int8" else {}
    b = ModelBuilder("movement_chain")
    x = b.input((1, 4, 6, 3), dtype=dtype, **q)
    t = b.transpose(x, (0, 2, 1, 3))                          # [1, 6, 4, 3]
    r = b.resize_bilinear(t, (8, 6), half_pixel_centers=True)  # [1, 8, 6, 3]
    n = b.resize_nearest_neighbor(r, (4, 3), align_corners=True)   # [1, 4, 3, 3]
    s = b.strided_slice(n, (0, 3, 0, 0), (1, 0, 3, 3), (1, -1, 1, 1), end_mask=0b0010)
    g = b.gather(s, (2, 0, 1, 1), axis=3)                     # [1, 4, 3, 4]
    a, c = b.split(g, 2, axis=3)                              # [1, 4, 3, 2] each
    b.output(b.pack([c, a], axis=0))                          # [2, 1, 4, 3, 2]
    return b.build()


@pytest.mark.parametrize("dtype", mc.DTYPES)
def test_chain_matches_tflm_and_runs_bit_exact(dtype):
    g = chain(dtype)
    assert g.tensor(g.outputs[0]).shape == (2, 1, 4, 3, 2)
    x = mc.values((1, 4, 6, 3), dtype, np.random.default_rng(6))
    mc.oo.assert_bits_equal(mc.reference(expand_multi_output(g), [x]).reshape(-1),
                            mc.oo.tflm(g, [x]).reshape(-1))
    a = analyze(g, "nrf52840", schedule="plain")
    assert a.bit_exact and a.fits


@pytest.mark.parametrize("opcode,consts,declared,options", [
    ("TRANSPOSE", [(2, 0, 1)], (4, 2, 2), {}),
    ("STRIDED_SLICE", [(0, 0, 0), (2, 3, 4), (1, 2, 1)], (2, 3, 4), {}),
    ("GATHER", [(0, 1)], (2, 3, 4), {"axis": 2}),
    ("RESIZE_NEAREST_NEIGHBOR", [(5, 5)], (1, 5, 4, 4), {}),
    ("RESIZE_BILINEAR", [(5, 5)], (1, 5, 4, 4), {})])
def test_contradicted_output_shape_is_named_before_running(opcode, consts, declared, options):
    shape = (1, 2, 3, 4) if opcode.startswith("RESIZE") else (2, 3, 4)
    g = mc.one_op(opcode, [shape], consts, declared, **options)
    with pytest.raises(ModelError, match="operands give an output of shape") as info:
        check_geometry(g)
    assert info.value.op_index == 0 and info.value.opcode == opcode
