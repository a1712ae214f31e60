"""Static cost of one translated block: its instructions scheduled on a core's table.

A block is what Unicorn translates at once: straight-line code ending at a branch (or at
a size limit). Everything that depends only on the block's own instructions is computed
here once: issue cycles, result-latency stalls, M4 load pipelining, M7 dual issue, fetch
wait states. What depends on execution (branch taken or not, M7 prediction, data wait
states) is added per execution by the engine (native/accounting.c or ``PyAccounting``).
Pipeline state does not carry across basic blocks: each starts on an empty pipeline (a
straight-line run that unicorn cut into two blocks is scheduled whole: engine._split_block_cost).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from simulator.cycles.classify import KIND_COND, KIND_NONE, Insn
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

    @property
    def fallthrough(self) -> int:
        return self.address + self.size


def block_cost(insns: list[Insn], table: CoreTable, regions: Regions, address: int, size: int) -> BlockCost:
    if table.issue_width == 2:
        starts, total, flag_cycle = _schedule_dual(insns, table)
    else:
        starts, total, flag_cycle = _schedule_single(insns, table)
    fetch_bytes = int(table.params.get("fetch_bytes", 4))
    fetch_wait = regions.fetch_wait(address)
    prefix = [s + fetch_wait * _lines(address, ins.address + 1, fetch_bytes) for s, ins in zip(starts, insns)]
    total += fetch_wait * _lines(address, address + size, fetch_bytes)
    cost = BlockCost(address, size, len(insns), total, prefix, [i.address for i in insns])
    if not insns:
        return cost
    last, p = insns[-1], table.params
    cost.kind, cost.branch_pc = last.kind, last.address
    if last.kind != KIND_NONE:
        cost.taken_pen = table.row(last.cls).taken
        if last.kind == KIND_COND and last.size == 2 and last.cls == "branch":
            cost.nottaken_pen = int(p.get("narrow_not_taken", 0))
        if p.get("branch_model") == "btac":
            early = flag_cycle is None or starts[-1] - flag_cycle >= int(p["early_flags_distance"])
            cost.mispredict_pen = int(p["mispredict_early_flags"] if early else p["mispredict"])
    if insns[0].size == 4 and address % 4 == 2:
        cost.entry_pen = int(p.get("unaligned_wide_target", 0))
    return cost


def _lines(start: int, end: int, width: int) -> int:
    """Fetch-width chunks touched by the bytes [start, end)."""
    return 0 if end <= start else (end - 1) // width - start // width + 1


def _issue_cycles(row, ins: Insn) -> int:
    if row.per_reg:
        return max(1, row.issue + math.ceil(row.per_reg * ins.nregs))
    return row.issue


def _dependency_ready(ins: Insn, row, ready: dict) -> int:
    need = 0
    for reg in ins.reads:
        if reg not in ready:           # produced before this block: ready
            continue
        at = ready[reg]
        if reg in ins.addr_regs:
            at += row.agu_early
        if reg in ins.acc_regs:
            at -= row.acc_late
        elif row.data_late and reg not in ins.addr_regs:
            at -= row.data_late
        need = max(need, at)
    return need


def _schedule_single(insns: list[Insn], table: CoreTable):
    """In-order single issue (M0+, M4, M33): start = max(pipeline free, operands ready)."""
    p = table.params
    t, ready, starts, prev, flag_cycle = 0, {}, [], None, None
    for ins in insns:
        row = table.row(ins.cls)
        issue = full_issue = _issue_cycles(row, ins)
        start = max(t, _dependency_ready(ins, row, ready))
        if prev is not None and (ins.is_load or ins.is_store or ins.cls in ("load_dual", "store_dual")):
            start, issue = _m4_load_store(prev, ins, start, issue, p)
        if prev is not None and prev.is_store and p.get("store_then_load") and (
                ins.is_load or ins.cls in ("ldm", "load_dual", "ldm_pc")):
            start += int(p["store_then_load"])
        starts.append(start)
        t = start + issue
        extra = max(0, row.result_latency() - full_issue)
        for reg in ins.writes:
            ready[reg] = t + extra
        if ins.sets_flags:
            flag_cycle = start
        prev = ins
    return starts, t, flag_cycle


def _m4_load_store(prev: Insn, ins: Insn, start: int, issue: int, p: dict):
    """Cortex-M4 TRM 3.3.2 load/store rules (see m4.toml [params])."""
    depends = bool(prev.writes & ins.addr_regs)
    if p.get("agu_stall") and depends and not prev.is_load:
        start += int(p["agu_stall"])
    if p.get("load_pipelining") and prev.is_load and prev.cls != "load_pc" and not depends \
            and ins.cls not in ("load_dual", "store_dual") and issue > 1:
        start -= 1              # its address phase overlaps the previous load's data phase
    return start, issue


def _schedule_dual(insns: list[Insn], table: CoreTable):
    """In-order dual issue (M7): an instruction joins the current cycle as the younger op when
    neither op is single-issue, it is not slot-0-only, the pair is allowed, and its operands are ready."""
    cycle, group, ready, starts, flag_cycle = 0, [], {}, [], None
    for ins in insns:
        row = table.row(ins.cls)
        issue = _issue_cycles(row, ins)
        need = _dependency_ready(ins, row, ready)
        if len(group) == 1 and _can_pair(group[0], table, ins, row, issue) and need <= cycle:
            start = cycle
            group.append(ins)
        else:
            start = max(cycle + (1 if group else 0), need)
            cycle, group = start, [ins]
        if row.single or issue > 1:
            cycle, group = start + issue, []
        starts.append(start)
        for reg in ins.writes:
            ready[reg] = start + row.result_latency()
        if ins.sets_flags:
            flag_cycle = start
    total = cycle + (1 if group else 0)
    return starts, total, flag_cycle


def _can_pair(first: Insn, table: CoreTable, second: Insn, row, issue: int) -> bool:
    frow = table.row(first.cls)
    if frow.single or row.single or row.slot0 or issue > 1 or _issue_cycles(frow, first) > 1:
        return False
    if second.cls in frow.nopair or first.cls in row.nopair:
        return False
    return True
