"""MUL int8 (same shape and broadcast): the ADD test machinery applied to MUL."""
from __future__ import annotations

import pytest

from tests.helpers import hostlib
from tests.helpers import ops_oracle as oo
from tests.helpers.add_mul_kernels import bad_args, build, cases, inputs, run_c

KIND = "mul"


@pytest.mark.parametrize("shapes,act,seed", cases(8, 3))
def test_reference_matches_tflm(shapes, act, seed):
    oo.check_against_tflm(build(KIND, shapes, act, seed), inputs(shapes, seed))


@pytest.mark.parametrize("shapes,act,seed", cases(24, 4))
def test_c_matches_reference(shapes, act, seed):
    g = build(KIND, shapes, act, seed).build()
    xs = inputs(shapes, seed)
    oo.assert_bits_equal(run_c(KIND, g, *xs), oo.reference(g, xs))


def test_rejects_bad_args():
    bad_args(KIND)


@pytest.mark.parametrize("core", oo.CORES)
def test_cross_compiles(core):
    assert hostlib.cross_compile(f"elementwise/ck_{KIND}_s8.c", core).exists()
