"""Regression thresholds such as ``cycles:5%,flash:1%``, shared by ``mcusim compare`` and the pytest gate."""
from __future__ import annotations

import math

from ..errors import ConfigError


def parse_thresholds(text: str | list[str] | None, allowed: tuple[str, ...], what: str) -> dict[str, float]:
    """``"cycles:5%,ram:1%"`` (or a list of such strings) -> ``{"cycles": 5.0, "ram": 1.0}``."""
    if not text:
        return {}
    items = [text] if isinstance(text, str) else list(text)
    out: dict[str, float] = {}
    for item in items:
        for part in filter(None, (p.strip() for p in item.split(","))):
            metric, sep, limit = part.partition(":")
            metric = metric.strip().lower()
            if not sep or metric not in allowed or not limit.strip().endswith("%"):
                raise ConfigError(f"{what} {part!r}: expected METRIC:PERCENT% with METRIC one of "
                                  f"{', '.join(allowed)}, e.g. {allowed[0]}:5%")
            try:
                pct = float(limit.strip()[:-1])
            except ValueError:
                raise ConfigError(f"{what} {part!r}: {limit.strip()!r} is not a percentage") from None
            # NaN compares false with everything and inf exceeds every change: either would let
            # any regression pass, so both are refused like a negative limit.
            if not math.isfinite(pct) or pct < 0:
                raise ConfigError(f"{what} {part!r}: the percentage must be a finite number "
                                  f">= 0, got {limit.strip()}")
            out[metric] = pct
    return out


def percent_change(old: int | float, new: int | float) -> float | None:
    """Relative change in percent; None when the old value is zero (no meaningful ratio)."""
    if not old:
        return None if new else 0.0
    return (new - old) * 100.0 / old


def format_change(pct: float | None) -> str:
    return "new" if pct is None else f"{pct:+.1f}%"
