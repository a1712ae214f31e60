import pytest

from simulator.cycles.testing import assemble, run_snippet


def loop_source(body: str, iterations: int, setup: str = "", align: int = 4) -> str:
    """``setup``, then ``body`` repeated ``iterations`` times by a subs/bne loop on r0."""
    return f"""
    ldr r0, ={iterations}
    {setup}
    .balign {align}
1:
    {body}
    subs r0, r0, #1
    bne 1b
    bkpt #0
    .ltorg
"""


def per_iteration(core, body, *, setup="", align=4, n=(20, 120), **kwargs):
    """Cycles of one loop iteration, from two runs differing only in the iteration count
    (set-up, first-iteration and exit costs cancel)."""
    results = []
    for iterations in n:
        acc, _ = run_snippet(assemble(loop_source(body, iterations, setup, align), core), core, **kwargs)
        results.append((acc.cycles, acc.instructions))
    (c1, i1), (c2, i2) = results
    assert (c2 - c1) % (n[1] - n[0]) == 0, (c1, c2)
    return (c2 - c1) // (n[1] - n[0]), (i2 - i1) // (n[1] - n[0])


@pytest.fixture
def iteration_cost():
    return per_iteration
