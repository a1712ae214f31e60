"""Per-test costs recorded by the pytest plugin: the baseline file, the regression check, the table.

A baseline is one JSON object, test node id -> ``{"board", "cycles", "instructions", "context"}``;
``context`` is what the counts depend on (report/context.py: toolchain name and version, flags,
C library, memory model, kernel library, clock), so that a baseline saved under zig and compared
under gcc says so instead of failing +75-132 % with no word about why::

    {"tests/test_dot.py::test_dot[rp2040]": {"board": "rp2040", "cycles": null, "instructions": 1843,
     "context": {"toolchain": "zig ziglang 0.17.1 (...)", "flags": ["-O2", ...], "clock_hz": 125000000, ...}}}

Its JSON Schema is :data:`.schema.BASELINE_SCHEMA` (docs/baseline.schema.json). Files written before the
context was recorded (``"memory"`` only) still load; what they lack is not compared.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import ConfigError
from .atomic import write_text_atomic
from .context import context_differences
from .schema import ENTRY_SCHEMA, check_json
from .text import table
from .thresholds import format_change, percent_change


def load_baseline(path: str | Path) -> dict[str, dict]:
    try:
        data = json.loads(Path(path).read_bytes())
    except RecursionError:
        raise ConfigError(f"--mcu-compare {path}: cannot read the baseline: nested too deeply") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--mcu-compare {path}: cannot read the baseline: {str(exc)[:120]}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"--mcu-compare {path}: not a baseline written by --mcu-save-baseline "
                          "(expected test id -> {board, cycles, instructions})")
    for nodeid, v in data.items():
        try:
            check_json(v, ENTRY_SCHEMA, "entry")
        except ConfigError as exc:
            raise ConfigError(f"--mcu-compare {path}: entry {nodeid[:80]!r} is not {{board: text, cycles: "
                              f"count or null, instructions: count, context}}, got {json.dumps(v)[:80]} "
                              f"({exc})") from None
    return data


def save_baseline(path: str | Path, costs: dict[str, dict]) -> None:
    entries = {nodeid: {"board": c["board"], "cycles": c["cycles"], "instructions": c["instructions"],
                        **({"context": c["context"]} if c.get("context") else {})}
               for nodeid, c in sorted(costs.items())}
    write_text_atomic(path, json.dumps(entries, indent=2) + "\n")


def entry_context(entry: dict) -> dict:
    """An entry's context with its board; a file from before the context keeps its memory model."""
    ctx = dict(entry.get("context") or {})
    if "memory_model" not in ctx and entry.get("memory"):
        ctx["memory_model"] = entry["memory"]
    return {"board": entry.get("board"), **ctx}


def context_changes(nodeid: str, new: dict, baseline: dict[str, dict]) -> list[str]:
    """What differs between the baseline entry's context and this run's ([] when none or no entry)."""
    old = baseline.get(nodeid)
    return [] if old is None else context_differences(entry_context(old), entry_context(new))


def _metric_values(metric: str, old: dict, new: dict) -> tuple[str, int, int, str]:
    """The metric actually compared: cycles fall back to instructions when either side lacks them."""
    if metric == "cycles" and (old.get("cycles") is None or new.get("cycles") is None):
        return "instructions", old["instructions"], new["instructions"], " (no cycle counts: compared instructions)"
    return metric, old[metric], new[metric], ""


def regressions(nodeid: str, new: dict, baseline: dict[str, dict], limits: dict[str, float],
                source: str = "") -> list[str]:
    """One message per limit that ``new`` exceeds against the baseline entry of ``nodeid``; a
    message says when the two were measured under different contexts."""
    old = baseline.get(nodeid)
    if old is None:
        return []
    changes = context_changes(nodeid, new, baseline)
    context = f"; measured under a different context: {'; '.join(changes)}" if changes else ""
    out = []
    for metric, limit in limits.items():
        used, before, after, note = _metric_values(metric, old, new)
        pct = percent_change(before, after)
        if pct is not None and pct > limit:
            out.append(f"mcusim regression: {nodeid}: {used} {before:,} -> {after:,} ({format_change(pct)}), "
                       f"over the {metric}:{limit:g}% limit{note}{context}" + (f"; baseline {source}" if source else ""))
    return out


def _time_us(entry: dict) -> float | None:
    clock = (entry.get("context") or {}).get("clock_hz")
    return None if entry.get("cycles") is None or not clock else entry["cycles"] * 1e6 / clock


def _vs_baseline(old: dict, new: dict) -> str:
    used, before, after, _ = _metric_values("cycles", old, new)
    text = f"{format_change(percent_change(before, after))} {used}"
    t_old, t_new = _time_us(old), _time_us(new)
    if used == "cycles" and t_old is not None and t_new is not None and \
            entry_context(old).get("clock_hz") != entry_context(new).get("clock_hz"):
        text += f", {format_change(percent_change(t_old, t_new))} time"    # another clock: both matter
    if context_differences(entry_context(old), entry_context(new)):
        text += " (context differs)"
    return text


def render_costs(costs: dict[str, dict], baseline: dict[str, dict] | None = None) -> str:
    """The terminal table: one row per test that ran firmware through the ``mcu`` fixture."""
    headers = ["test", "board", "kernel", "cycles", "time", "instructions", "runs"]
    if baseline is not None:
        headers.append("vs baseline")
    rows = []
    for nodeid, c in sorted(costs.items()):
        t = _time_us(c)
        row = [nodeid, c["board"], c["label"], "-" if c["cycles"] is None else f"{c['cycles']:,}",
               "-" if t is None else f"{t:,.1f} us", f"{c['instructions']:,}", c["runs"]]
        if baseline is not None:
            old = baseline.get(nodeid)
            row.append("new" if old is None else _vs_baseline(old, c))
        rows.append(row)
    return table(headers, rows, "lllrrrr" + ("r" if baseline is not None else ""))


def context_report(costs: dict[str, dict], baseline: dict[str, dict]) -> list[str]:
    """One line per distinct context change between the baseline and this session, with how many
    tests it concerns (the terminal summary's warning)."""
    seen: dict[str, int] = {}
    for nodeid, c in costs.items():
        changes = context_changes(nodeid, c, baseline)
        if changes:
            key = "; ".join(changes)
            seen[key] = seen.get(key, 0) + 1
    return [f"{n} test(s) measured under a different context than the baseline: {k}" for k, n in seen.items()]
