"""Results as terminal text. Computation happens elsewhere; this only describes."""
from __future__ import annotations

from ..escape import term_text
from ..sizes import format_size


NAME_WIDTH = 32          # a converter's layer name is ~120 characters: elided in tables


def elide(text, limit: int = NAME_WIDTH) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, keeping the last few (the
    distinguishing suffix: conv2d_1 vs conv2d_3); the whole name stays in the JSON."""
    text = str(text)
    if len(text) <= limit:
        return text
    tail = min(8, limit // 3)
    return text[:limit - 1 - tail] + "…" + text[-tail:]


def table(headers: list[str], rows: list[list], align: str | None = None) -> str:
    """A plain fixed-width table; ``align`` is one char per column, 'l' or 'r'."""
    cells = [[term_text(c) for c in r] for r in rows]      # cells may hold model names
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    align = align or "l" * len(headers)

    def fmt(row):
        return "  ".join(c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(row, widths, align)).rstrip()

    return "\n".join([fmt(headers), fmt(["-" * w for w in widths])] + [fmt(r) for r in cells])


def render_run(r) -> str:
    lines = [f"mcusim: {r.board} ({r.core}), toolchain {r.toolchain}"]
    cyc = f", {r.cycles:,} cycles = {r.time_us:,.1f} us at {r.clock_hz / 1e6:g} MHz" if r.cycles is not None else ""
    lines.append(f"  exit {r.exit_code}, {r.instructions:,} instructions{cyc}")
    lines.append(f"  RAM: static {format_size(r.ram_static)}, stack peak {r.stack_peak} B of "
                 f"{format_size(r.stack_size)}, limit {format_size(r.ram_limit)}; flash {format_size(r.flash_used)}")
    memory = getattr(r, "memory", None) or {}
    counters = memory.get("counters")
    if counters:
        lines.append(f"  memory {memory['model']}: I-cache misses {counters['i_misses']:,}, D-cache misses "
                     f"{counters['d_misses']:,}, stall cycles {counters['i_stall'] + counters['d_stall']:,}, "
                     f"unaligned accesses {counters['unaligned']:,} (+{counters['unaligned_stall']:,} cycles)")
    elif memory:
        lines.append(f"  memory {memory['model']}")
    if r.regions:
        mem = any("memory" in v for v in r.regions.values())
        rows = []
        for name, v in r.regions.items():
            row = [name, v["count"], "-" if v["cycles"] is None else f"{v['cycles']:,}", f"{v['instructions']:,}"]
            if mem:
                m = v.get("memory", {})
                row += [f"{m.get('i_misses', 0):,}", f"{m.get('d_misses', 0):,}"]
            rows.append(row)
        head = ["region", "count", "cycles", "instructions"] + (["I-miss", "D-miss"] if mem else [])
        lines.append(table(head, rows, "lrrr" + ("rr" if mem else "")))
    profile = getattr(r, "profile", None)
    if profile:
        def weight(kv):
            return kv[1]["cycles"] if kv[1].get("cycles") is not None else kv[1]["instructions"]

        rows = sorted(profile.items(), key=weight, reverse=True)
        lines.append(table(["function", "cycles", "instructions"],
                           [[name, "-" if v.get("cycles") is None else f"{v['cycles']:,}", f"{v['instructions']:,}"]
                            for name, v in rows], "lrr"))
    return "\n".join(lines)


def render_boards(boards) -> str:
    rows = []
    for b in boards:
        mem = ", ".join(f"{r.name} {format_size(r.size)}@0x{r.origin:08x}" for r in b.regions)
        rows.append([b.name, b.core.title, f"{b.clock_hz / 1e6:g} MHz", mem])
    return table(["board", "core", "clock", "memory"], rows)
