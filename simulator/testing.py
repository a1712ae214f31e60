"""Fixtures and helpers for testing kernels with pytest (see :mod:`simulator.pytest_plugin`)."""
from __future__ import annotations

import pytest

from .machine import Machine


@pytest.fixture
def mcu_board(request) -> str:
    """The board name; parametrized by ``--mcu-board`` or ``@pytest.mark.mcu_board``."""
    return request.param


@pytest.fixture
def mcu(request, mcu_board) -> Machine:
    """A :class:`~simulator.Machine` for the selected board, RAM limit and toolchain."""
    cfg = request.config
    return Machine(mcu_board, ram=cfg.getoption("--mcu-ram"), toolchain=cfg.getoption("--mcu-toolchain"))
