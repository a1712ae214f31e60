"""The bounds on one emulated run, validated where they enter (API and CLI alike).

Every run has all three; there is no "unlimited" (0, a negative number or 2**64 used to mean
that silently). A limit outside its range is a ConfigError naming the argument.
"""
from __future__ import annotations

import math
import numbers

from .errors import ConfigError

DEFAULT_MAX_INSTRUCTIONS = 2_000_000_000
# 10^15 instructions is months of emulation at unicorn's tens of millions per second: anything
# larger is a typo (or an attempt at "unlimited"), and the native counter is 64-bit.
MAX_INSTRUCTIONS = 10 ** 15
DEFAULT_MAX_SECONDS = 3600.0          # an hour: far beyond any bundled model (seconds each)
MAX_SECONDS = 7 * 24 * 3600.0         # a week
DEFAULT_MAX_OUTPUT = 16 << 20         # bytes of semihosting output (the text a run returns)
MAX_OUTPUT = 1 << 30


def _number(value, what: str, kinds) -> float | int:
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise ConfigError(f"{what}: expected a number, got {value!r}")
    return value


def instruction_budget(value, what: str = "max_instructions / --max-instructions") -> int:
    value = int(_number(value, what, numbers.Integral))
    if value < 1:
        raise ConfigError(f"{what}: must be at least 1, got {value} (there is no unlimited "
                          f"budget; the largest is {MAX_INSTRUCTIONS:.0e})")
    if value > MAX_INSTRUCTIONS:
        raise ConfigError(f"{what}: {value} is more than the largest budget, "
                          f"{MAX_INSTRUCTIONS:.0e} instructions")
    return value


def wall_seconds(value, what: str = "max_seconds / --max-seconds") -> float:
    value = float(_number(value, what, numbers.Real))
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{what}: must be a positive number of seconds, got {value!r}")
    if value > MAX_SECONDS:
        raise ConfigError(f"{what}: {value:g} s is more than the largest limit, "
                          f"{MAX_SECONDS:g} s (a week)")
    return value


def output_bytes(value, what: str = "max_output / --max-output") -> int:
    value = int(_number(value, what, numbers.Integral))
    if value < 1 or value > MAX_OUTPUT:
        raise ConfigError(f"{what}: must be between 1 and {MAX_OUTPUT} bytes, got {value}")
    return value
