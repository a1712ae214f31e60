"""Reading the analysis JSON of ``mcusim analyze --json`` (schema ``mcusim.analysis/1``, docs/analysis-schema.md).

The renderers take the plain dict; this module only checks that a file is one, so a renderer can
index it without guarding every key, and a bad file becomes one ConfigError line (exit 2)."""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

from ..errors import ConfigError

SCHEMA = "mcusim.analysis/1"
_INT, _OPT_INT, _NUM, _OPT_NUM = (int,), (int, type(None)), (int, float), (int, float, type(None))
TOP = {"model": (str,), "board": (str,), "core": (str,), "toolchain": (str,), "clock_hz": _INT,
       "params": _INT, "macc": _INT, "flash_bytes": (dict,), "ram_bytes": (dict,),
       "ram_limit_bytes": _INT, "fits": (bool,), "instructions": _OPT_INT, "cycles": _OPT_INT,
       "latency_ms": _OPT_NUM, "bit_exact": (bool, type(None)), "layers": (list,), "memory_plan": (dict,)}
FLASH = {"weights": _INT, "code": _INT, "total": _INT}
RAM = {"arena": _INT, "scratch": _INT, "stack_peak": _OPT_INT, "static": _INT, "total": _INT}
LAYER = {"index": _INT, "name": (str,), "op": (str,), "kernel": (str,), "output_shape": (list,),
         "macc": _INT, "instructions": _OPT_INT, "cycles": _OPT_INT, "share": _OPT_NUM,
         "bit_exact": (bool, type(None))}
TENSOR = {"index": _INT, "name": (str,), "offset": _INT, "size": _INT, "first_op": _INT, "last_op": _INT}


def _check(obj, fields: dict, where: str) -> None:
    if not isinstance(obj, dict):
        raise ConfigError(f"{where}: expected an object, got {type(obj).__name__}")
    for key, types in fields.items():
        if key not in obj:
            raise ConfigError(f"{where}: missing {key!r}")
        value = obj[key]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            names = "/".join("null" if t is type(None) else t.__name__ for t in types)
            raise ConfigError(f"{where}.{key}: expected {names}, got {_show(value)}")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not _count(value):
            raise ConfigError(f"{where}.{key}: {_show(value)} is not a count (0 to 2^63-1, finite)")


def _count(v) -> bool:
    """Every number in an analysis is a count, size, index, share or latency: finite, >= 0, and
    within int64 (a value from a tampered file must not overflow float() in the renderers)."""
    return math.isfinite(v) and 0 <= v < 2**63 if isinstance(v, float) else 0 <= v < 2**63


def _show(value) -> str:
    try:
        return json.dumps(value)[:40]
    except (ValueError, OverflowError):
        return repr(value)[:40]


def validate_analysis(data, source: str = "analysis") -> dict:
    """Return ``data`` if it follows ``mcusim.analysis/1``; else raise ConfigError naming the first problem."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise ConfigError(f"{source}: not an mcusim analysis (schema {found!r}, expected {SCHEMA!r}; "
                          "make one with `mcusim analyze MODEL --json`)")
    _check(data, TOP, source)
    _check(data["flash_bytes"], FLASH, f"{source}: flash_bytes")
    _check(data["ram_bytes"], RAM, f"{source}: ram_bytes")
    for i, layer in enumerate(data["layers"]):
        _check(layer, LAYER, f"{source}: layers[{i}]")
    _check(data["memory_plan"], {"arena_bytes": _INT, "tensors": (list,)}, f"{source}: memory_plan")
    for i, t in enumerate(data["memory_plan"]["tensors"]):
        _check(t, TENSOR, f"{source}: memory_plan.tensors[{i}]")
    return data


MAX_FILE_BYTES = 256 << 20          # an analysis of 4,000 layers is about 1 MB


def load_analysis(path: str | Path) -> dict:
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size > MAX_FILE_BYTES:
                raise ConfigError(f"{path}: larger than {MAX_FILE_BYTES >> 20} MB: not an mcusim analysis")
            raw = f.read()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return validate_analysis(parse_json(raw, path), str(path))


def parse_json(raw: bytes, path) -> object:
    """JSON from an untrusted file: malformed, non-UTF-8 or absurdly nested text is a ConfigError."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise ConfigError(f"{path}: not JSON: nested too deeply") from None
    except ValueError as exc:                 # JSONDecodeError and UnicodeDecodeError
        raise ConfigError(f"{path}: not JSON: {str(exc)[:120]}") from None


def cost_metric(*analyses: dict) -> str:
    """``"cycles"`` when every analysis has cycle counts, else ``"instructions"``."""
    return "cycles" if all(a.get("cycles") is not None for a in analyses) else "instructions"


def layer_cost(layer: dict, metric: str) -> int:
    value = layer.get(metric)
    return 0 if value is None else value
