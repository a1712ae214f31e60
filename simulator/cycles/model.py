"""Static cost of one translated block: its instructions scheduled on a core's table.

A block is what Unicorn translates at once: straight-line code ending at a branch (or at
a size limit). Everything that depends only on the block's own instructions is computed
here once: issue cycles, result-latency stalls, M4 load pipelining, M7 dual issue, fetch
wait states. What depends on execution (branch taken or not, M7 prediction, data wait
states) is added per execution by the engine (native/accounting.c or ``PyAccounting``).
Each block is scheduled on an empty pipeline (a straight-line run that unicorn cut into two
blocks is scheduled whole: engine._split_block_cost); what the previous block leaves in the
pipeline (latencies in flight, the M7 pairing of a branch with the next block's first
instruction) is an edge correction, computed once per (previous, next) block pair by
:func:`edge_correction` and added per execution by the engine.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from simulator.cycles.classify import FLAGS, KIND_COND, KIND_NONE, Insn
from simulator.cycles.table import CoreTable
from simulator.cycles.regions import Regions


@dataclass
class BlockCost:
    address: int
    size: int
    ninsn: int
    cycles: int                  # static cycles, fetch wait states included
    prefix: list = field(default_factory=list)   # cycles before instruction k issues
    addresses: list = field(default_factory=list)
    kind: int = KIND_NONE        # how the last instruction changes the PC
    branch_pc: int = 0
    taken_pen: int = 0           # extra cycles if the last instruction branched (static-prediction cores)
    nottaken_pen: int = 0        # extra cycles if it fell through (may be negative: M33 folding)
    entry_pen: int = 0           # extra cycles when this block is entered by a taken branch (M4 target alignment)
    mispredict_pen: int = 0      # M7: cycles lost when the predictor was wrong about the last branch
    branch_target: int = 0       # a direct branch's target (0: indirect or none)
    run: list = field(default_factory=list, repr=False)   # instructions scheduled with it (edge corrections)

    @property
    def fallthrough(self) -> int:
        return self.address + self.size


def block_cost(insns: list[Insn], table: CoreTable, regions: Regions, address: int, size: int) -> BlockCost:
    sched = schedule(insns, table)
    starts, total, flag_cycle = sched.starts, sched.total, sched.flag_cycle
    fetch_bytes = int(table.params.get("fetch_bytes", 4))
    fetch_wait = regions.fetch_wait(address)
    prefix = [s + fetch_wait * _lines(address, ins.address + 1, fetch_bytes) for s, ins in zip(starts, insns)]
    total += fetch_wait * _lines(address, address + size, fetch_bytes)
    cost = BlockCost(address, size, len(insns), total, prefix, [i.address for i in insns])
    cost.run = insns
    if not insns:
        return cost
    last, p = insns[-1], table.params
    cost.kind, cost.branch_pc = last.kind, last.address
    cost.branch_target = last.target or 0
    if last.kind != KIND_NONE:
        cost.taken_pen = table.row(last.cls).taken
        if last.size == 2 and last.cls == "branch" and _narrow_pair(insns, sched.joined):
            # M33 (PIPE cortex_m33.md): a 16-bit branch dual issues with the 16-bit instruction
            # before it: not taken it costs nothing, taken one cycle (instead of 2) if that
            # instruction sets no flags.
            if last.kind == KIND_COND:
                cost.nottaken_pen = int(p.get("narrow_not_taken", 0))
            if not insns[-2].sets_flags:
                cost.taken_pen += int(p.get("narrow_taken_pair", 0))
        if p.get("branch_model") == "btac":
            early = flag_cycle is None or starts[-1] - flag_cycle >= int(p["early_flags_distance"])
            cost.mispredict_pen = int(p["mispredict_early_flags"] if early else p["mispredict"])
    if insns[0].size == 4 and address % 4 == 2:
        cost.entry_pen = int(p.get("unaligned_wide_target", 0))
    return cost


def edge_correction(prev: list[Insn], cur: list[Insn], table: CoreTable, taken: bool) -> int:
    """Cycles to add when ``cur`` runs right after ``prev`` (which ended in a branch) and the
    branch was handled without a pipeline flush (static cores: always; M7: predicted right).

    Both blocks are charged as if each started on an empty pipeline; scheduled together, the
    latencies still in flight at the end of ``prev`` can stall ``cur``, and on the M7 the branch
    can pair with ``cur``'s first instruction (PIPE cortex_m7.md: "Predicted (any direction and
    length) taken branch is capable of dual issuing with one instruction at destination address";
    "not-taken branch can dual issue with following instruction"). On a single-issue core a taken
    branch's refill (its row's ``taken``, charged separately) separates the two."""
    if not prev or not cur:
        return 0
    gap = table.row(prev[-1].cls).taken if taken and table.issue_width == 1 else 0
    split = taken and not _narrow_before(prev, int(table.params.get("taken_pair_narrow_before", 0)))
    both = schedule(prev + cur, table, gap_at=len(prev), gap=gap, split=split).total
    return both - gap - schedule(prev, table).total - schedule(cur, table).total


def _narrow_before(prev: list[Insn], n: int) -> bool:
    """The ``n`` instructions before the branch ending ``prev`` are 16-bit (M7, PIPE branching: a
    predicted taken branch pairs with its target's first instruction only after 'at least 2 `.n`
    instructions executed prior to branch'). Instructions of an earlier block are not seen: a
    branch with fewer than ``n`` before it in its block does not pair."""
    return len(prev) > n and all(i.size == 2 for i in prev[-1 - n:-1])


def _narrow_pair(insns: list[Insn], joined: set) -> bool:
    """The block's last instruction follows a 16-bit instruction of the same block that did not
    itself issue as the younger of a pair (PIPE cortex_m33.md: 'only two 16 bit (.n) instructions
    can dual issue')."""
    return len(insns) >= 2 and insns[-2].size == 2 and len(insns) - 2 not in joined


def _lines(start: int, end: int, width: int) -> int:
    """Fetch-width chunks touched by the bytes [start, end)."""
    return 0 if end <= start else (end - 1) // width - start // width + 1


def _issue_cycles(row, ins: Insn) -> int:
    if row.flags_issue is not None and ins.sets_flags:
        return row.flags_issue
    if row.per_reg:
        return max(1, row.issue + math.ceil(row.per_reg * ins.nregs))
    return row.issue


@dataclass
class Schedule:
    starts: list
    total: int
    flag_cycle: int | None
    joined: set = field(default_factory=set)   # single issue: indices that cost nothing, paired with the one before


@dataclass
class _Ready:
    """When a register's new value can be read, and facts about its producer."""
    at: int
    from_load: bool = False
    addr_at: int | None = None     # when the address unit can read it, if later than ``at`` (M7 rev)


def schedule(insns: list[Insn], table: CoreTable, gap_at: int = -1, gap: int = 0, split: bool = False) -> Schedule:
    """Issue cycle of each instruction, the cycles until the pipeline is free, and the cycle the
    flags were last set. ``gap`` idle cycles are inserted before instruction ``gap_at``; with
    ``split`` (dual issue) that instruction starts a new cycle."""
    if table.issue_width == 2:
        return _schedule_dual(insns, table, gap_at, gap, split)
    return _schedule_single(insns, table, gap_at, gap)


def _dependency_ready(ins: Insn, row, ready: dict) -> int:
    need = 0
    for reg in ins.reads:
        r = ready.get(reg)
        if r is None:                  # produced before this schedule: ready
            continue
        at = r.at
        if reg in ins.addr_regs:
            at = (r.at if r.addr_at is None else r.addr_at) + row.agu_early
        if reg in ins.acc_regs and row.acc_late:
            late = row.acc_late_load if r.from_load and row.acc_late_load is not None else row.acc_late
            at -= late
        else:
            if row.data_late and reg not in ins.addr_regs:
                at -= row.data_late
            if r.from_load:
                at += row.load_use_extra
        need = max(need, at)
    return need


def _write_results(ins: Insn, ready: dict, start: int, at: int, flags_at: int, p: dict,
                   addr_at: int | None = None) -> None:
    """Record when each written register is readable: ``at`` (the row's latency; ``addr_at`` by
    the address unit when later), the address unit's (``base_writeback_latency`` after ``start``)
    for a written-back base register, and ``flags_at`` for the flags (PIPE m7: early-ALU flags
    are not forwarded early)."""
    wb_latency = p.get("base_writeback_latency")
    loaded = ins.is_load or ins.cls in ("load_dual", "ldm")
    for reg in ins.writes:
        if reg in ins.wb_regs and wb_latency is not None:
            ready[reg] = _Ready(start + int(wb_latency))
        elif reg == FLAGS:
            ready[reg] = _Ready(flags_at)
        else:
            ready[reg] = _Ready(at, loaded and reg not in ins.wb_regs, addr_at)


def _schedule_single(insns: list[Insn], table: CoreTable, gap_at: int = -1, gap: int = 0) -> Schedule:
    """In-order single issue (M0+, M4, M33): start = max(pipeline free, operands ready)."""
    p = table.params
    t, ready, starts, prev, flag_cycle = 0, {}, [], None, None
    fp_free, joined = 0, set()
    for k, ins in enumerate(insns):
        if k == gap_at and gap:
            # a taken branch's refill: the rules about the immediately preceding instruction
            # (M4 AGU stall, load pipelining, store then load) need a continuous pipeline
            t, prev = t + gap, None
        row = table.row(ins.cls)
        issue = full_issue = _issue_cycles(row, ins)
        start = max(t, _dependency_ready(ins, row, ready))
        if ins.cls.startswith("fp_"):
            start = max(start, fp_free)
        if prev is not None and (ins.is_load or ins.is_store or ins.cls in ("load_dual", "store_dual")):
            start, issue = _m4_load_store(prev, ins, start, issue, p)
        if prev is not None and prev.is_store and p.get("store_then_load") and (
                ins.is_load or ins.cls in ("ldm", "load_dual", "ldm_pc")):
            start += int(p["store_then_load"])
        if prev is not None and k - 1 not in joined and _nop_free(prev, ins, p):
            issue = 0
            joined.add(k)
        starts.append(start)
        t = start + issue
        extra = max(0, row.result_latency() - full_issue)
        _write_results(ins, ready, start, t + extra, t + extra, p)
        if row.blocks_fp:
            fp_free = t + row.blocks_fp
        if ins.sets_flags:
            flag_cycle = start
        prev = ins
    return Schedule(starts, t, flag_cycle, joined)


def _nop_free(prev: Insn, ins: Insn, p: dict) -> bool:
    """A NOP that costs nothing after ``prev`` (``nop_free_after`` classes): M4, it runs in a
    load's or register-offset store's second cycle (PIPE cortex_m3m4.md: they 'can eat following
    nop'); M33, a 16-bit NOP dual issues with a 16-bit arithmetic or load/store instruction
    (PIPE cortex_m33.md, ``nop_free_narrow_only``)."""
    if ins.cls != "nop" or prev.cls not in p.get("nop_free_after", ()):
        return False
    return not p.get("nop_free_narrow_only") or (ins.size == 2 and prev.size == 2)


def _m4_load_store(prev: Insn, ins: Insn, start: int, issue: int, p: dict):
    """Cortex-M4 TRM 3.3.2 load/store rules (see m4.toml [params])."""
    depends = bool(prev.writes & ins.addr_regs)
    if p.get("agu_stall") and depends and not prev.is_load:
        start += int(p["agu_stall"])
    # TRM 3.3.2: the next LDR or STR after an LDR that does not need its result for the address
    # has one cycle removed: a pipelined load (N+1), or an immediate-offset store whose address
    # phase overlaps the load's data phase (PIPE cortex_m3m4.md: LDR; STR imm = 2 cycles).
    if p.get("load_pipelining") and prev.is_load and prev.cls != "load_pc" and not depends \
            and ins.cls not in ("load_dual", "store_dual") and (issue > 1 or ins.cls == "store"):
        start -= 1
    return start, issue


def _schedule_dual(insns: list[Insn], table: CoreTable, gap_at: int = -1, gap: int = 0,
                   split: bool = False) -> Schedule:
    """In-order dual issue (M7): an instruction joins the current cycle as the younger op when
    neither op is single-issue, it is not slot-0-only, the pair is allowed, and its operands are ready."""
    p = table.params
    cycle, group, ready, starts, flag_cycle = 0, [], {}, [], None
    store_drain = 0                     # when the store buffer has drained the queued narrow stores
    lock = 0                            # no new cycle before this (a VDIV/VSQRT still running)
    for k, ins in enumerate(insns):
        if k == gap_at and (gap or split):
            cycle, group = max(cycle + (1 if group else 0), lock) + gap, []
        row = table.row(ins.cls)
        issue = _issue_cycles(row, ins)
        need = _dependency_ready(ins, row, ready)
        if ins.is_store and ins.name in _NARROW_STORES and p.get("narrow_store_cycles"):
            need = max(need, store_drain - int(p["narrow_store_cycles"]) * (int(p["store_buffer_depth"]) - 1))
        if len(group) == 1 and _can_pair(group[0], table, ins, row, issue) and need <= cycle:
            start = cycle
            group.append(ins)
        else:
            start = max(cycle + (1 if group else 0), lock, need)
            cycle, group = start, [ins]
        if row.pairs_first_cycle and issue > 1:
            lock = start + issue                  # takes one younger op into its first cycle, then locks
        elif row.single or issue > 1:
            cycle, group = start + issue, []
        starts.append(start)
        latency, addr_at = _early_alu(ins, row, group, p, start)
        _write_results(ins, ready, start, start + latency, start + row.result_latency(), p, addr_at)
        if ins.is_store and ins.name in _NARROW_STORES and p.get("narrow_store_cycles"):
            store_drain = max(store_drain, start) + int(p["narrow_store_cycles"])
        if ins.sets_flags:
            flag_cycle = start
    total = max(cycle + (1 if group else 0), lock)
    return Schedule(starts, total, flag_cycle)


def _early_alu(ins: Insn, row, group: list, p: dict, start: int):
    """Result latency of an M7 instruction, and when the address unit can read the result if that
    is later (PIPE cortex_m7.md overall). In the early ALU (``early_alu_latency``): add/sub/mov as
    the older op of its cycle; a simple shift as the older op, or as the younger one unless the
    older uses the early ALU's shifter (``shifter_users``); rev/rbit as the older op, whose result
    the late ALU gets in the same cycle but the address unit only at its normal latency."""
    latency = row.result_latency()
    early_latency = p.get("early_alu_latency")
    if early_latency is None or not ins.early or not group:
        return latency, None
    older = group[0] is ins
    if ins.early == "shift" and not older and group[0].cls not in p.get("shifter_users", ()):
        older = True                          # the younger shift runs in the early ALU too
    if not older:
        return latency, None
    return int(early_latency), (start + latency if ins.early == "rev" else None)


_NARROW_STORES = {"strb", "strh", "strbt", "strht"}
_LOADS = ("load", "load_narrow", "fp_load")


def _can_pair(first: Insn, table: CoreTable, second: Insn, row, issue: int) -> bool:
    frow = table.row(first.cls)
    if frow.single or row.single or row.slot0 or issue > 1:
        return False
    if _issue_cycles(frow, first) > 1 and not frow.pairs_first_cycle:
        return False
    if second.cls in frow.nopair or first.cls in row.nopair:
        return False
    p = table.params
    # Two writes of one register in one cycle; a younger op that also reads it (MOVW; MOVT)
    # is a forwarding chain instead (PIPE: "movw + movt pair can dual issue with mutual dependency").
    if not p.get("pair_same_destination", True) and (first.writes & second.writes) - {FLAGS} - second.reads:
        return False
    if first.cls in _LOADS and second.cls in _LOADS and p.get("load_banks"):
        return not _same_bank(first, second, bool(p.get("bank_conflict_unknown")))
    return True


def _same_bank(a: Insn, b: Insn, unknown: bool) -> bool:
    """PIPE cortex_m7.md loads: two loads pair only when they target different banks (even and
    odd words: address bit 2). Decidable when both use the same base (and index) register: the
    displacements' word numbers differ by an odd number (literals carry their absolute address,
    base 0). Otherwise ``unknown`` is the answer."""
    if not a.mem or not b.mem or a.mem[:2] != b.mem[:2] or a.mem[0] in a.wb_regs:
        return unknown
    return ((a.mem[2] >> 2) - (b.mem[2] >> 2)) % 2 == 0
