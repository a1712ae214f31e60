"""Parsing and printing byte sizes the way embedded people write them: 32K, 0x8000, 1M, 256KB."""
from __future__ import annotations

import re

from .errors import ConfigError

_UNITS = {"": 1, "B": 1, "K": 1024, "KB": 1024, "KIB": 1024, "M": 1 << 20, "MB": 1 << 20, "MIB": 1 << 20}
_SIZE = re.compile(r"^\s*(0[xX][0-9a-fA-F]+|\d+)\s*([a-zA-Z]*)\s*$")


def parse_size(text: str | int, *, what: str = "size") -> int:
    """``"32K"`` -> 32768, ``"0x8000"`` -> 32768, ``4096`` -> 4096. Raises ConfigError on anything else."""
    if isinstance(text, bool):
        raise ConfigError(f"{what}: expected a size such as 32K, 256K or 0x8000, got {text!r}")
    if isinstance(text, int):
        value = text
    else:
        m = _SIZE.match(str(text))
        unit = m.group(2).upper() if m else None
        if not m or unit not in _UNITS:
            raise ConfigError(f"{what}: cannot read {text!r} as a size (examples: 32K, 256K, 1M, 0x8000)")
        value = int(m.group(1), 0) * _UNITS[unit]
    if value <= 0:
        raise ConfigError(f"{what}: must be positive, got {text!r}")
    return value


def format_size(n: int) -> str:
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{n >> 20} MB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n >> 10} KB"
    if n >= 10 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} B"
