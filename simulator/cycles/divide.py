"""Data-dependent SDIV/UDIV timing: the rule a core table names in ``[params] div_rule``.

A block's static cost charges a divide its row's fixed ``issue`` cycles. Cores whose divider
terminates early (Cortex-M4: "SDIV/UDIV 2 to 12 ... division operations use early
termination", TRM DDI0439 Table 3-1) take a number of cycles that depends on the operands, so
the machine hooks every divide (native: checks.c in the same hook as the divide-by-zero trap;
Python engine: :meth:`PyAccounting.time_divides`) and adds ``rule - static`` as it executes.

``"early_termination"``: cycles = div_min + ceil(q * (div_max - div_min) / 32), with
q = max(0, clz(|divisor|) - clz(|dividend|) + 1) the significant quotient bits, the operand
measure of the Cortex-R4 TRM divide timing (DDI0363G C.8: magnitudes of signed operands). A
zero divisor takes div_min (the R4 TRM gives a divide by zero its shortest latency). Arm does
not publish per-operand M4 counts; the table's comment says so. Mirror of ck_divide_cycles
in native/checks.c.
"""
from __future__ import annotations

from dataclasses import dataclass

from simulator.cycles.table import CoreTable
from simulator.errors import ConfigError

RULES = ("early_termination",)


@dataclass(frozen=True)
class DivideRule:
    div_min: int
    div_max: int
    static: int          # what the block's static cost already charged (the div row's issue)


def divide_rule(table: CoreTable) -> DivideRule | None:
    """The table's data-dependent divide rule, or None when divides cost their fixed row."""
    p = table.params
    name = p.get("div_rule")
    if name is None:
        return None
    if name not in RULES:
        raise ConfigError(f"timing table {table.name}.toml: unknown div_rule {name!r}; known: {', '.join(RULES)}")
    lo, hi = int(p["div_min"]), int(p["div_max"])
    if not 0 < lo <= hi:
        raise ConfigError(f"timing table {table.name}.toml: div_min {lo} / div_max {hi} out of order")
    return DivideRule(lo, hi, table.row("div").issue)


def _clz32(x: int) -> int:
    return 32 - x.bit_length()


def divide_cycles(n: int, d: int, signed: bool, rule: DivideRule) -> int:
    """Cycles of one divide of ``n`` by ``d`` (register values as unsigned 32-bit words)."""
    n &= 0xFFFFFFFF
    d &= 0xFFFFFFFF
    if d == 0:
        return rule.div_min
    if signed:
        n = (-n) & 0xFFFFFFFF if n & 0x80000000 else n
        d = (-d) & 0xFFFFFFFF if d & 0x80000000 else d
    q = max(0, _clz32(d) - _clz32(n) + 1)
    return rule.div_min + -(-q * (rule.div_max - rule.div_min) // 32)
