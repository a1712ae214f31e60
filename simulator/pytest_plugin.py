"""mcusim's pytest plugin (registered through the ``pytest11`` entry point).

Hooks and options only; fixtures and ``assert_bit_exact`` live in :mod:`simulator.testing`.

How a test's cost reaches the gates, also under ``pytest -n`` (xdist):
the ``mcu`` fixture's machine records every run()/call() in ``item.stash``; at the end of the call
phase ``pytest_runtest_makereport`` takes the heaviest one, checks ``@pytest.mark.cycles`` and
``--mcu-compare`` (turning a passed report into a failed one) and attaches the cost to
``report.user_properties``. xdist ships reports, user_properties included, to the controller,
whose ``pytest_runtest_logreport`` collects them for the summary table and ``--mcu-save-baseline``.
"""
from __future__ import annotations

import numbers

import pytest

from .errors import McusimError
from .testing import RECORDS_KEY, heaviest, mcu, mcu_board, mcu_factory  # noqa: F401  (fixtures)

PROPERTY = "mcusim"                       # report.user_properties key carrying a test's cost
CYCLES_KWARGS = ("max", "board")
COMPARE_METRICS = ("cycles", "instructions")
STATE = pytest.StashKey["_State"]()


class _State:
    """What one session knows: the baseline it compares with, the limits, the costs collected."""

    def __init__(self, config):
        from .report.baseline import load_baseline
        from .report.thresholds import parse_thresholds

        self.compare_path = config.getoption("--mcu-compare")
        self.strict = config.getoption("--mcu-compare-strict")
        self.save_path = config.getoption("--mcu-save-baseline")
        fail = config.getoption("--mcu-compare-fail")
        try:
            self.limits = parse_thresholds(fail, COMPARE_METRICS, "--mcu-compare-fail")
            self.baseline = load_baseline(self.compare_path) if self.compare_path else None
        except McusimError as exc:
            raise pytest.UsageError(str(exc)) from None
        if self.limits and self.baseline is None:
            raise pytest.UsageError("--mcu-compare-fail needs --mcu-compare BASELINE.json")
        if self.strict and self.baseline is None:
            raise pytest.UsageError("--mcu-compare-strict needs --mcu-compare BASELINE.json")
        self.costs: dict[str, dict] = {}


def pytest_addoption(parser):
    group = parser.getgroup("mcusim", "mcusim: Cortex-M kernel testing")
    group.addoption("--mcu-board", action="append", default=None, metavar="NAME",
                    help="board(s) for the `mcu` fixture; repeat to parametrize (default generic-m7)")
    group.addoption("--mcu-ram", default=None, metavar="SIZE", help="RAM limit for the `mcu` fixture, e.g. 64K")
    group.addoption("--mcu-toolchain", default="zig", choices=["zig", "gcc"], help="cross compiler")
    group.addoption("--mcu-memory", default=None, choices=["realistic", "ideal", "uncached"],
                    help="memory model for the `mcu` fixture: realistic (default: the board's caches "
                         "from cold), ideal (every access hits) or uncached (every access waits)")
    group.addoption("--mcu-save-baseline", default=None, metavar="FILE",
                    help="write each test's heaviest run/call (board, cycles, instructions) to FILE as JSON")
    group.addoption("--mcu-compare", default=None, metavar="FILE",
                    help="compare each test's cost with a --mcu-save-baseline FILE (shown in the summary)")
    group.addoption("--mcu-compare-fail", action="append", default=None, metavar="METRIC:PCT%",
                    help="fail a test whose cost grew past the limit vs --mcu-compare: cycles:5%% or "
                         "instructions:5%% (cycles fall back to instructions without a cycle model)")
    group.addoption("--mcu-compare-strict", action="store_true", default=False,
                    help="fail a test whose --mcu-compare baseline was measured under another context "
                         "(board, clock, toolchain and flags, C library, memory model, kernel library); "
                         "without it the summary warns")


def pytest_configure(config):
    config.addinivalue_line("markers", "mcu_board(*names): run the `mcu` fixture on these boards")
    config.addinivalue_line("markers", "cycles(max, board=None): fail when the test's heaviest kernel run "
                                       "takes more than max cycles (instructions without a cycle model)")
    config.stash[STATE] = state = _State(config)
    config.pluginmanager.register(_Collector(state), "mcusim-collector")


def pytest_generate_tests(metafunc):
    if "mcu_board" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("mcu_board")
    boards = list(marker.args) if marker else (metafunc.config.getoption("--mcu-board") or ["generic-m7"])
    metafunc.parametrize("mcu_board", boards, scope="function", indirect=True)


# -- marker validation (at collection: a bad marker is a usage error, not a failing test) ---------
def _board_names(value, where: str) -> tuple[str, ...]:
    from .boards import get_board

    names = (value,) if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not names or not all(isinstance(n, str) and n for n in names):
        raise pytest.UsageError(f"{where}: board must be a board name or a list of them, got {value!r}")
    for n in names:
        try:
            get_board(n)
        except McusimError as exc:
            raise pytest.UsageError(f"{where}: {exc}") from None
    return tuple(names)


def _cycles_budget(marker, where: str) -> tuple[int, tuple[str, ...] | None]:
    unknown = sorted(set(marker.kwargs) - set(CYCLES_KWARGS))
    if unknown:
        raise pytest.UsageError(f"{where}: @pytest.mark.cycles got unknown argument(s) {', '.join(unknown)} "
                                f"(it takes max=, board=)")
    if len(marker.args) > 1 or (marker.args and "max" in marker.kwargs):
        raise pytest.UsageError(f"{where}: @pytest.mark.cycles takes one budget: cycles(max=N[, board=...])")
    limit = marker.args[0] if marker.args else marker.kwargs.get("max")
    if limit is None:
        raise pytest.UsageError(f"{where}: @pytest.mark.cycles needs max=N")
    if isinstance(limit, bool) or not isinstance(limit, numbers.Integral) or limit <= 0:
        raise pytest.UsageError(f"{where}: @pytest.mark.cycles max must be a positive integer, got {limit!r}")
    board = marker.kwargs.get("board")
    return int(limit), (None if board is None else _board_names(board, where))


def _validate(item) -> None:
    where = item.nodeid
    for marker in item.iter_markers("mcu_board"):
        if marker.kwargs or not marker.args:
            raise pytest.UsageError(f"{where}: use @pytest.mark.mcu_board(\"rp2040\", \"stm32h743\", ...)")
        _board_names(marker.args, where)
    budgets = [_cycles_budget(m, where) for m in item.iter_markers("cycles")]
    uses_mcu = {"mcu", "mcu_factory"} & set(getattr(item, "fixturenames", ()))
    if budgets and not uses_mcu:
        raise pytest.UsageError(f"{where}: @pytest.mark.cycles measures the runs made through the `mcu` "
                                "fixture, and this test does not use it")


MARKER_ERROR = pytest.StashKey[str]()


def pytest_collection_modifyitems(session, config, items):
    for item in items:
        try:
            _validate(item)
        except pytest.UsageError as exc:
            # An xdist worker cannot stop the run at collection (the controller reports an
            # internal error): there the bad marker errors the test at setup instead.
            if not hasattr(config, "workerinput"):
                raise
            item.stash[MARKER_ERROR] = str(exc)


def pytest_runtest_setup(item):
    problem = item.stash.get(MARKER_ERROR, None)
    if problem:
        raise pytest.UsageError(problem)


# -- gates at the end of each test ----------------------------------------------------------------
def _budget_problems(item, records) -> list[str]:
    problems = []
    # Closest marker first: a per-board budget on the function overrides a module-wide one.
    budgets = [_cycles_budget(m, item.nodeid) for m in item.iter_markers("cycles")]
    if not budgets:
        return []
    if not records:
        return [f"@pytest.mark.cycles: {item.nodeid} ran no firmware through the `mcu` fixture: nothing to check"]
    for board in sorted({r.board for r in records}):
        limit = next((lim for lim, boards in budgets if boards and board in boards), None)
        if limit is None:
            limit = next((lim for lim, boards in budgets if boards is None), None)
        worst = heaviest([r for r in records if r.board == board])
        if limit is None or worst.cost <= limit:
            continue
        note = "" if worst.cycles is not None else " (no cycle model: counted instructions)"
        pct = (worst.cost - limit) * 100.0 / limit
        problems.append(f"@pytest.mark.cycles: {item.nodeid}: {worst.label} took {worst.cost:,} {worst.metric} "
                        f"on {board}, over the budget max={limit:,} by {pct:.1f}%{note}")
    return problems


def _cost(records) -> dict:
    worst = heaviest(records)
    return {"board": worst.board, "label": worst.label, "cycles": worst.cycles,
            "instructions": worst.instructions, "runs": len(records), "context": dict(worst.context)}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call":
        return
    records = item.stash.get(RECORDS_KEY, [])
    cost = _cost(records) if records else None
    if cost:
        report.user_properties.append((PROPERTY, cost))
    if not report.passed:
        return
    state = item.config.stash[STATE]
    problems = _budget_problems(item, records)
    if cost and state.baseline is not None and state.strict:
        from .report.baseline import context_changes
        changes = context_changes(item.nodeid, cost, state.baseline)
        if changes:
            problems.append(f"mcusim: {item.nodeid}: the baseline {state.compare_path} was measured under "
                            f"another context ({'; '.join(changes)}): its counts are not comparable "
                            "(--mcu-compare-strict)")
    if cost and state.baseline is not None and state.limits:
        from .report.baseline import regressions
        problems += regressions(item.nodeid, cost, state.baseline, state.limits, state.compare_path)
    if problems:
        report.outcome = "failed"
        report.longrepr = "\n".join(problems)


class _Collector:
    """Registered per session: gathers the costs carried by reports (from xdist workers too)."""

    def __init__(self, state: _State):
        self.state = state

    def pytest_runtest_logreport(self, report):
        if report.when != "call":
            return
        for key, value in report.user_properties:
            if key == PROPERTY:
                self.state.costs[report.nodeid] = dict(value)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    state = config.stash[STATE]
    if not state.costs:
        return
    from .report.baseline import context_report, render_costs

    terminalreporter.section("mcusim: cost per test (heaviest run/call)")
    terminalreporter.write_line(render_costs(state.costs, state.baseline))
    for line in context_report(state.costs, state.baseline or {}):
        terminalreporter.write_line(f"mcusim: warning: {line}", yellow=True)
    if state.save_path and not hasattr(config, "workerinput"):
        terminalreporter.write_line(f"mcusim: baseline of {len(state.costs)} test(s) saved to {state.save_path}")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    config = session.config
    state = config.stash.get(STATE, None)
    if state is None or not state.save_path or hasattr(config, "workerinput"):
        return
    from .report.baseline import save_baseline
    save_baseline(state.save_path, state.costs)
