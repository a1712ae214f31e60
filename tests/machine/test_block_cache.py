"""Decoded block costs stored between runs (simulator/cycles/blockcache.py).

The oracle is the uncached run: a rerun served from the store must count exactly the same
cycles, instructions, profile and DWT figure; a stored entry whose code no longer matches
memory must be ignored, and one that matches must be used (else the store would be dead code).
"""
import json

import pytest

import simulator.cycles.engine as engine
from simulator.machine import Machine

from .conftest import FIXTURES


def _counting_classify(monkeypatch):
    calls = []
    real = engine.classify

    def classify(i):
        calls.append(i.address)
        return real(i)
    monkeypatch.setattr(engine, "classify", classify)
    return calls


def _summary(r):
    return r.cycles, r.instructions, r.stdout, r.profile, r.untimed


@pytest.mark.parametrize("board", ["stm32h743", "nrf52840"])
def test_rerun_from_the_store_counts_the_same(tmp_path, monkeypatch, board):
    monkeypatch.setenv("MCUSIM_CACHE_DIR", str(tmp_path))
    fw = Machine(board).build([FIXTURES / "dwt.c"])
    calls = _counting_classify(monkeypatch)
    first = fw.run(profile=True)
    decoded_first = len(calls)
    assert len(list((tmp_path / "blockcosts").glob("*.json"))) == 1
    calls.clear()
    second = fw.run(profile=True)
    assert _summary(second) == _summary(first)
    assert len(calls) < decoded_first / 2, (len(calls), decoded_first)


def _tamper(store, code: bool):
    rows = json.loads(store.read_text())
    for row in rows:
        row["cycles"] += 1000
        if code:
            row["code"] = "00" * row["size"]
    store.write_text(json.dumps(rows))


def test_entries_are_used_only_while_the_code_matches(tmp_path, monkeypatch):
    monkeypatch.setenv("MCUSIM_CACHE_DIR", str(tmp_path))
    fw = Machine("stm32h743").build([FIXTURES / "dwt.c"])
    first = fw.run()
    store = next((tmp_path / "blockcosts").glob("*.json"))
    saved = store.read_text()
    _tamper(store, code=False)
    assert fw.run().cycles > first.cycles + 1000          # matching code: the stored cost is used
    store.write_text(saved)
    _tamper(store, code=True)
    assert fw.run().cycles == first.cycles                # other code: decoded afresh
    store.write_text("{not json")
    assert fw.run().cycles == first.cycles                # damaged: decoded afresh
