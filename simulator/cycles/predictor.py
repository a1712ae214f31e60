"""The Cortex-M7 branch predictor as modelled (m7.toml [params]); mirrored by predict() in
native/accounting.c, and the oracle the native engine is tested against.

What Arm publishes (Cortex-M7 TRM DDI0489F): the prefetch unit has "a Branch Target Address
Cache (BTAC) for single-cycle turn-around of branch predictor state and target address" and "a
static branch predictor when no BTAC is specified"; ACTLR.DISBTACREAD leaves "only static branch
prediction", ACTLR.DISBTACALLOC stops "new entries" being allocated. Not published: the BTAC's
size, organisation and replacement, its counters, and the static rule. Those are parameters
whose source says "assumption" (see docs/cycle-model.md):

* a BTAC of ``btac_entries`` in ``btac_ways``-way sets indexed by the branch address, LRU
  replacement; an entry is allocated on a branch's first taken execution (conditional,
  unconditional and indirect alike) with a 2-bit counter at weakly taken, and holds the last target;
  with ``btac_allocate_not_taken`` a not-taken execution allocates too (weakly not taken);
* a BTAC hit predicts taken (to the stored target) when the counter is >= 2;
* a miss falls back on the static predictor: a direct unconditional branch (B, BL) is taken, its
  target computed at decode, costing ``static_taken_penalty``; a conditional branch is predicted
  taken when it goes backward (``static_backward_taken``) and not taken otherwise; an indirect
  branch cannot be predicted statically.
"""
from __future__ import annotations

from simulator.cycles.classify import KIND_COND, KIND_DIRECT

CORRECT, STATIC_TAKEN, MISPREDICT = 0, 1, 2


class Btac:
    def __init__(self, params: dict):
        self.ways = max(1, int(params.get("btac_ways", 1)))
        self.sets = max(1, int(params.get("btac_entries", 128)) // self.ways)
        self.static_taken_penalty = int(params.get("static_taken_penalty", 0))
        self.backward_taken = bool(params.get("static_backward_taken", False))
        self.predicted_taken = int(params.get("predicted_taken", 0))
        self.allocate_not_taken = bool(params.get("btac_allocate_not_taken", False))
        self.reset()

    def reset(self) -> None:
        self.entries = [[] for _ in range(self.sets)]   # per set: [pc, counter, target, last use]
        self.clock = 0
        self.mispredicts = 0

    def predict(self, kind: int, pc: int, static_target: int, taken: bool, target: int) -> int:
        """Outcome of one executed branch (CORRECT, STATIC_TAKEN or MISPREDICT); trains the table."""
        self.clock += 1
        ways = self.entries[(pc >> 1) % self.sets]
        entry = next((e for e in ways if e[0] == pc), None)
        if entry is not None:
            pred_taken = entry[1] >= 2
            correct = (pred_taken and entry[2] == target) if taken else not pred_taken
            outcome = CORRECT if correct else MISPREDICT
        else:
            outcome = self._static(kind, pc, static_target, taken)
        if entry is not None:
            entry[3] = self.clock
            if taken:
                entry[1], entry[2] = min(entry[1] + 1, 3), target
            elif entry[1] > 0:
                entry[1] -= 1
        elif taken or self.allocate_not_taken:
            if len(ways) >= self.ways:
                ways.remove(min(ways, key=lambda e: e[3]))
            ways.append([pc, 2, target, self.clock] if taken else [pc, 1, static_target, self.clock])
        if outcome == MISPREDICT:
            self.mispredicts += 1
        return outcome

    def _static(self, kind: int, pc: int, static_target: int, taken: bool) -> int:
        if kind == KIND_DIRECT:
            return STATIC_TAKEN
        if kind == KIND_COND:
            guess = self.backward_taken and 0 < static_target <= pc
            if guess == taken:
                return STATIC_TAKEN if taken else CORRECT
        return MISPREDICT

    def penalty(self, outcome: int, taken: bool, mispredict_pen: int) -> int:
        if outcome == MISPREDICT:
            return mispredict_pen
        if outcome == STATIC_TAKEN:
            return self.static_taken_penalty
        return self.predicted_taken if taken else 0
