"""MAX_POOL_2D int8: the AVERAGE_POOL_2D cases and checks applied to the max kernel."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import hostlib
from tests.helpers import ops_oracle as oo
from tests.helpers.pool_kernels import bad_args, build, cases, run_c

KIND = "max"


@pytest.mark.parametrize("shape,filt,stride,padding,act,seed", cases(10, 5))
def test_reference_matches_tflm(shape, filt, stride, padding, act, seed):
    b = build(KIND, shape, filt, stride, padding, act, seed)
    oo.check_against_tflm(b, [oo.s8(np.random.default_rng(seed), shape)])


@pytest.mark.parametrize("shape,filt,stride,padding,act,seed", cases(30, 6))
def test_c_matches_reference(shape, filt, stride, padding, act, seed):
    g = build(KIND, shape, filt, stride, padding, act, seed).build()
    x = oo.s8(np.random.default_rng(seed), shape)
    oo.assert_bits_equal(run_c(KIND, g, x), oo.reference(g, [x]))


def test_rejects_bad_args():
    bad_args(KIND)


@pytest.mark.parametrize("core", oo.CORES)
def test_cross_compiles(core):
    assert hostlib.cross_compile(f"pooling/ck_{KIND}pool_s8.c", core).exists()
