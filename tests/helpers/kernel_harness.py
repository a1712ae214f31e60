"""Every C kernel plus the guarded-call harness (tests/kernels/fixtures/kernel_harness.c): the
firmware the emulated kernel property tests and the faulting-firmware tests build."""
from __future__ import annotations

from pathlib import Path

import cross_kernels

HARNESS = Path(__file__).resolve().parents[1] / "kernels" / "fixtures" / "kernel_harness.c"

# One board per core family: M0+ (ARMv6-M), M4 (DSP), M7 (DSP, dual issue).
KERNEL_BOARDS = ["rp2040", "nrf52840", "stm32h743"]


def kernel_sources() -> list[Path]:
    return sorted(cross_kernels.SRC_DIR.rglob("*.c")) + [HARNESS]
