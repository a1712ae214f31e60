"""The memory planner: its documented example, its invariants, aliasing, and bundled models
against TFLite Micro's arena."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from simulator.boards import get_board
from simulator.frontend import ModelBuilder, load_tflite
from simulator.lower import lower_graph
from simulator.lower.planner import ALIGNMENT, GreedyPlanner, align_up, plan_graph

MODELS = Path(__file__).resolve().parents[2] / "models"
PROVENANCE = json.loads((MODELS / "provenance.json").read_text())


def test_docstring_example():
    planner = GreedyPlanner(alignment=16)
    a = planner.add_buffer(6400, first_use=0, last_use=1, name="conv1")
    b = planner.add_buffer(3200, first_use=1, last_use=2, name="pool1")
    c = planner.add_buffer(6400, first_use=2, last_use=3, name="conv2")
    plan = planner.plan()
    assert (plan.offsets[a], plan.offsets[b], plan.offsets[c]) == (0, 6400, 0)
    assert plan.arena_bytes == 9600


def test_sizes_and_offsets_are_16_byte_aligned():
    planner = GreedyPlanner()
    ids = [planner.add_buffer(n, i, i + 1) for i, n in enumerate((1, 17, 33, 5))]
    plan = planner.plan()
    assert all(plan.offsets[i] % ALIGNMENT == 0 for i in ids)
    assert plan.arena_bytes == align_up(17) + align_up(33)     # the two largest neighbours


def test_bad_buffer_is_rejected():
    with pytest.raises(ValueError):
        GreedyPlanner().add_buffer(10, 3, 2)


@pytest.mark.parametrize("seed", range(20))
def test_random_buffers_never_collide_and_peak_is_bounded(seed):
    rng = np.random.default_rng(seed)
    planner = GreedyPlanner()
    for _ in range(rng.integers(1, 30)):
        lo = int(rng.integers(0, 20))
        planner.add_buffer(int(rng.integers(1, 5000)), lo, lo + int(rng.integers(0, 6)))
    plan = planner.plan()
    bufs = plan.buffers
    for i, p in enumerate(bufs):
        for q in bufs[i + 1:]:
            if p.overlaps_in_time(q):
                p0, p1 = plan.offsets[p.id], plan.offsets[p.id] + align_up(p.size)
                q0, q1 = plan.offsets[q.id], plan.offsets[q.id] + align_up(q.size)
                assert p1 <= q0 or q1 <= p0, (p, q)
    lower_bound = max(plan.live_bytes(t) for t in range(30))
    assert lower_bound <= plan.arena_bytes <= sum(align_up(b.size) for b in bufs)


def _reshape_model():
    b = ModelBuilder("r")
    x = b.input((1, 4, 4, 2), scale=0.1, zero_point=0)
    y = b.relu(x)
    z = b.reshape(y, (1, 32))
    b.output(b.relu(z))
    return b.build()


def test_reshape_output_aliases_its_input():
    g = _reshape_model()
    lm = lower_graph(g, get_board("stm32h743"))
    reshape = next(l for l in lm.layers if l.opcode == "RESHAPE")
    assert reshape.alias and reshape.kernel == "alias (in place)"
    src = g.ops[reshape.index].inputs[0]
    slots = lm.memory.slots
    assert slots[reshape.output].offset == slots[src].offset
    assert slots[reshape.output].alias_of == src
    # the aliased pair lives from its producer (op 0) to the last consumer (op 2)
    assert (slots[src].first_op, slots[src].last_op) == (0, 2)


def test_graph_inputs_live_from_op0_and_outputs_to_the_end():
    g = _reshape_model()
    mem = plan_graph(g)
    assert mem.slots[g.inputs[0]].first_op == 0
    assert mem.slots[g.outputs[0]].last_op == len(g.ops) - 1


@pytest.mark.parametrize("name", sorted(PROVENANCE))
def test_arena_is_within_tflm_and_at_least_the_largest_op(name):
    """Compared: our activation arena + shared scratch (the RAM the model itself needs) with
    TFLM's RecordingMicroAllocator total, which also holds TFLM's own tensor/op structs and
    its scratch buffers; so ours must be smaller, and at least the largest single op's live
    bytes (inputs + outputs, models/README.md "largest op live"), which no plan can beat."""
    g = load_tflite(MODELS / PROVENANCE[name]["file"])
    lm = lower_graph(g, get_board("stm32h743"))
    prov = PROVENANCE[name]
    assert lm.arena_bytes + lm.scratch_bytes <= prov["tflm_arena_bytes"]
    assert lm.arena_bytes >= prov["largest_op_activation_bytes"]
