"""Planning to a RAM budget (simulator/schedule.py through analyze): the cheapest schedule
that fits is chosen, runs bit-exact, and says what it cost; when nothing fits, the overflow
names the smallest need reached and the op that sets its peak. Needs are computed, not
assumed: the budgets sit between the plain and the in-place needs of the same model."""
from __future__ import annotations

import pytest

from simulator.analyze import analyze
from simulator.errors import ConfigError
from tests.helpers.ram_needs import BOARD, needs


def test_auto_picks_plain_when_it_fits():
    g, need = needs()
    a = analyze(g, BOARD, ram=need["plain"])
    assert a.fits and a.bit_exact and a.schedule.chosen == "plain"
    assert [c.schedule for c in a.schedule.candidates] == ["plain"]
    assert a.ram_total <= need["plain"]


def test_auto_picks_inplace_under_a_tighter_budget():
    g, need = needs()
    assert need["inplace"] < need["plain"]
    budget = (need["inplace"] + need["plain"]) // 2
    a = analyze(g, BOARD, ram=budget)
    assert a.fits and a.bit_exact, (a.overflow, a.mismatch)
    assert a.schedule.chosen == "inplace"
    assert [(c.schedule, c.fits) for c in a.schedule.candidates] == [("plain", False),
                                                                     ("inplace", True)]
    assert a.ram_total <= budget
    assert a.schedule.baseline_cycles and a.cycles
    summary = a.schedule_summary
    assert summary.startswith("fits in ") and "inplace" in summary and "% cycles" in summary
    assert a.to_dict()["schedule"]["chosen"] == "inplace"


def test_plain_schedule_keeps_todays_overflow():
    g, need = needs()
    a = analyze(g, BOARD, ram=(need["inplace"] + need["plain"]) // 2, schedule="plain")
    assert not a.fits and not a.ran
    assert a.schedule.chosen == "plain" and "no schedule fits" not in a.overflow


def test_overflow_names_smallest_peak_and_layer():
    g, need = needs()
    a = analyze(g, BOARD, ram=need["inplace"] - 16)
    assert not a.fits and not a.ran
    assert "no schedule fits" in a.overflow
    best = a.schedule.best
    assert best.schedule == "inplace" and best.ram_total == need["inplace"]
    assert f"op #{best.peak_op} ({best.peak_opcode})" in a.overflow
    assert best.peak_opcode == g.ops[best.peak_op].opcode


def test_unknown_schedule_is_a_config_error():
    g, _ = needs()
    with pytest.raises(ConfigError, match="unknown schedule"):
        analyze(g, BOARD, schedule="tiled")
