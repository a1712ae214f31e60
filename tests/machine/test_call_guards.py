"""Guarded call() buffers: an access outside an argument stops at the instruction, named."""
from __future__ import annotations

import numpy as np
import pytest

from simulator import Machine
from simulator.guards import BufferOverrun

from .conftest import FIXTURES


@pytest.fixture(scope="module", params=["rp2040", "stm32h743"])
def fw(request):
    return Machine(request.param).build([FIXTURES / "structs.c"])


def test_write_past_the_end_stops_at_the_instruction(fw):
    out = np.zeros(64, np.int8)
    with pytest.raises(BufferOverrun) as exc:
        fw.call("overrun", out, 64, 4000)
    err = exc.value
    assert err.buffer == "argument 0" and err.side == "after" and err.access == "write"
    assert err.offset >= 64                      # the first byte the page catches
    assert "overrun" in err.location and "structs.c:" in err.location
    assert "past its end" in str(err)


def test_small_overrun_into_the_slack_is_found_after_the_call(fw):
    out = np.zeros(61, np.int8)                  # 3 slack bytes before the guard page
    with pytest.raises(BufferOverrun, match=r"1 B past its end \(offset 61\).*found after the call") as exc:
        fw.call("overrun", out, 61, 2)
    assert exc.value.offset == 61 and exc.value.count == 2


def test_read_past_an_input_is_reported(fw):
    data = np.ones(1024, np.int8)                # ends exactly at the page edge
    with pytest.raises(BufferOverrun) as exc:
        fw.call("over_read", data, 1024)
    assert exc.value.access == "read" and exc.value.offset == 1024


def test_in_bounds_calls_are_unchanged(fw):
    out = np.zeros(64, np.int8)
    guarded = fw.call("overrun", out, 64, 0)
    packed = fw.call("overrun", out, 64, 0, guard=False)
    assert np.array_equal(guarded.arrays[0], packed.arrays[0])
    assert np.array_equal(guarded.arrays[0], np.arange(64, dtype=np.int8))
    assert guarded.cycles == packed.cycles


def test_guard_false_allows_deliberate_aliasing(fw):
    first, second = np.zeros(8, np.int8), np.zeros(8, np.int8)
    r = fw.call("alias_next", first, 8, second, guard=False)   # packed: second follows first
    assert r.arrays[1][0] == 42
    with pytest.raises(BufferOverrun):
        fw.call("alias_next", np.zeros(1024, np.int8), 1024)
