"""Two analyses of the same model (:class:`~simulator.report.result.Analysis`) -> per-layer and
total deltas, and the gate.

Cost is cycles when both analyses have them, else instructions (and the result says so); latency
is shown beside cycles, since across boards (another clock) the two can move apart: cycles +91 %
while latency went 0.68 -> 9.8 ms. When the two were counted under different contexts (board,
clock, toolchain, flags, memory model, kernel library: report/context.py) the comparison says
so in a warning, and ``--strict`` refuses it.
Thresholds (``--fail-on cycles:5%,flash:1%,ram:1%``) apply to the totals: a layer's share moves
with the compiler's inlining, the whole model's cost is what a PR must not regress."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ConfigError
from ..escape import md_text
from .markdown import md_table
from .context import context_differences
from .schema import cost_metric
from .text import elide, table
from .thresholds import format_change, percent_change

FAIL_METRICS = ("cycles", "instructions", "flash", "ram")


@dataclass(frozen=True)
class Delta:
    old: int | None
    new: int | None

    @property
    def diff(self) -> int | None:
        return None if self.old is None or self.new is None else self.new - self.old

    @property
    def pct(self) -> float | None:
        return None if self.diff is None else percent_change(self.old, self.new)


@dataclass(frozen=True)
class Latency:
    old: float | None
    new: float | None

    @property
    def pct(self) -> float | None:
        return None if self.old is None or self.new is None else percent_change(self.old, self.new)


@dataclass
class Comparison:
    model: str
    old_board: str
    new_board: str
    metric: str                                       # "cycles" or "instructions"
    totals: dict[str, Delta] = field(default_factory=dict)     # cycles|instructions, flash, ram
    layers: list[tuple[int, str, str, Delta]] = field(default_factory=list)   # index, name, op, cost
    latency: Latency = Latency(None, None)            # ms of the first inference, each at its own clock
    context: list[str] = field(default_factory=list)  # what differs between the two counts' contexts
    not_run: list[str] = field(default_factory=list)  # "old"/"new": an analysis that did not run


def _layer_key(layer) -> tuple[str, str]:
    return layer.name, layer.op


def _context(a) -> dict:
    return {"board": a.board, "clock_hz": a.clock_hz, **(a.context or {})}


def compare_analyses(old, new, old_name: str = "OLD", new_name: str = "NEW", strict: bool = False) -> Comparison:
    """Raise ConfigError when the two are not analyses of the same model (same layers, same ops),
    and, with ``strict``, when their contexts differ."""
    if old.model != new.model:
        raise ConfigError(f"{old_name} is model {old.model!r} but {new_name} is {new.model!r}: "
                          "compare analyses of the same model")
    if [_layer_key(x) for x in old.layers] != [_layer_key(x) for x in new.layers]:
        raise ConfigError(f"{old_name} and {new_name} have different layers ({len(old.layers)} vs "
                          f"{len(new.layers)}, or renamed/reordered): not the same lowering of "
                          f"{old.model!r}")
    differences = context_differences(_context(old), _context(new))
    if strict and differences:
        raise ConfigError(f"{old_name} and {new_name} were measured under different contexts ("
                          + "; ".join(differences) + "): their counts are not comparable (--strict)")
    metric = cost_metric(old, new)
    cmp = Comparison(old.model, old.board, new.board, metric, context=differences,
                     latency=Latency(old.latency_ms, new.latency_ms),
                     not_run=[side for side, a in (("old", old), ("new", new)) if not a.ran])
    cmp.totals[metric] = Delta(getattr(old, metric), getattr(new, metric))
    if metric == "cycles":
        cmp.totals["instructions"] = Delta(old.instructions, new.instructions)
    cmp.totals["flash"] = Delta(old.flash_total, new.flash_total)
    cmp.totals["ram"] = Delta(old.ram_total, new.ram_total)
    for lo, ln in zip(old.layers, new.layers):
        # a layer that was not run has no cost (None, shown as –), not a cost of 0
        cmp.layers.append((ln.index, ln.name, ln.op, Delta(getattr(lo, metric), getattr(ln, metric))))
    return cmp


def context_warning(cmp: Comparison) -> str | None:
    if not cmp.context:
        return None
    return ("measured under different contexts: " + "; ".join(cmp.context)
            + " (counts are not comparable; --strict refuses)")


def violations(cmp: Comparison, limits: dict[str, float]) -> list[str]:
    """One line per total that grew past its limit."""
    out = []
    for asked, limit in limits.items():
        used = cmp.metric if asked == "cycles" else asked
        note = " (no cycle counts: compared instructions)" if asked == "cycles" and used != "cycles" else ""
        delta = cmp.totals.get(used)
        if delta is None or delta.pct is None:
            continue
        if delta.pct > limit:
            out.append(f"{used} {delta.old:,} -> {delta.new:,} ({format_change(delta.pct)}) "
                       f"exceeds {asked}:{limit:g}%{note}")
    return out


def _fmt(v: int | None) -> str:
    return "–" if v is None else f"{v:,}"


def _ms(v: float | None) -> str:
    return "–" if v is None else f"{v:.3f} ms"


def _rows(cmp: Comparison) -> tuple[list[list], list[list]]:
    totals = [[name, _fmt(d.old), _fmt(d.new), "–" if d.diff is None else f"{d.diff:+,}",
               "–" if d.diff is None else format_change(d.pct)]
              for name, d in cmp.totals.items()]
    lat = cmp.latency
    if lat.old is not None or lat.new is not None:
        diff = "–" if lat.pct is None else f"{lat.new - lat.old:+.3f} ms"
        totals.insert(1, ["latency", _ms(lat.old), _ms(lat.new), diff,
                          "–" if lat.pct is None else format_change(lat.pct)])
    layers = [[i, elide(name), op, _fmt(d.old), _fmt(d.new), "–" if d.diff is None else f"{d.diff:+,}",
               "–" if d.diff is None else format_change(d.pct)]
              for i, name, op, d in cmp.layers]
    return totals, layers


def _title(cmp: Comparison) -> str:
    where = cmp.new_board if cmp.old_board == cmp.new_board else f"{cmp.old_board} -> {cmp.new_board}"
    if cmp.not_run:
        note = f" ({' and '.join(cmp.not_run)} not run: its costs were not measured)"
    else:
        note = "" if cmp.metric == "cycles" else " (no cycle counts: instructions compared)"
    return f"{cmp.model} on {where}{note}"


def render_comparison_text(cmp: Comparison) -> str:
    totals, layers = _rows(cmp)
    warning = context_warning(cmp)
    return "\n".join([f"mcusim compare: {_title(cmp)}"] + ([f"warning: {warning}"] if warning else []) +
                     [table(["total", "old", "new", "change", "%"], totals, "lrrrr"), "",
                      table(["#", "layer", "op", f"old {cmp.metric}", f"new {cmp.metric}", "change", "%"],
                            layers, "rllrrrr")])


def render_comparison_markdown(cmp: Comparison, failures: list[str] | None = None) -> str:
    totals, layers = _rows(cmp)
    out = [f"### mcusim compare: {md_text(_title(cmp))}", ""]
    warning = context_warning(cmp)
    if warning:
        out += [f"- ⚠️ {md_text(warning)}"] + ([] if failures else [""])
    if failures:
        out += [f"- ❌ {md_text(f)}" for f in failures] + [""]
    out += [md_table(["total", "old", "new", "change", "%"], totals, "lrrrr"), "",
            "<details><summary>per-layer</summary>", "",
            md_table(["#", "layer", "op", f"old {cmp.metric}", f"new {cmp.metric}", "change", "%"], layers,
                     "rllrrrr"), "", "</details>"]
    return "\n".join(out) + "\n"
