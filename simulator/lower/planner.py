"""Static memory planner: tensor lifetimes -> offsets in one arena, and the arena's peak.

Usage (the interface follows TFLM's MemoryPlanner: AddBuffer(size, first_use, last_use) ->
offsets -> peak)::

    planner = GreedyPlanner(alignment=16)
    a = planner.add_buffer(6400, first_use=0, last_use=1, name="conv1")   # returns a buffer id
    b = planner.add_buffer(3200, first_use=1, last_use=2, name="pool1")
    c = planner.add_buffer(6400, first_use=2, last_use=3, name="conv2")
    plan = planner.plan()
    plan.offsets[a], plan.offsets[c]      # 0, 0: conv1 is dead when conv2 is written
    plan.offsets[b]                       # 6400: overlaps both in time, so sits above them
    plan.arena_bytes                      # 9600: the peak, the size of g_arena

Placement is TFLM's GreedyMemoryPlanner approach (tensorflow/lite/micro/memory_planner/
greedy_memory_planner.h/.cc, facts only): take the buffers largest first (ties: earlier
first use first), and put each at the lowest offset where it overlaps, in address, no buffer
already placed whose lifetime overlaps its own. Lifetimes are inclusive op indices.
Greedy placement depends on the order, so :meth:`GreedyPlanner.plan` also tries two other
orders (size x lifetime, and first use; the "greedy by size" / "by breadth" family of
Pisarchyk & Lee, "Efficient Memory Management for Deep Neural Net Inference", 2020) and keeps
the smallest arena, TFLM's order winning ties. On vww_mobilenet_v1_025 that is 55296 B
(the largest live set, so optimal) instead of 64512 B for size order alone.

Offsets and sizes are rounded up to 16 bytes: TFLM's default tensor alignment is 16
(MicroArenaBufferAlignment() in micro_arena_constants.h), which also covers our kernels' word
loads (SMLAD reads two int8 pairs per 32-bit load; Cortex-M0+ faults on unaligned words) and
keeps float32 tensors aligned. ``g_arena`` itself is declared ``aligned(16)``.

The arena for a model with tensors t0..t3, where t0 and t2 reuse the same bytes::

    g_arena + 0     ┌────────────┬────────────┐
                    │ t0 (op0-1) │ t2 (op2-3) │   same offset, disjoint lifetimes
    g_arena + 6400  ├────────────┴────────────┤
                    │ t1 (op1-2)              │   live with both, so placed above
    g_arena + 9600  └─────────────────────────┘ = arena_bytes (the peak)
                      op0 ──────────────► op3     time

In-place aliasing (a RESHAPE whose output is its input's bytes, or an op that writes its
output over an input that dies there, lower/inplace.py) is done by the caller, who adds one
buffer for the group with the union of the lifetimes and the largest member's size; see
:func:`plan_graph`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

ALIGNMENT = 16


def align_up(n: int, to: int = ALIGNMENT) -> int:
    return (n + to - 1) // to * to


@dataclass
class Buffer:
    id: int
    size: int            # requested bytes
    first_use: int       # inclusive op index
    last_use: int        # inclusive op index
    name: str = ""
    # (first, last, bytes) pieces when the size changes over the lifetime (an in-place group:
    # a depthwise input, then a wider pointwise output in the same bytes); None: one piece
    profile: tuple[tuple[int, int, int], ...] | None = None

    def overlaps_in_time(self, other: "Buffer") -> bool:
        return self.first_use <= other.last_use and other.first_use <= self.last_use

    def pieces(self) -> tuple[tuple[int, int, int], ...]:
        return self.profile or ((self.first_use, self.last_use, self.size),)

    def size_at(self, op_index: int) -> int:
        return max((n for lo, hi, n in self.pieces() if lo <= op_index <= hi), default=0)


@dataclass
class Plan:
    buffers: list[Buffer]
    offsets: list[int]
    arena_bytes: int
    alignment: int
    order: str = "size"              # which placement order won

    def live_at(self, op_index: int) -> list[Buffer]:
        return [b for b in self.buffers if b.first_use <= op_index <= b.last_use]

    def live_bytes(self, op_index: int) -> int:
        return sum(align_up(b.size_at(op_index), self.alignment) for b in self.live_at(op_index))

    def peak_op(self) -> int:
        """The op with the most live bytes (a lower bound on any arena), among the ops where
        the buffer reaching the arena's top is live."""
        if not self.buffers:
            return 0
        def end(b):
            return self.offsets[b.id] + align_up(b.size, self.alignment), b.size
        top = max(self.buffers, key=end)
        return max(range(top.first_use, top.last_use + 1), key=self.live_bytes)


@dataclass
class GreedyPlanner:
    alignment: int = ALIGNMENT
    buffers: list[Buffer] = field(default_factory=list)

    def add_buffer(self, size: int, first_use: int, last_use: int, name: str = "",
                   profile=None) -> int:
        """``profile``: optional (first, last, bytes) pieces covering the lifetime, for a
        buffer whose size changes; ``size`` is then their largest."""
        if size < 0 or first_use > last_use:
            raise ValueError(f"bad buffer {name!r}: size {size}, uses {first_use}..{last_use}")
        self.buffers.append(Buffer(len(self.buffers), int(size), int(first_use), int(last_use),
                                   name, tuple(profile) if profile else None))
        return len(self.buffers) - 1

    def orders(self) -> dict[str, list[Buffer]]:
        size = lambda b: align_up(b.size, self.alignment)  # noqa: E731
        life = lambda b: b.last_use - b.first_use + 1      # noqa: E731
        return {"size": sorted(self.buffers, key=lambda b: (-size(b), b.first_use, b.id)),
                "size_x_lifetime": sorted(self.buffers,
                                          key=lambda b: (-size(b) * life(b), b.first_use, b.id)),
                "first_use": sorted(self.buffers, key=lambda b: (b.first_use, -size(b), b.id))}

    def place(self, order: list[Buffer]) -> tuple[list[int], int]:
        offsets = [0] * len(self.buffers)
        placed: list[Buffer] = []
        for buf in order:
            offsets[buf.id] = self._lowest_fit(buf, placed, offsets)
            placed.append(buf)
        peak = max((offsets[b.id] + align_up(b.size, self.alignment) for b in self.buffers),
                   default=0)
        return offsets, peak

    def plan(self) -> Plan:
        best = None
        for name, order in self.orders().items():
            offsets, peak = self.place(order)
            if best is None or peak < best[2]:
                best = (name, offsets, peak)
        name, offsets, peak = best
        return Plan(list(self.buffers), offsets, peak, self.alignment, name)

    def _lowest_fit(self, buf: Buffer, placed: list[Buffer], offsets: list[int]) -> int:
        if buf.profile is None and all(p.profile is None for p in placed):
            size = align_up(buf.size, self.alignment)
            rivals = sorted((offsets[p.id], offsets[p.id] + align_up(p.size, self.alignment))
                            for p in placed if p.overlaps_in_time(buf))
            candidate = 0
            for start, end in rivals:
                if candidate + size <= start:
                    break
                candidate = max(candidate, end)
            return candidate
        return self._lowest_fit_pieces(buf, placed, offsets)

    def _lowest_fit_pieces(self, buf: Buffer, placed: list[Buffer], offsets: list[int]) -> int:
        """Lowest offset where no piece of ``buf`` meets, in time and address, a piece of a
        placed buffer. Each conflict is (their start, their end, our piece's size)."""
        a = self.alignment
        conflicts = [(offsets[p.id], offsets[p.id] + align_up(n2, a), align_up(n1, a))
                     for p in placed for lo1, hi1, n1 in buf.pieces()
                     for lo2, hi2, n2 in p.pieces() if lo1 <= hi2 and lo2 <= hi1]
        for candidate in sorted({0} | {end for _, end, _ in conflicts}):
            if all(candidate + n <= start or candidate >= end for start, end, n in conflicts):
                return candidate
        return 0


@dataclass
class TensorSlot:
    """Where one non-constant tensor lives: ``g_arena + offset``."""
    index: int
    name: str
    offset: int
    size: int
    first_op: int
    last_op: int
    alias_of: int | None = None     # tensor index whose bytes this tensor reuses


@dataclass
class MemoryPlan:
    slots: dict[int, TensorSlot]
    arena_bytes: int
    plan: Plan
    buffer_of: dict[int, int]       # tensor index -> planner buffer id
    extra: dict[str, TensorSlot] = field(default_factory=dict)   # named non-tensor buffers

    def peak_op(self) -> int:
        return self.plan.peak_op()

    def live_tensors(self, op_index: int) -> list[TensorSlot]:
        ids = {b.id for b in self.plan.live_at(op_index)}
        return [s for s in self.slots.values()
                if s.alias_of is None and self.buffer_of[s.index] in ids]


def tensor_lifetimes(graph, aliases: dict[int, int]) -> dict[int, tuple[int, int]]:
    """(first_use, last_use) op index of every non-constant tensor, graph inputs from op 0 and
    graph outputs to the last op (as TFLM keeps them); aliased tensors fold into their root."""
    last = max(len(graph.ops) - 1, 0)
    life: dict[int, list[int]] = {}

    def touch(t: int, i: int) -> None:
        t = root(t)
        lo_hi = life.setdefault(t, [i, i])
        lo_hi[0], lo_hi[1] = min(lo_hi[0], i), max(lo_hi[1], i)

    def root(t: int) -> int:
        while t in aliases:
            t = aliases[t]
        return t

    for t in graph.inputs:
        touch(t, 0)
    for op in graph.ops:
        for t in list(op.inputs) + list(op.outputs):
            if t >= 0 and not graph.tensor(t).is_const:
                touch(t, op.index)
    for t in graph.outputs:
        touch(t, last)
    return {t: (lo, hi) for t, (lo, hi) in life.items()}


def _group_profiles(graph, aliases: dict[int, int], spans=None
                    ) -> dict[int, list[tuple[int, int, int]]]:
    """Root tensor -> (first, last, bytes) pieces of its alias group, when its members differ
    in size: at each op the group needs its largest member live there (an in-place chain
    dw 18 KB -> pw 36 KB needs 36 KB only from the pw on). ``spans``: tensor -> ops a member
    is live over besides its uses (a row-by-row block's input, until its ADD)."""
    members: dict[int, list[int]] = {}
    for t in aliases:
        r = t
        while r in aliases:
            r = aliases[r]
        members.setdefault(r, [r]).append(t)
    own = tensor_lifetimes(graph, {})
    for t, (lo, hi) in (spans or {}).items():
        if t in own:
            own[t] = (min(own[t][0], lo), max(own[t][1], hi))
    out: dict[int, list[tuple[int, int, int]]] = {}
    for r, ts in members.items():
        sizes = {graph.tensor(t).nbytes for t in ts}
        if len(sizes) == 1:
            continue
        lo = min(own[t][0] for t in ts if t in own)
        hi = max(own[t][1] for t in ts if t in own)
        need = [max((graph.tensor(t).nbytes for t in ts if t in own
                     and own[t][0] <= i <= own[t][1]), default=0) for i in range(lo, hi + 1)]
        pieces: list[list[int]] = []
        for i, n in enumerate(need, start=lo):
            if pieces and pieces[-1][2] == n:
                pieces[-1][1] = i
            else:
                pieces.append([i, i, n])
        out[r] = [tuple(p) for p in pieces]
    return out


def plan_graph(graph, aliases: dict[int, int] | None = None,
               alignment: int = ALIGNMENT, exclude=frozenset(),
               extra: tuple[tuple[str, int, int, int], ...] = (),
               spans: dict[int, tuple[int, int]] | None = None) -> MemoryPlan:
    """Plan every non-constant tensor of ``graph``. ``aliases`` maps a tensor to the tensor
    whose bytes it reuses (RESHAPE output -> input); both get the same offset. ``exclude``:
    tensors that never exist whole (inside a patch stage, lower/patches.py); ``extra``:
    (name, bytes, first_op, last_op) buffers that are no tensor (the stage's patch
    buffers), returned in ``MemoryPlan.extra``; ``spans``: tensor -> ops its lifetime must
    cover besides its uses (a stage's input and output, live while the stage runs)."""
    aliases = dict(aliases or {})
    lifetimes = {t: v for t, v in tensor_lifetimes(graph, aliases).items() if t not in exclude}
    for t, (lo, hi) in (spans or {}).items():      # a stage reads/writes them over its span
        r = t
        while r in aliases:
            r = aliases[r]
        a, b = lifetimes[r]
        lifetimes[r] = (min(a, lo), max(b, hi))
    profiles = _group_profiles(graph, aliases, spans)
    planner = GreedyPlanner(alignment)
    buffer_of: dict[int, int] = {}
    for t, (lo, hi) in sorted(lifetimes.items()):
        tensor = graph.tensor(t)
        profile = profiles.get(t)
        size = max(n for _, _, n in profile) if profile else tensor.nbytes
        buffer_of[t] = planner.add_buffer(size, lo, hi, tensor.name, profile)
    extra_ids = {name: planner.add_buffer(n, lo, hi, name) for name, n, lo, hi in extra}
    plan = planner.plan()
    extra_slots = {name: TensorSlot(-1 - i, name, plan.offsets[bid], plan.buffers[bid].size,
                                    plan.buffers[bid].first_use, plan.buffers[bid].last_use)
                   for i, (name, bid) in enumerate(extra_ids.items())}
    slots: dict[int, TensorSlot] = {}
    for t, bid in buffer_of.items():
        b = plan.buffers[bid]
        slots[t] = TensorSlot(t, b.name, plan.offsets[bid], graph.tensor(t).nbytes, b.first_use,
                              b.last_use)
    for t in aliases:
        r = t
        while r in aliases:
            r = aliases[r]
        base = slots[r]
        buffer_of[t] = buffer_of[r]
        slots[t] = TensorSlot(t, graph.tensor(t).name, base.offset, graph.tensor(t).nbytes,
                              base.first_op, base.last_op, alias_of=r)
    return MemoryPlan(dict(sorted(slots.items())), plan.arena_bytes, plan, buffer_of,
                      extra_slots)
