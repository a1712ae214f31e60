"""Per-test costs recorded by the pytest plugin: the baseline file, the regression check, the table.

A baseline is one JSON object, test node id -> ``{"board", "cycles", "instructions"}`` (and
``"memory"``, the memory model the cycles were counted under)::

    {"tests/test_dot.py::test_dot[rp2040]": {"board": "rp2040", "cycles": null, "instructions": 1843}}
"""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import ConfigError
from .atomic import write_text_atomic
from .text import table
from .thresholds import format_change, percent_change


def _count(v, optional: bool) -> bool:
    return (v is None and optional) or (isinstance(v, int) and not isinstance(v, bool) and v >= 0)


def load_baseline(path: str | Path) -> dict[str, dict]:
    try:
        data = json.loads(Path(path).read_bytes())
    except RecursionError:
        raise ConfigError(f"--mcu-compare {path}: cannot read the baseline: nested too deeply") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--mcu-compare {path}: cannot read the baseline: {str(exc)[:120]}") from None
    if not isinstance(data, dict):
        data = None
    for nodeid, v in (data or {}).items():
        if not (isinstance(v, dict) and isinstance(v.get("board"), str)
                and _count(v.get("instructions"), False) and _count(v.get("cycles"), True)):
            raise ConfigError(f"--mcu-compare {path}: entry {nodeid[:80]!r} is not {{board: text, cycles: "
                              f"count or null, instructions: count}}, got {json.dumps(v)[:80]}")
    if data is None:
        raise ConfigError(f"--mcu-compare {path}: not a baseline written by --mcu-save-baseline "
                          "(expected test id -> {board, cycles, instructions})")
    return data


def save_baseline(path: str | Path, costs: dict[str, dict]) -> None:
    entries = {nodeid: {"board": c["board"], "cycles": c["cycles"], "instructions": c["instructions"],
                        **({"memory": c["memory"]} if c.get("memory") else {})}
               for nodeid, c in sorted(costs.items())}
    write_text_atomic(path, json.dumps(entries, indent=2) + "\n")


def _metric_values(metric: str, old: dict, new: dict) -> tuple[str, int, int, str]:
    """The metric actually compared: cycles fall back to instructions when either side lacks them."""
    if metric == "cycles" and (old.get("cycles") is None or new.get("cycles") is None):
        return "instructions", old["instructions"], new["instructions"], " (no cycle counts: compared instructions)"
    return metric, old[metric], new[metric], ""


def regressions(nodeid: str, new: dict, baseline: dict[str, dict], limits: dict[str, float],
                source: str = "") -> list[str]:
    """One message per limit that ``new`` exceeds against the baseline entry of ``nodeid``."""
    old = baseline.get(nodeid)
    if old is None:
        return []
    out = []
    for metric, limit in limits.items():
        used, before, after, note = _metric_values(metric, old, new)
        pct = percent_change(before, after)
        if pct is not None and pct > limit:
            out.append(f"mcusim regression: {nodeid}: {used} {before:,} -> {after:,} ({format_change(pct)}), "
                       f"over the {metric}:{limit:g}% limit{note}" + (f"; baseline {source}" if source else ""))
    return out


def render_costs(costs: dict[str, dict], baseline: dict[str, dict] | None = None) -> str:
    """The terminal table: one row per test that ran firmware through the ``mcu`` fixture."""
    headers = ["test", "board", "kernel", "cycles", "instructions", "runs"]
    if baseline is not None:
        headers.append("vs baseline")
    rows = []
    for nodeid, c in sorted(costs.items()):
        row = [nodeid, c["board"], c["label"], "-" if c["cycles"] is None else f"{c['cycles']:,}",
               f"{c['instructions']:,}", c["runs"]]
        if baseline is not None:
            old = baseline.get(nodeid)
            if old is None:
                row.append("new")
            else:
                used, before, after, _ = _metric_values("cycles", old, c)
                row.append(f"{format_change(percent_change(before, after))} {used}")
        rows.append(row)
    return table(headers, rows, "lllrrr" + ("r" if baseline is not None else ""))
