"""The validation suite: sequences measured on silicon, replayed under the cycle model.

    for r in run_suite("m7"):
        print(r.core, r.name, r.published, r.measured, r.residual, r.within)

Each table ``simulator/cycles/validation/<core>.toml`` holds a ``[loop]`` section (how the
core's measurement loop is built) and ``[[sequence]]`` entries: the loop body as the study
measured it, optional setup, the PUBLISHED cycles per loop iteration with the derivation from the
source's statement, the source, and ``known_deviation`` when mcusim cannot match it.

Every sequence runs as firmware that times itself, as the studies did: DEMCR.TRCENA and
DWT_CTRL.CYCCNTENA are set and CYCCNT read before and after the loop (the M0+ has no CYCCNT:
SysTick counting down from 0xFFFFFF, as jnk0le's cortex_m0 study measured). The readings are
stored in SRAM, so the body may use every register but the loop counter. The loop runs at two
iteration counts and the difference is divided by the difference of the counts, so set-up, the
first (unpredicted) iteration and the exit cancel.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources

from simulator.boards.cores import timed_cores
from simulator.cycles.table import canonical_core
from simulator.errors import CompileError, ConfigError, SimulationError

_REPORT_ORDER = ("m7", "m4", "m0plus", "m33")   # the order of the published tables; a new core goes last
# every core with a timing table (simulator/boards/cores.toml) has its validation sequences here
CORES = tuple(sorted(timed_cores(), key=lambda c: (_REPORT_ORDER + (c,)).index(c)))
ITERATIONS = (8, 40)
TOLERANCE = 1.0                    # cycles per iteration, unless an entry gives its own
BUDGET_BASE, BUDGET_PER_ITERATION = 10_000, 2_000   # instructions: a runaway loop is an error
SRAM = 0x20000000
SLOTS = SRAM + 0x3E000             # where the two timer readings are stored
TIMERS = {
    # name: (enable sequence, register read, counts down). DEMCR.TRCENA, DWT_LAR unlock (needed on
    # the M7, jnk0le cortex_m7.md), DWT_CTRL.CYCCNTENA; SysTick: reload 0xFFFFFF, core clock, enabled.
    "dwt": ("""
    ldr r0, =0xE000EDFC
    ldr r1, =0x01000000
    str r1, [r0]
    ldr r0, =0xE0001FB0
    ldr r1, =0xC5ACCE55
    str r1, [r0]
    ldr r0, =0xE0001000
    movs r1, #1
    str r1, [r0]
""", 0xE0001004, False),
    "systick": ("""
    ldr r0, =0xE000E010
    ldr r1, =0x00FFFFFF
    str r1, [r0, #4]
    movs r1, #0
    str r1, [r0, #8]
    movs r1, #5
    str r1, [r0]
""", 0xE000E018, True),
}
_REQUIRED = {"name": str, "asm": str, "cycles": (int, float), "source": str}


@dataclass(frozen=True)
class Loop:
    """How a core's measurement loop is built: the counter register, the timer, the tail."""
    core: str
    counter: str
    timer: str
    tail: str
    align: int
    source: str


@dataclass(frozen=True)
class Sequence:
    core: str
    name: str
    asm: str
    cycles: float                  # published, per loop iteration (body + loop tail)
    source: str
    derivation: str = ""
    setup: str = ""
    after: str = ""                # code placed after the timed region (call targets)
    own_tail: bool = False         # the body decrements the counter and branches itself
    tolerance: float = TOLERANCE
    known_deviation: str = ""


@dataclass(frozen=True)
class Result:
    core: str
    name: str
    published: float
    measured: float
    residual: float                # measured - published, cycles per iteration
    within: bool
    tolerance: float
    known_deviation: str
    source: str

    @property
    def error_pct(self) -> float:
        return 100.0 * self.residual / self.published if self.published else 0.0


# -- tables ---------------------------------------------------------------------------------
def table_text(core: str) -> tuple[str, str]:
    core = canonical_core(core)
    ref = resources.files("simulator.cycles").joinpath("validation", f"{core}.toml")
    return str(ref), ref.read_text()


def load_table(core: str) -> tuple[Loop, list[Sequence]]:
    """Parse one core's table; a malformed entry is a ConfigError naming the file and entry."""
    core = canonical_core(core)
    path, text = table_text(core)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: {err}") from None
    lp = data.get("loop") or {}
    missing = [k for k in ("counter", "timer", "tail", "source") if not lp.get(k)]
    if missing or lp.get("timer") not in TIMERS:
        raise ConfigError(f"{path}: [loop] needs counter, timer ({'/'.join(TIMERS)}), tail and source")
    loop = Loop(core, lp["counter"], lp["timer"], lp["tail"], int(lp.get("align", 8)), lp["source"])
    seqs, seen = [], set()
    for i, entry in enumerate(data.get("sequence", [])):
        where = f"{path}: sequence #{i + 1} ({entry.get('name', '?')})"
        for key, typ in _REQUIRED.items():
            if not isinstance(entry.get(key), typ) or (typ is str and not entry[key].strip()):
                raise ConfigError(f"{where}: '{key}' missing or not a {getattr(typ, '__name__', 'number')}")
        unknown = set(entry) - set(Sequence.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"{where}: unknown keys {sorted(unknown)}")
        if entry["name"] in seen:
            raise ConfigError(f"{where}: duplicate name")
        seen.add(entry["name"])
        seqs.append(Sequence(core=core, **entry))
    return loop, seqs


def load_all(cores=CORES) -> list[Sequence]:
    return [s for core in cores for s in load_table(core)[1]]


# -- firmware -------------------------------------------------------------------------------
def _read_timer(loop: Loop, slot: int) -> str:
    """Store the timer into ``slot`` with r0/r1 saved on the stack (the body owns every register)."""
    return f"""
    push {{r0, r1}}
    ldr r0, ={TIMERS[loop.timer][1]:#x}
    ldr r1, [r0]
    ldr r0, ={slot:#x}
    str r1, [r0]
    pop {{r0, r1}}
"""


def firmware_source(loop: Loop, seq: Sequence, iterations: int) -> str:
    tail = "" if seq.own_tail else loop.tail
    return f"""
{TIMERS[loop.timer][0]}
{seq.setup}
    ldr {loop.counter}, ={iterations}
{_read_timer(loop, SLOTS)}
    .balign {loop.align}
1:
{seq.asm}
{tail}
9:
{_read_timer(loop, SLOTS + 4)}
    bkpt #0
{seq.after}
    .ltorg
"""


def measure(seq: Sequence, loop: Loop | None = None, iterations=ITERATIONS, options=()) -> float:
    """Cycles per iteration of ``seq`` under the native accounting, as its DWT/SysTick sees them."""
    from simulator.cycles.testing import assemble, run_snippet
    loop = loop or load_table(seq.core)[0]
    where = f"validation sequence {seq.core}/{seq.name}"
    counts = []
    for n in iterations:
        try:
            code = assemble(firmware_source(loop, seq, n), seq.core)
        except CompileError as err:
            raise CompileError(f"{where}: {err.summary}", command=err.command, output=err.output) from None
        # a body that clobbers the loop counter would otherwise run for billions of iterations
        budget = BUDGET_BASE + BUDGET_PER_ITERATION * n
        acc, uc = run_snippet(code, seq.core, debug_registers=True, options=options, budget=budget)
        if acc.budget_exceeded:
            raise SimulationError(f"{where}: did not finish within {budget:,} instructions "
                                  f"(does the body write the loop counter {loop.counter}?)")
        start, end = (int.from_bytes(uc.mem_read(SLOTS + 4 * k, 4), "little") for k in (0, 1))
        down = TIMERS[loop.timer][2]
        counts.append(((start - end) & 0xFFFFFF) if down else ((end - start) & 0xFFFFFFFF))
    return (counts[1] - counts[0]) / (iterations[1] - iterations[0])


def run_sequence(seq: Sequence, loop: Loop | None = None) -> Result:
    measured = measure(seq, loop)
    residual = measured - seq.cycles
    return Result(seq.core, seq.name, seq.cycles, measured, residual, abs(residual) <= seq.tolerance,
                  seq.tolerance, seq.known_deviation, seq.source)


def run_suite(core: str | None = None) -> list[Result]:
    out = []
    for c in ([canonical_core(core)] if core else CORES):
        loop, seqs = load_table(c)
        out.extend(run_sequence(s, loop) for s in seqs)
    return out


@dataclass(frozen=True)
class Summary:
    core: str
    count: int
    within: int
    worst_residual: float
    mean_abs_error_pct: float


def summarize(results: list[Result]) -> list[Summary]:
    out = []
    for core in dict.fromkeys(r.core for r in results):
        rs = [r for r in results if r.core == core]
        worst = max(rs, key=lambda r: abs(r.residual)).residual
        mape = sum(abs(r.error_pct) for r in rs) / len(rs)
        out.append(Summary(core, len(rs), sum(r.within for r in rs), worst, mape))
    return out


# -- the documented deviations (docs/cycle-model.md) ----------------------------------------
DOC_HEADING = "## Validation: sequences mcusim does not match"


def documented_deviations(markdown: str) -> dict[tuple[str, str], str]:
    """``{(core, name): reason}`` from the table under :data:`DOC_HEADING`."""
    if DOC_HEADING not in markdown:
        return {}
    section = markdown.split(DOC_HEADING, 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        line = line.strip()
        if not (line.startswith("|") and line.endswith("|")):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line[1:-1])]   # "\|" is a pipe inside a cell
        if len(cells) != 3 or cells[0] == "core" or set(cells[0]) <= {"-", ""}:
            continue
        core, name, reason = cells
        rows[(core, name.strip("`"))] = reason.replace("\\|", "|")
    return rows


def deviation_table(seqs: list[Sequence]) -> str:
    """The Markdown table docs/cycle-model.md carries, generated from the tables."""
    lines = ["| core | sequence | what silicon does that is not modelled |", "|---|---|---|"]
    for s in seqs:
        if s.known_deviation:
            lines.append(f"| {s.core} | `{s.name}` | {s.known_deviation.replace('|', chr(92) + '|')} |")
    return "\n".join(lines)
