"""The planner with in-place groups: offsets never put two live bytes in one place.

Property test (hypothesis): random buffers, some with size profiles (pieces), any order;
for every op, the byte ranges of the pieces live there are disjoint and inside the arena.
And on real lowerings: for every op, the tensors live there (alias groups counted once,
members of one group share bytes on purpose) do not overlap."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.lower_graphs import chain, mobile_block
from simulator.boards import get_board
from simulator.lower import lower_graph
from simulator.lower.planner import GreedyPlanner, align_up, tensor_lifetimes


@st.composite
def buffers(draw):
    n = draw(st.integers(1, 12))
    out = []
    for _ in range(n):
        lo = draw(st.integers(0, 10))
        hi = draw(st.integers(lo, 12))
        if draw(st.booleans()) and hi > lo:
            cut = draw(st.integers(lo, hi - 1))
            a, b = draw(st.integers(1, 400)), draw(st.integers(1, 400))
            out.append((max(a, b), lo, hi, ((lo, cut, a), (cut + 1, hi, b))))
        else:
            out.append((draw(st.integers(0, 400)), lo, hi, None))
    return out


@settings(max_examples=200, deadline=None)
@given(buffers())
def test_pieces_never_overlap(specs):
    p = GreedyPlanner()
    for size, lo, hi, profile in specs:
        p.add_buffer(size, lo, hi, profile=profile)
    plan = p.plan()
    for op in range(13):
        ranges = []
        for b in plan.live_at(op):
            n = align_up(b.size_at(op))
            if n:
                ranges.append((plan.offsets[b.id], plan.offsets[b.id] + n))
        ranges.sort()
        for (s1, e1), (s2, e2) in zip(ranges, ranges[1:]):
            assert e1 <= s2, (op, ranges)
        assert all(e <= plan.arena_bytes for _, e in ranges)
        assert plan.live_bytes(op) <= plan.arena_bytes


@pytest.mark.parametrize("schedule", ["plain", "inplace"])
@pytest.mark.parametrize("model", [chain, mobile_block])
def test_live_tensors_disjoint(model, schedule):
    """At every op, each alias group needs its largest member whose own lifetime covers the
    op; those byte ranges [offset, offset + need) are disjoint across groups."""
    graph = model()
    lm = lower_graph(graph, get_board("stm32h743"), schedule)
    own = tensor_lifetimes(graph, {})
    groups: dict[int, list[int]] = {}
    for s in lm.memory.slots.values():
        groups.setdefault(s.alias_of if s.alias_of is not None else s.index, []).append(s.index)
    if schedule == "inplace":
        assert any(len(m) > 1 for m in groups.values())
    for op in graph.ops:
        ranges = []
        for root, members in groups.items():
            need = max((graph.tensor(t).nbytes for t in members
                        if own[t][0] <= op.index <= own[t][1]), default=0)
            if need:
                start = lm.memory.slots[root].offset
                ranges.append((start, start + need, graph.tensor(root).name))
        ranges.sort()
        for a, b in zip(ranges, ranges[1:]):
            assert a[1] <= b[0], (op.index, a, b)
        assert ranges[-1][1] <= lm.arena_bytes
