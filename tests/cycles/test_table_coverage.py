"""Every timing-table row and parameter is held by a test.

1. Each hand-computed micro-kernel (tests/helpers/micro_kernels.py, expected values written as
   sums of cited rows) costs what the tables say.
2. Perturbing any row key or [params] entry the model reads (+1, x2 for sizes, a toggled
   boolean, one less for "read late" keys; a row's ``nopair`` by removing every pair rule naming
   its class, since the rule is symmetric) changes the cost of at least one kernel of that core,
   so no table entry can change unnoticed. All static: seconds.
"""
from __future__ import annotations

import dataclasses
import tomllib

import pytest

from simulator.cycles.table import TABLE_DIR, load_table

from tests.helpers.kernels_by_core import KERNELS
from tests.helpers.micro_kernels import cost

CORES = ("m0plus", "m4", "m7", "m33")
# [params] entries the static cycle model does not read: the per-operand divide rule belongs to
# the divide hook (native/checks.c, cycles/divide.py) and is covered by
# tests/machine/test_divide_timing.py, whose hand-worked cycles change with any of these keys.
NOT_READ = {"div_min", "div_max", "div_rule"}
# branch_model = "static" is only compared with "btac" (which needs the btac parameters): not perturbed.
SCALED = {"fetch_bytes", "btac_entries", "btac_ways"}   # sizes: x2 (+1 may not change a power of two)
READ_LATE = {"acc_late", "data_late"}                   # reading later than needed costs nothing: -1


def _perturbed(key: str, value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, str):
        return "static" if value == "btac" else "btac"
    if isinstance(value, list):
        return []
    if key in SCALED:
        return value * 2
    if key in READ_LATE:
        return value - 1
    return value + (0.5 if isinstance(value, float) else 1)


def _entries(core: str):
    """(label, options, row class or None, key, new value) for every entry the sweep perturbs."""
    raw = tomllib.loads((TABLE_DIR / f"{core}.toml").read_text())
    for key, value in raw.get("params", {}).items():
        if not key.endswith("_source") and key not in NOT_READ and value != "static":
            yield f"{core} [params] {key}", (), None, key, _perturbed(key, value)
    rows = [((), cls, spec) for cls, spec in raw["classes"].items()]
    rows += [((opt,), cls, spec) for opt, specs in raw.get("options", {}).items() for cls, spec in specs.items()]
    for options, cls, spec in rows:
        for key, value in spec.items():
            if key != "source":
                yield f"{core} {'/'.join(options) + ' ' if options else ''}{cls}.{key}", options, cls, key, \
                    _perturbed(key, value)


def _table(core, options, cls, key, value):
    table = load_table(core, options)
    if cls is None:
        table.params[key] = value
    elif key == "nopair":
        table.rows = {c: dataclasses.replace(r, nopair=frozenset() if c == cls else r.nopair - {cls})
                      for c, r in table.rows.items()}
    else:
        table.rows[cls] = dataclasses.replace(table.rows[cls], **{key: value})
    return table


@pytest.mark.parametrize("core", CORES)
def test_micro_kernels_cost_what_the_table_rows_sum_to(core):
    table = load_table(core)
    wrong = []
    for k in KERNELS[core]:
        t = load_table(core, ("small_multiplier",)) if "small multiplier" in k.name else table
        got, _ = cost(k, t, core)
        want = k.expect if isinstance(k.expect, dict) else {"cycles": k.expect}
        if got != want:
            wrong.append(f"{k.name}: {got} != {want}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("core", CORES)
def test_every_table_entry_changes_some_kernel(core):
    kernels = KERNELS[core]
    base = {}
    uncovered = []
    for label, options, cls, key, value in _entries(core):
        if options not in base:
            table = load_table(core, options)
            base[options] = [cost(k, table, core)[1] for k in kernels]
        table = _table(core, options, cls, key, value)
        if all(cost(k, table, core)[1] == b for k, b in zip(kernels, base[options])):
            uncovered.append(label)
    assert not uncovered, "no kernel notices a change of:\n  " + "\n  ".join(uncovered)
