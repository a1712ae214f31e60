"""Fixtures and helpers for testing kernels with pytest (hooks and options: :mod:`simulator.pytest_plugin`).

    def test_dot(mcu):                                  # a Machine for each --mcu-board
        fw = mcu.build(["dot.c"], defines={"N": 64})
        r = fw.call("dot_s8", a, b, 64)
        assert_bit_exact(r.value, reference_dot(a, b))

Every ``run()``/``call()`` made through ``mcu`` (or a machine from ``mcu_factory``) is recorded,
so ``@pytest.mark.cycles(max=...)``, the terminal summary and the baseline gate can see it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from .machine import Firmware, Machine

DEFAULT_BOARD = "generic-m7"
MAX_REPORTED = 5
RECORDS_KEY = pytest.StashKey[list]()      # item.stash[RECORDS_KEY]: the Measurements of one test


# -- recording every result a test produces ------------------------------------------------------
@dataclass(frozen=True)
class Measurement:
    """One run()/call() of a test: what ran, where, and what it cost."""
    label: str                  # function name, or "main" for run()
    board: str
    instructions: int
    cycles: int | None
    memory: str = ""            # the memory model the cycles were counted under
    # (key, value) pairs of report/context.py: toolchain, flags (a list: not hashed), clock, ...
    context: tuple = field(default=(), hash=False)

    @property
    def metric(self) -> str:
        return "instructions" if self.cycles is None else "cycles"

    @property
    def cost(self) -> int:
        """Cycles when the cycle model filled them, else instructions."""
        return self.instructions if self.cycles is None else self.cycles

    def to_dict(self) -> dict:
        return {"label": self.label, "board": self.board, "instructions": self.instructions,
                "cycles": self.cycles, "memory": self.memory, "context": dict(self.context)}


def heaviest(records: list[Measurement]) -> Measurement | None:
    """The measurement a per-test budget is about: the most expensive run or call."""
    return max(records, key=lambda m: (m.cost, m.instructions), default=None)


class RecordingFirmware(Firmware):
    """Firmware that appends a :class:`Measurement` for every run() and call() to its machine."""

    def run(self, *args, **kwargs):
        result = super().run(*args, **kwargs)
        self.machine.record("main", result)
        return result

    def call(self, name: str, *args, **kwargs):
        result = super().call(name, *args, **kwargs)
        self.machine.record(name, result)
        return result


class RecordingMachine(Machine):
    """A Machine whose firmware reports each result to ``sink`` (a list shared with the plugin)."""

    def __init__(self, *args, sink: list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.records: list[Measurement] = [] if sink is None else sink

    def build(self, *args, **kwargs) -> RecordingFirmware:
        plain = super().build(*args, **kwargs)
        return RecordingFirmware(self, plain.build)

    def record(self, label: str, result) -> None:
        from .report.context import run_context
        memory = result.memory.get("model", self.memory)
        self.records.append(Measurement(label, result.board, result.instructions, result.cycles, memory,
                                        tuple(run_context(result, memory).items())))


# -- fixtures -------------------------------------------------------------------------------------
@pytest.fixture
def mcu_board(request) -> str:
    """The board name; parametrized by ``--mcu-board`` or ``@pytest.mark.mcu_board``."""
    return getattr(request, "param", DEFAULT_BOARD)


def _records(request) -> list:
    return request.node.stash.setdefault(RECORDS_KEY, [])


@pytest.fixture
def mcu_factory(request, mcu_board):
    """Make more machines for this test: ``mcu_factory(ram="16K")``, ``mcu_factory("rp2040")``.

    Defaults come from the selected board and ``--mcu-ram``/``--mcu-toolchain``/``--mcu-memory``;
    results are recorded."""
    cfg = request.config

    def make(board: str | None = None, ram=None, **kwargs) -> RecordingMachine:
        kwargs.setdefault("toolchain", cfg.getoption("--mcu-toolchain"))
        if "caches" not in kwargs:          # the deprecated spelling still wins when given
            kwargs.setdefault("memory", cfg.getoption("--mcu-memory"))
        return RecordingMachine(board or mcu_board, ram=ram if ram is not None else cfg.getoption("--mcu-ram"),
                                sink=_records(request), **kwargs)

    return make


@pytest.fixture
def mcu(mcu_factory) -> RecordingMachine:
    """A :class:`~simulator.Machine` for the selected board, RAM limit and toolchain."""
    return mcu_factory()


# -- bit-exact comparison -------------------------------------------------------------------------
def _bits(a: np.ndarray) -> np.ndarray:
    """Floats compared by their bits (so -0.0 != 0.0 and NaN == the same NaN); others as they are."""
    return a.view(f"u{a.dtype.itemsize}") if a.dtype.kind == "f" else a


def _mismatch_mask(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    if actual.dtype == expected.dtype:
        return _bits(actual) != _bits(expected)
    return actual != expected


def _index(flat: int, shape: tuple) -> tuple:
    return tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()


def _value(x) -> str:
    return repr(x.item() if hasattr(x, "item") else x)


def bit_exact_problems(actual, expected, *, check_dtype: bool = True, max_reported: int = MAX_REPORTED) -> list[str]:
    """The lines explaining why ``actual`` is not bit-identical to ``expected``; empty when it is."""
    a, e = np.asarray(actual), np.asarray(expected)
    lines = []
    if a.shape != e.shape:
        lines.append(f"shape {a.shape} != expected {e.shape}")
    if check_dtype and a.dtype != e.dtype:
        lines.append(f"dtype {a.dtype} != expected {e.dtype}")
    if a.shape != e.shape:
        return lines
    mask = _mismatch_mask(a, e)
    count = int(np.count_nonzero(mask))
    if count:
        lines.insert(0, f"{count} of {a.size} elements differ" if count > 1 else f"1 of {a.size} elements differs")
        for flat in np.flatnonzero(mask)[:max_reported]:
            idx = _index(int(flat), a.shape)
            lines.append(f"at {idx}: actual {_value(a[idx])}, expected {_value(e[idx])}")
        if count > max_reported:
            lines.append(f"... and {count - max_reported} more")
    return lines


def assert_bit_exact(actual, expected, *, name: str = "", check_dtype: bool = True,
                     max_reported: int = MAX_REPORTED) -> None:
    """Fail unless ``actual`` equals ``expected`` bit for bit: same shape, same dtype, same values.

    There is no tolerance: the simulated kernel must reproduce the reference exactly. The failure
    names how many elements differ, the first few indices (as tuples) with both values, and the
    shapes/dtypes when they differ. ``check_dtype=False`` compares values across dtypes."""
    __tracebackhide__ = True
    problems = bit_exact_problems(actual, expected, check_dtype=check_dtype, max_reported=max_reported)
    if problems:
        head = f"{name}: not bit-exact" if name else "not bit-exact"
        raise AssertionError(head + ": " + problems[0] + "".join("\n  " + p for p in problems[1:]))
