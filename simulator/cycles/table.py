"""Per-core timing tables (``tables/<core>.toml``) as plain data.

Which table a core uses, and the spellings of its name, are the core's row in
simulator/boards/cores.toml (``timing_table``, ``aliases``)."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from simulator.boards.cores import get_core, timed_cores
from simulator.errors import ConfigError

TABLE_DIR = Path(__file__).with_name("tables")


@dataclass(frozen=True)
class Row:
    """One instruction class: see the key legend at the top of each table file."""
    issue: int = 1
    latency: int | None = None
    per_reg: float = 0.0
    taken: int = 0
    single: bool = False
    slot0: bool = False
    nopair: frozenset = frozenset()
    agu_early: int = 0
    acc_late: int = 0
    data_late: int = 0
    load_use_extra: int = 0
    acc_late_load: int | None = None   # acc_late for an accumulator a load produced (None: acc_late)
    flags_issue: int | None = None     # issue cycles when the instruction sets the flags (None: issue)
    pairs_first_cycle: bool = False    # M7: of more than one issue cycle, yet takes a younger op into its first
    blocks_fp: int = 0                 # cycles after its issue cycles in which no FP instruction may issue
    source: str = ""

    def result_latency(self) -> int:
        return self.issue if self.latency is None else self.latency


@dataclass
class CoreTable:
    name: str
    core: str
    issue_width: int
    params: dict
    rows: dict = field(default_factory=dict)
    missing: set = field(default_factory=set)

    def row(self, cls: str) -> Row:
        """The class's row. A class the core does not implement (SDIV or SMLAD on a Cortex-M0+)
        has no row: it is charged one cycle and recorded in ``missing``. Such an instruction
        faults when it executes, so the charge never reaches a result; if it ever does, the
        result names the class (see ``RunResult.untimed``)."""
        try:
            return self.rows[cls]
        except KeyError:
            self.missing.add(cls)
            return _MISSING_ROW


_MISSING_ROW = Row(issue=1, source="no row: instruction class not implemented by this core")


def canonical_core(core: str) -> str:
    """The timing table's name for a core name or alias; NoTimingTable for a core without one
    (Cortex-M0, M3: cores.toml says why)."""
    try:
        known = get_core(core)
    except ConfigError:
        raise ConfigError(f"no timing table for core {core!r}; known: {', '.join(sorted(timed_cores()))}") from None
    return known.require_timing_table()


def load_table(core: str, options: tuple[str, ...] = ()) -> CoreTable:
    """Load ``tables/<core>.toml``; ``options`` apply its ``[options.<name>]`` row overrides."""
    name = canonical_core(core)
    data = tomllib.loads((TABLE_DIR / f"{name}.toml").read_text())
    rows = {cls: _row(cls, spec, name) for cls, spec in data["classes"].items()}
    for opt in options:
        override = data.get("options", {}).get(opt)
        if override is None:
            raise ConfigError(f"timing table {name}.toml has no option {opt!r}")
        rows.update({cls: _row(cls, spec, name) for cls, spec in override.items()})
    return CoreTable(name, data["core"], int(data.get("issue_width", 1)), dict(data.get("params", {})), rows)


def _row(cls: str, spec: dict, table: str) -> Row:
    if not spec.get("source"):
        raise ConfigError(f"timing table {table}.toml: row {cls!r} has no source")
    spec = dict(spec)
    spec["nopair"] = frozenset(spec.get("nopair", ()))
    return Row(**spec)
