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
    data = json.loads(store.read_text())
    for row in data["blocks"]:
        row["cycles"] += 1000
        if code:
            row["code"] = "00" * row["size"]
    store.write_text(json.dumps(data))


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


def _tamper_insns(store, code: bool):
    """Drop the stored blocks (every block is scheduled again, from the stored instructions)
    and make every stored instruction a divide, optionally with other bytes."""
    data = json.loads(store.read_text())
    data["blocks"], data["edges"] = [], []
    for row in data["insns"]:
        row[1]["cls"] = "div"
        if code:
            row[0] = "ff" * (len(row[0]) // 2)
    store.write_text(json.dumps(data))


def test_stored_instructions_are_used_only_while_the_bytes_match(tmp_path, monkeypatch):
    monkeypatch.setenv("MCUSIM_CACHE_DIR", str(tmp_path))
    fw = Machine("stm32h743").build([FIXTURES / "dwt.c"])
    first = fw.run()
    store = next((tmp_path / "blockcosts").glob("*.json"))
    saved = store.read_text()
    assert json.loads(saved)["insns"]
    _tamper_insns(store, code=False)
    assert fw.run().cycles > first.cycles + 1000          # same bytes: the stored decode is used
    store.write_text(saved)
    _tamper_insns(store, code=True)
    assert fw.run().cycles == first.cycles                # other bytes: disassembled afresh
