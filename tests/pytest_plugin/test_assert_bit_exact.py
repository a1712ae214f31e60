"""assert_bit_exact: exact equality only, and a failure message that says where and by how much."""
import numpy as np
import pytest

from simulator.testing import assert_bit_exact


def _message(actual, expected, **kw) -> str:
    with pytest.raises(AssertionError) as info:
        assert_bit_exact(actual, expected, **kw)
    return str(info.value)


def test_equal_arrays_pass():
    a = np.arange(-128, 128, dtype=np.int8).reshape(16, 16)
    assert_bit_exact(a, a.copy())
    assert_bit_exact(np.int32(7), np.int32(7))


def test_mismatches_counted_with_first_indices_as_tuples():
    expected = np.zeros((2, 3, 4), dtype=np.int8)
    actual = expected.copy()
    actual[0, 1, 2], actual[1, 2, 3], actual[1, 0, 0] = 5, -1, 9
    msg = _message(actual, expected, name="conv out")
    assert msg.splitlines()[0] == "conv out: not bit-exact: 3 of 24 elements differ"
    assert "at (0, 1, 2): actual 5, expected 0" in msg
    assert "at (1, 0, 0): actual 9, expected 0" in msg
    assert msg.index("(0, 1, 2)") < msg.index("(1, 0, 0)") < msg.index("(1, 2, 3)")


def test_only_the_first_few_are_listed():
    msg = _message(np.ones(100, np.int16), np.zeros(100, np.int16), max_reported=3)
    assert "100 of 100 elements differ" in msg and "... and 97 more" in msg and msg.count("at (") == 3


def test_shape_and_dtype_differences_are_named():
    msg = _message(np.zeros((4, 3), np.int8), np.zeros((3, 4), np.int8))
    assert "shape (4, 3) != expected (3, 4)" in msg
    msg = _message(np.zeros(3, np.int8), np.zeros(3, np.int32))
    assert "dtype int8 != expected int32" in msg
    assert_bit_exact(np.zeros(3, np.int8), np.zeros(3, np.int32), check_dtype=False)


def test_off_by_one_is_a_failure_no_tolerance():
    msg = _message(np.array([100], np.int32), np.array([101], np.int32))
    assert "1 of 1 elements differs" in msg


def test_floats_compared_by_bits():
    assert_bit_exact(np.array([np.nan, 1.5], np.float32), np.array([np.nan, 1.5], np.float32))
    msg = _message(np.array([-0.0], np.float32), np.array([0.0], np.float32))
    assert "1 of 1 elements differs" in msg
    _message(np.float32(1.0) + np.float32(1e-7), np.float32(1.0))
