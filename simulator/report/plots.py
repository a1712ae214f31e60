"""Charts of an :class:`~simulator.report.result.Analysis` as PNG bytes. matplotlib is optional and imported lazily.

- :func:`layer_cost_png`: one horizontal bar per layer, cycles (instructions without a cycle model).
- :func:`memory_timeline_png`: the arena over time; x = op index, y = arena offset, one rectangle
  per tensor covering ops first_op..last_op and bytes [offset, offset + size).
- :func:`schedule_timeline_png`: live arena bytes per op for each schedule analyze tried.
"""
from __future__ import annotations

import io

from ..errors import ConfigError
from ..escape import plot_text
from ..sizes import format_size
from .schema import cost_metric, layer_cost

DPI = 110
MAX_LABEL = 28
# A chart stays readable, and its cost bounded, whatever the layer count: a 4,000-layer model
# gave a 140,000-pixel-tall bar chart (145 s, 1.2 GB) and 4,000 x-ticks. At most MAX_BARS bars
# (the costliest layers, in layer order, plus one for the rest) and MAX_TENSOR_LABELS labels.
MAX_BARS = 60
MAX_TENSOR_LABELS = 40


class PlotsUnavailable(ConfigError):
    """matplotlib is not installed."""


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise PlotsUnavailable("charts need matplotlib, which is not installed: "
                               "pip install matplotlib (or pip install 'mcusim[test]')") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def _png(fig, plt) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def _short(text: str, limit: int = MAX_LABEL) -> str:
    text = str(text)
    if len(text) <= limit:
        return plot_text(text)
    tail = 3 if limit >= 8 else 0                  # keep the distinguishing suffix (conv2d_1 vs conv2d_3)
    return plot_text(text[:max(limit - 1 - tail, 1)] + "…" + (text[-tail:] if tail else ""))


def _bars(layers: list, metric: str) -> tuple[list[int], list[str], int]:
    """(values, labels, layers folded into the last bar): the costliest MAX_BARS - 1 layers in
    layer order, then one bar for all the others when there are more than MAX_BARS."""
    values = [layer_cost(layer, metric) for layer in layers]
    keep = range(len(layers))
    if len(layers) > MAX_BARS:
        keep = sorted(sorted(keep, key=lambda i: -values[i])[:MAX_BARS - 1])
    labels = [f"{layers[i].index}  {_short(layers[i].name)} ({plot_text(layers[i].op)})" for i in keep]
    shown = [values[i] for i in keep]
    rest = len(layers) - len(keep)
    if rest:
        shown.append(sum(values) - sum(shown))
        labels.append(f"the other {rest:,} layers")
    return shown, labels, rest


def layer_cost_png(a) -> bytes:
    plt = _pyplot()
    metric = cost_metric(a)
    layers = a.layers
    values, labels, rest = _bars(layers, metric)
    fig, ax = plt.subplots(figsize=(8.5, 1.2 + 0.32 * max(len(values), 1)))
    ys = range(len(values))
    colors = ["#4C72B0"] * (len(values) - (1 if rest else 0)) + (["#A0A0A0"] if rest else [])
    bars = ax.barh(list(ys), values, color=colors, height=0.7)
    ax.set_yticks(list(ys), labels, fontsize=8)
    ax.invert_yaxis()                              # layer 0 at the top, like the table
    ax.set_xlabel(metric)
    which = f" ({MAX_BARS - 1} costliest of {len(layers):,} layers)" if rest else ""
    ax.set_title(f"{plot_text(a.model)} on {plot_text(a.board)}: {metric} per layer{which}", fontsize=10)
    ax.xaxis.set_major_formatter(lambda x, _pos: f"{x:,.0f}")
    total = sum(values) or 1
    for bar, v in zip(bars, values):
        ax.annotate(f" {v:,} ({100 * v / total:.1f}%)", (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                    va="center", fontsize=7)
    ax.set_xlim(0, max(values, default=1) * 1.3 or 1)
    ax.grid(axis="x", alpha=0.3)
    return _png(fig, plt)


def memory_timeline_png(a) -> bytes:
    plt = _pyplot()
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle
    from matplotlib.ticker import MaxNLocator

    tensors = a.tensors
    arena_bytes = a.arena
    arena = max([arena_bytes] + [t.offset + t.size for t in tensors])
    n_ops = max([len(a.layers)] + [t.last_op + 1 for t in tensors])
    fig, ax = plt.subplots(figsize=(8.5, 4.8))
    cmap = plt.get_cmap("tab20")
    # One collection for all rectangles: matplotlib draws it in one call, not one artist each.
    boxes = [Rectangle((t.first_op - 0.45, t.offset), t.last_op - t.first_op + 0.9, t.size)
             for t in tensors]
    ax.add_collection(PatchCollection(boxes, facecolors=[cmap(i % 20) for i in range(len(tensors))],
                                      alpha=0.85, edgecolors="black", linewidths=0.5))
    labelled = sorted(range(len(tensors)), key=lambda i: -tensors[i].size)[:MAX_TENSOR_LABELS]
    for i in sorted(labelled):
        t = tensors[i]
        x0, width = t.first_op - 0.45, t.last_op - t.first_op + 0.9
        if t.size >= arena * 0.06:
            fits = int(width * 60 / (n_ops / 13 + 1) / 4.5)        # characters that fit the rectangle's width
            name = _short(t.name, fits) if fits >= 6 else f"#{t.index}"
            ax.text(x0 + width / 2, t.offset + t.size / 2, f"{name}\n{format_size(t.size)}",
                    ha="center", va="center", fontsize=7, clip_on=True)
    ax.axhline(arena_bytes, color="#C44E52", linestyle="--", linewidth=1)
    ax.annotate(f"arena {arena_bytes:,} B", (n_ops - 0.5, arena_bytes), ha="right", va="bottom",
                fontsize=8, color="#C44E52")
    ax.set_xlim(-0.6, n_ops - 0.4)
    ax.set_ylim(0, arena * 1.08 or 1)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=min(n_ops, 20), integer=True))
    ax.set_xlabel("op index")
    ax.set_ylabel("arena offset (bytes)")
    ax.yaxis.set_major_formatter(lambda y, _pos: f"{y:,.0f}")
    ax.set_title(f"{plot_text(a.model)}: arena use by tensor lifetime", fontsize=10)
    ax.grid(alpha=0.25)
    return _png(fig, plt)


def _plan_timeline(a) -> list[int]:
    """Live arena bytes at each op from the memory plan's tensors (alias groups once)."""
    n_ops = len(a.layers)
    spans: dict[tuple, int] = {}
    for t in a.tensors:
        key = (t.offset, t.first_op, t.last_op)
        spans[key] = max(spans.get(key, 0), t.size)
    return [sum(n for (_, lo, hi), n in spans.items() if lo <= i <= hi) for i in range(n_ops)]


def schedule_timeline_png(a) -> bytes:
    """The arena over the layers for each schedule tried (simulator/schedule.py): live bytes
    after each op, the chosen schedule drawn bold; a patch stage runs inside its last op."""
    plt = _pyplot()
    sched = a.schedule.to_dict() if a.schedule is not None else {}
    lines = [(c["schedule"] + (f" ({c['patches']})" if c.get("patches") else ""), c["timeline"],
              c["schedule"] == sched.get("chosen")) for c in sched.get("candidates", [])]
    if not lines:
        lines = [("plan", _plan_timeline(a), True)]
    fig, ax = plt.subplots(figsize=(8.5, 3.6))
    for label, values, chosen in lines:
        ax.step(range(len(values)), values, where="mid", linewidth=2.4 if chosen else 1.2,
                label=f"{label}: peak {format_size(max(values, default=0))}"
                + (" (chosen)" if chosen and len(lines) > 1 else ""))
    limit = a.ram_limit
    if limit:
        ax.axhline(limit, color="#C44E52", linestyle="--", linewidth=1)
        ax.annotate(f"RAM limit {format_size(limit)}", (0, limit), va="bottom", fontsize=8,
                    color="#C44E52")
    ax.set_xlabel("op index")
    ax.set_ylabel("live arena bytes")
    ax.yaxis.set_major_formatter(lambda y, _pos: f"{y:,.0f}")
    ax.set_title(f"{plot_text(a.model)}: arena over the layers, per schedule", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.25)
    return _png(fig, plt)


CHARTS = {"layer_cost.png": layer_cost_png, "memory_timeline.png": memory_timeline_png,
          "schedule_timeline.png": schedule_timeline_png}
