"""Fuzz target ``report``: hostile analysis JSON through ``mcusim report`` and ``mcusim compare``.

Contract (simulator/report/): any file is rendered (Markdown, HTML; the PNG charts on a 1-in-50
sample, they are the slow part) and compared with a good analysis under every --fail-on metric,
or refused with one ConfigError; never another exception, whatever the values (2^64, 10^400,
NaN, negative, wrong types), the sizes (no layers, 3,000 layers) or the text (truncated, not
UTF-8, nested 100,000 deep).

The seed is the hand-made analysis of tests/report/conftest.py (``make_analysis``), with and
without cycle counts.
"""
from __future__ import annotations

import copy
import importlib.util
import json
import math
from pathlib import Path

from ..errors import ConfigError
from ..report.compare import (FAIL_METRICS, compare_analyses, render_comparison_markdown,
                              render_comparison_text, violations)
from ..report.html import render_analysis_html
from ..report.markdown import render_analysis_markdown
from ..report.result import Analysis, load_analysis
from .targets import Target

SEED_SCRIPT = Path(__file__).resolve().parents[2] / "tests" / "report" / "conftest.py"
_SEEDS: list[dict] = []

HOSTILE = [None, -1, 0, 1, 2**31, 2**64, 10**400, -(10**400), 1e308, -1e308, math.nan, math.inf, 0.5,
           True, False, "", "x", "a" * 100_000, [], {}, [1, 2], {"a": None}]


def seeds() -> list[dict]:
    """The seed analyses; the charts are drawn once here, so that importing matplotlib is not
    charged to (and interrupted in) the first case that draws them."""
    if not _SEEDS:
        spec = importlib.util.spec_from_file_location("_mcusim_report_seed", SEED_SCRIPT)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        _SEEDS.extend([mod.make_analysis(), mod.make_analysis(cycles=False)])
        render_analysis_html(Analysis.from_dict(_SEEDS[0]))
    return _SEEDS


def _paths(obj, prefix=()):
    """Every (container, key) in the document."""
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for k, v in items:
        yield obj, k
        yield from _paths(v, prefix + (k,))


def _m_value(rng, doc):
    container, key = rng.choice(list(_paths(doc)))
    container[key] = copy.deepcopy(rng.choice(HOSTILE))


def _m_delete(rng, doc):
    container, key = rng.choice(list(_paths(doc)))
    del container[key]


def _m_layers(rng, doc):
    layers = doc["layers"]
    choice = rng.randrange(4)
    if choice == 0:
        doc["layers"] = []
    elif choice == 1:
        doc["layers"] = [dict(layers[i % len(layers)], index=i, name=f"l{i}") for i in range(3000)]
    elif choice == 2:
        doc["memory_plan"]["tensors"] = [dict(t, first_op=t["last_op"] + 5) for t in doc["memory_plan"]["tensors"]]
    else:
        doc["memory_plan"]["tensors"] = [dict(t, offset=rng.choice([2**62, -5, 10**30]), last_op=rng.choice(
            [10**6, -1, 2**40])) for t in doc["memory_plan"]["tensors"]]


STRUCTURED = {"value": _m_value, "delete": _m_delete, "layers": _m_layers}


def _t_nesting(rng, text: bytes) -> bytes:
    n = rng.choice([1000, 100_000])
    return b"[" * n + b"]" * n


def _t_truncate(rng, text: bytes) -> bytes:
    return text[:rng.randrange(len(text))]


def _t_flip(rng, text: bytes) -> bytes:
    raw = bytearray(text)
    for _ in range(rng.choice([1, 4])):
        raw[rng.randrange(len(raw))] = rng.randrange(256)
    return bytes(raw)


TEXTUAL = {"nesting": _t_nesting, "truncate": _t_truncate, "flip": _t_flip}


def make(rng) -> tuple[str, bytes]:
    doc = copy.deepcopy(rng.choice(seeds()))
    charts = rng.random() < 0.02
    if rng.random() < 0.8:
        name = rng.choice(sorted(STRUCTURED))
        for _ in range(rng.choice([1, 1, 2, 3])):
            try:
                STRUCTURED[name](rng, doc)
            except (KeyError, IndexError, TypeError, AttributeError, ValueError, ZeroDivisionError):
                pass                  # an earlier mutation removed what this one edits
        text = json.dumps(doc).encode()
    else:
        name = rng.choice(sorted(TEXTUAL))
        text = TEXTUAL[name](rng, json.dumps(doc).encode())
    return name + ("+charts" if charts else ""), (b"C" if charts else b"-") + text


def judge(data: bytes, workdir: Path) -> tuple[str, str]:
    path = workdir / "analysis.json"
    path.write_bytes(data[1:])
    try:
        a = load_analysis(path)
    except ConfigError as exc:
        if str(path) not in str(exc):
            return "bad_message", f"does not name the file: {exc}"
        return "rejected", str(exc)[:200]
    render_analysis_markdown(a)
    if data[:1] == b"C":
        render_analysis_html(a)                      # both PNG charts inline
    good = Analysis.from_dict(seeds()[0])
    try:
        for old, new in ((good, a), (a, good)):
            cmp = compare_analyses(old, new, "old.json", "new.json")
            violations(cmp, {m: 5.0 for m in FAIL_METRICS})
            render_comparison_text(cmp)
            render_comparison_markdown(cmp, [])
    except ConfigError:
        return "rejected", "analyses do not compare"
    return "accepted", ""


# Drawing both charts takes about 0.5 s, several times that under tracemalloc.
TARGET = Target("report", make, judge, suffix=".json", setup=seeds, time_limit=20.0)
