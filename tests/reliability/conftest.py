"""Reliability suite: hypothesis profiles and one kernel firmware per core.

Profiles: ``ci`` (the default here) is derandomized, so every run draws the same examples;
``dev`` explores (random seeds, more examples). Pick one with HYPOTHESIS_PROFILE=dev.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import cross_kernels
from simulator.guards import guard_defines

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CRASHERS = Path(__file__).resolve().parent / "crashers"

# One board per core family the issue names: M0+ (ARMv6-M), M4 (DSP), M7 (DSP, dual issue).
KERNEL_BOARDS = ["rp2040", "nrf52840", "stm32h743"]

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                     HealthCheck.function_scoped_fixture])
settings.register_profile("ci", derandomize=True, print_blob=True, **_COMMON)
settings.register_profile("dev", print_blob=True, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def kernel_sources() -> list[Path]:
    return sorted(cross_kernels.SRC_DIR.rglob("*.c")) + [FIXTURES / "kernel_harness.c"]


@pytest.fixture(scope="module", params=KERNEL_BOARDS)
def kernel_fw(request):
    """Every kernel plus the guarded-call harness, built once per core for the module."""
    from simulator.machine import Machine
    m = Machine(request.param, ram="256K", stack="8K", max_instructions=100_000_000)
    return m.build(kernel_sources(), defines=guard_defines())
