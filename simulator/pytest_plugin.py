"""mcusim's pytest plugin (registered through the ``pytest11`` entry point).

Hooks and options only; fixtures live in :mod:`simulator.testing`.
"""
from __future__ import annotations

from .testing import mcu, mcu_board  # noqa: F401  (fixtures exported to pytest)


def pytest_addoption(parser):
    group = parser.getgroup("mcusim", "mcusim: Cortex-M kernel testing")
    group.addoption("--mcu-board", action="append", default=None, metavar="NAME",
                    help="board(s) for the `mcu` fixture; repeat to parametrize (default generic-m7)")
    group.addoption("--mcu-ram", default=None, metavar="SIZE", help="RAM limit for the `mcu` fixture, e.g. 64K")
    group.addoption("--mcu-toolchain", default="zig", choices=["zig", "gcc"], help="cross compiler")


def pytest_configure(config):
    config.addinivalue_line("markers", "mcu_board(*names): run the `mcu` fixture on these boards")


def pytest_generate_tests(metafunc):
    if "mcu_board" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("mcu_board")
    boards = list(marker.args) if marker else (metafunc.config.getoption("--mcu-board") or ["generic-m7"])
    metafunc.parametrize("mcu_board", boards, scope="function")
