"""RAM-aware scheduling: pick how to lower a model so that it fits a RAM budget.

    choice = pick_schedule(graph, board, limit, need, requested="auto")
    choice.lowered            # the LoweredModel to build
    choice.chosen, choice.candidates, choice.summary()

Schedules, in order of their cycle cost (the cheapest that fits wins under "auto"):

    plain     one kernel per op, every tensor in its own bytes (the greedy planner's arena)
    inplace   elementwise ops, convs and depthwise convs overwrite an input that dies
              there (lower/inplace.py); elementwise in place costs nothing, the in-place
              conv kernels call the layer's own kernel a chunk or band at a time (a few %
              of cycles) and are kept only where they lower arena + scratch (prune_inplace)
    rows      inplace, and residual blocks (conv chain + identity or projection skip + ADD)
              run row by row (lower/blocks.py): their branches never exist whole and their
              output takes their input's bytes; nothing is recomputed (a few per-row calls);
              a block is kept only where it lowers arena + scratch (best_rows)
    patch     inplace, and the first layers (a conv/depthwise chain) run patch by patch
              (lower/patches.py): the split point and grid with the smallest arena + scratch
              whose halo recomputation stays within PATCH_MACC_BUDGET of the model's MACs
              (under "auto", of the stages that fit the RAM, the one recomputing least)

Nothing is built here: each candidate is lowered and planned (milliseconds), and its RAM need
(arena + scratch + stack + static, analyze.ram_need) compared with the limit. When nothing
fits, the candidate with the smallest need is kept, so the overflow report names the smallest
peak reached and the layer that sets it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import ConfigError, McusimError
from .lower import LoweredModel, lower_graph
from .sizes import format_size

SCHEDULES = ("plain", "inplace", "rows", "patch")         # in order of cost
# the patch search keeps stages whose recomputed halos add at most this share of the model's
# MACs (issue 16's budget: +10 % cycles; MACs are the estimate, analyze measures the cycles)
PATCH_MACC_BUDGET = 0.10
PATCH_GRIDS = ((2, 2), (3, 3), (4, 4), (2, 1), (3, 1), (4, 1))
PATCH_PEAK_SLACK = 0.01          # peaks within 1 % of the smallest count as equal
CHOICES = ("auto",) + SCHEDULES


@dataclass
class Candidate:
    schedule: str
    arena: int
    ram_total: int                       # arena + scratch + stack + static
    fits: bool
    peak_op: int                         # the op where the arena's peak is set
    peak_opcode: str
    timeline: list[int] = field(default_factory=list)   # live arena bytes after each op
    inplace_ops: list[int] = field(default_factory=list)
    patches: str | None = None           # "3x3 patch schedule for layers 0-5"
    patch_macc: int = 0                  # MACs the patch halos recompute
    row_blocks: list[tuple[int, int]] = field(default_factory=list)   # (first, last) ops

    def to_dict(self) -> dict:
        return {"schedule": self.schedule, "arena": self.arena, "ram_total": self.ram_total,
                "fits": self.fits, "peak_op": self.peak_op, "peak_opcode": self.peak_opcode,
                "timeline": list(self.timeline), "inplace_ops": list(self.inplace_ops),
                "patches": self.patches, "patch_extra_macc": self.patch_macc,
                "row_blocks": [list(b) for b in self.row_blocks]}

    def describe_blocks(self) -> str:
        spans = ", ".join(f"{a}-{b}" for a, b in self.row_blocks)
        return f"residual block{'s' if len(self.row_blocks) > 1 else ''} {spans} row by row"


@dataclass
class ScheduleChoice:
    requested: str
    chosen: str
    candidates: list[Candidate]
    lowered: LoweredModel
    baseline_cycles: int | None = None   # the plain schedule's cycles, when another was chosen
    baseline_flash: int | None = None

    @property
    def best(self) -> Candidate:
        return next(c for c in self.candidates if c.schedule == self.chosen)

    def summary(self, cycles: int | None = None, flash: int | None = None) -> str:
        """One line: what was chosen, its RAM, and its cost against the plain schedule."""
        c = self.best
        if not c.fits:
            tried = ", ".join(f"{x.schedule} {format_size(x.ram_total)}" for x in self.candidates)
            return (f"no schedule fits (tried {tried}); the smallest need is {self.chosen}, "
                    f"{format_size(c.ram_total)}, its arena peak set at op #{c.peak_op} "
                    f"({c.peak_opcode})")
        text = f"fits in {format_size(c.ram_total)} with the {self.chosen} schedule"
        if c.patches:
            text = f"fits in {format_size(c.ram_total)} with a {c.patches}"
            if c.inplace_ops:
                text += f" and {len(c.inplace_ops)} ops in place"
        elif c.row_blocks:
            text += f" ({c.describe_blocks()}, {len(c.inplace_ops)} ops in place)"
        elif self.chosen != "plain" and c.inplace_ops:
            text += f" ({len(c.inplace_ops)} ops in place)"
        cost = []
        if self.baseline_cycles and cycles is not None:
            cost.append(f"{100.0 * (cycles - self.baseline_cycles) / self.baseline_cycles:+.1f} "
                        f"% cycles")
        if self.baseline_flash and flash is not None:
            cost.append(f"{flash - self.baseline_flash:+d} B flash")
        if cost:
            text += ", " + ", ".join(cost) + " against plain"
        return text

    def to_dict(self) -> dict:
        return {"requested": self.requested, "chosen": self.chosen,
                "baseline_cycles": self.baseline_cycles, "baseline_flash": self.baseline_flash,
                "candidates": [c.to_dict() for c in self.candidates]}


def arena_timeline(lm: LoweredModel) -> list[int]:
    """Live arena bytes at each op (the planner's buffers live there, aligned)."""
    plan = lm.memory.plan
    return [plan.live_bytes(i) for i in range(len(lm.graph.ops))]


def candidate(lm: LoweredModel, need: dict, limit: int) -> Candidate:
    total = sum(need.values())
    op_i = lm.memory.peak_op()
    opcode = lm.graph.ops[op_i].opcode if lm.graph.ops else "input"
    st = lm.stage
    return Candidate(lm.schedule, lm.arena_bytes, total, total <= limit, op_i, opcode,
                     arena_timeline(lm), [l.index for l in lm.layers if l.inplace],
                     None if st is None else st.describe(),
                     0 if st is None else st.macc - st.macc_plain,
                     [(b.first, b.last) for b in lm.blocks])


def _lower(graph, board, name: str, fits=None, backend=None) -> LoweredModel | None:
    if backend is not None:                  # a kernel library (--kernels) lowers plain only
        return lower_graph(graph, board, name, backend=backend)
    if name == "patch":
        return best_patch(graph, board, fits)
    if name == "rows":
        return best_rows(graph, board)
    return prune_inplace(graph, board) if name == "inplace" else lower_graph(graph, board, name)


def best_rows(graph, board) -> LoweredModel | None:
    """The inplace schedule with the residual blocks that can run row by row, each kept only
    where it lowers arena + scratch (last block first: dropping one saves its per-row calls).
    None when the model has no such block."""
    from .lower.blocks import find_blocks
    blocks = find_blocks(graph)
    if not blocks:
        return None
    lm = prune_inplace(graph, board, blocks=blocks)
    cost = lm.arena_bytes + lm.scratch_bytes
    for block in reversed(list(blocks)):
        rest = [b for b in blocks if b is not block]
        trial = prune_inplace(graph, board, blocks=rest)
        if trial.arena_bytes + trial.scratch_bytes <= cost:
            blocks, lm, cost = rest, trial, trial.arena_bytes + trial.scratch_bytes
    return lm if blocks else None


def best_patch(graph, board, fits=None) -> LoweredModel | None:
    """The patch stage (split point, grid) within the MAC budget, lowered with the inplace
    schedule around it: of those whose lowering ``fits(lm)``, the one recomputing the fewest
    MACs (fewer, larger patches cost fewer cycles); else, of those whose arena + scratch is
    within PATCH_PEAK_SLACK of the smallest, the one recomputing the fewest MACs (a 4x4 grid
    whose peak is 32 B below a 3x3 grid's is not worth its extra calls). None when no stage
    qualifies."""
    from .lower.patches import chain_ops, make_stage
    ops = chain_ops(graph)
    total = sum(l.macc for l in lower_graph(graph, board, "plain").layers) or 1
    found = []                                   # (fits, peak, extra MACs, stage)
    for last in ops[1:]:
        for grid in PATCH_GRIDS:
            stage = make_stage(graph, ops[0], last, grid)
            extra = stage.macc - stage.macc_plain
            if extra > PATCH_MACC_BUDGET * total:
                continue
            lm = lower_graph(graph, board, "inplace", stage=stage)
            found.append((fits is not None and fits(lm), lm.arena_bytes + lm.scratch_bytes,
                          extra, stage))
    if not found:
        return None
    fitting = [f for f in found if f[0]]
    if fitting:
        best = min(fitting, key=lambda f: (f[2], f[1]))
    else:
        low = min(f[1] for f in found) * (1 + PATCH_PEAK_SLACK)
        best = min((f for f in found if f[1] <= low), key=lambda f: (f[2], f[1]))
    return prune_inplace(graph, board, best[3])


def prune_inplace(graph, board, stage=None, blocks=()) -> LoweredModel:
    """The inplace schedule, with each in-place kernel variant (a depthwise conv: slower than
    the DSP kernel it replaces) put back out of place when that does not grow the arena plus
    scratch. Elementwise ops in place cost nothing and stay. Greedy, one op at a time, last
    op first (the early, large layers are where the peak usually is)."""
    lm = lower_graph(graph, board, "inplace", stage=stage, blocks=blocks)
    keep: frozenset[int] = frozenset()
    cost = lm.arena_bytes + lm.scratch_bytes
    for layer in reversed([l for l in lm.layers if l.inplace and l.rule.variant]):
        trial = lower_graph(graph, board, "inplace", keep | {layer.index}, stage=stage,
                            blocks=blocks)
        if trial.arena_bytes + trial.scratch_bytes <= cost:
            keep, lm, cost = keep | {layer.index}, trial, trial.arena_bytes + trial.scratch_bytes
    return lm


def pick_schedule(graph, board, limit: int, need, requested: str = "auto", backend=None) -> ScheduleChoice:
    """Lower ``graph`` for ``board`` with the cheapest schedule whose RAM need fits ``limit``
    (``requested`` "auto"), or with the one schedule asked for. ``need(lm)`` is the RAM
    need dict of a lowered model. ``backend``: a --kernels library (lower_graph), plain only."""
    if requested not in CHOICES:
        raise ConfigError(f"unknown schedule {requested!r}: choose one of {', '.join(CHOICES)}")
    names = SCHEDULES if requested == "auto" else (requested,)
    tried: list[tuple[Candidate, LoweredModel]] = []
    def fits(lm) -> bool:
        return sum(need(lm).values()) <= limit

    for name in names:
        # asked for by name, a patch stage minimises the peak; in the budget search, the
        # cheapest stage that fits wins
        lm = _lower(graph, board, name, fits if requested == "auto" else None, backend)
        if lm is None:                   # no patch stage for this model
            continue
        lm.schedule = name
        c = candidate(lm, need(lm), limit)
        tried.append((c, lm))
        if c.fits:
            break
    if not tried:
        raise ConfigError(f"schedule {requested!r} does not apply to this model (patches need "
                          f"a first chain of at least two CONV_2D/DEPTHWISE_CONV_2D layers; "
                          f"rows needs a residual block that lowers the peak)")
    best, lm = next(((c, lm) for c, lm in tried if c.fits),
                    min(tried, key=lambda t: t[0].ram_total))
    return ScheduleChoice(requested, best.schedule, [c for c, _ in tried], lm)


def measure_baseline(choice: ScheduleChoice, run_plain) -> None:
    """Fill the plain schedule's cycles and flash into ``choice`` from ``run_plain()`` (an
    Analysis of the plain schedule on the board's default RAM); left None when plain does not
    run there either."""
    try:
        a = run_plain()
    except McusimError:
        return
    if a.ran and a.bit_exact:
        choice.baseline_cycles = a.cycles
        choice.baseline_flash = a.flash_total
