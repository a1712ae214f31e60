"""A board's memory system as data: caches, line-fill costs, unaligned-access penalties.

Read from the ``[memory]`` table of a board file (see ``stm32h743.toml``)::

    [memory]
    startup = "what the realistic model assumes enabled at run time, and why"
    [[memory.caches]]             # one per cache; "serves" instruction, data or both (unified)
    name = "dcache"; serves = ["data"]; size = "16K"; ways = 4; line = 32
    replacement = "lru"; write_policy = "write-back"; write_allocate = true
    regions = ["flash", "axi_sram"]; source = "..."
    [[memory.fills]]              # CPU cycles the core stalls for one line fill from a region
    region = "flash"; cycles = 10; source = "..."
    [memory.unaligned]            # extra cycles: [halfword, word at +2, word at +1/+3]
    load = [1, 1, 2]; store = [1, 1, 2]; source = "..."

Anything impossible (a zero-way cache, a line that is not a power of two, a cache larger than
the memory it serves, a region the board does not have) is a :class:`BoardError` at load.
Kept apart from ``__init__.py`` on purpose: the loader there only calls :func:`parse_memory`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import BoardError
from ..sizes import parse_size

SERVES = ("instruction", "data")
REPLACEMENT = ("lru",)
WRITE_POLICIES = ("read-only", "write-back", "write-through")


@dataclass(frozen=True)
class Cache:
    name: str
    serves: tuple[str, ...]
    size: int
    ways: int
    line: int
    replacement: str
    write_policy: str
    write_allocate: bool
    regions: tuple[str, ...]
    source: str

    @property
    def sets(self) -> int:
        return self.size // (self.ways * self.line)

    def to_dict(self) -> dict:
        return {"name": self.name, "serves": list(self.serves), "size": self.size, "ways": self.ways,
                "line": self.line, "replacement": self.replacement, "write_policy": self.write_policy,
                "write_allocate": self.write_allocate, "regions": list(self.regions)}


@dataclass(frozen=True)
class MemorySystem:
    caches: tuple[Cache, ...] = ()
    fills: dict = field(default_factory=dict)            # region -> CPU cycles per line fill
    unaligned_load: tuple[int, int, int] = (0, 0, 0)
    unaligned_store: tuple[int, int, int] = (0, 0, 0)
    startup: str = ""
    sources: dict = field(default_factory=dict)          # "fill:<region>", "unaligned" -> source

    def cache_for(self, region: str, kind: str) -> Cache | None:
        """The cache that serves ``kind`` ("instruction"/"data") accesses to ``region``, if any."""
        return next((c for c in self.caches if kind in c.serves and region in c.regions), None)

    @property
    def has_unaligned_penalty(self) -> bool:
        return any(self.unaligned_load) or any(self.unaligned_store)


def _power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def _cache(where: str, d: dict, regions: dict) -> Cache:
    name = str(d.get("name", "cache"))
    at = f"{where}: cache '{name}'"
    serves = tuple(d["serves"])
    if not serves or any(s not in SERVES for s in serves):
        raise BoardError(f"{at}: serves must list {' and/or '.join(SERVES)}, got {list(serves)}")
    size = parse_size(d["size"], what=f"{at} size")
    ways, line = int(d["ways"]), int(d["line"])
    if ways < 1:
        raise BoardError(f"{at}: {ways} ways; a cache needs at least one")
    if not _power_of_two(line) or line < 4:
        raise BoardError(f"{at}: line of {line} bytes is not a power of two >= 4")
    if size <= 0 or size % (ways * line) or not _power_of_two(size // (ways * line)):
        raise BoardError(f"{at}: {size} B is not a power-of-two number of sets of {ways} x {line} B")
    replacement = str(d.get("replacement", "lru"))
    if replacement not in REPLACEMENT:
        raise BoardError(f"{at}: replacement {replacement!r} is not modelled (known: {', '.join(REPLACEMENT)})")
    policy = str(d.get("write_policy", "read-only"))
    if policy not in WRITE_POLICIES:
        raise BoardError(f"{at}: write_policy {policy!r} (known: {', '.join(WRITE_POLICIES)})")
    served = tuple(d["regions"])
    unknown = [r for r in served if r not in regions]
    if unknown or not served:
        raise BoardError(f"{at}: serves unknown region(s) {unknown or '(none)'}; "
                         f"the board has {', '.join(regions)}")
    span = sum(regions[r].size for r in served)
    if size > span:
        raise BoardError(f"{at}: {size} B cache is larger than the {span} B of memory it serves")
    return Cache(name=name, serves=serves, size=size, ways=ways, line=line, replacement=replacement,
                 write_policy=policy, write_allocate=bool(d.get("write_allocate", False)),
                 regions=served, source=str(d.get("source", "")))


def _penalties(where: str, values, what: str) -> tuple[int, int, int]:
    got = tuple(int(v) for v in values)
    if len(got) != 3 or any(v < 0 for v in got):
        raise BoardError(f"{where}: unaligned {what} must be three cycle counts >= 0 "
                         f"[halfword, word at +2, word at +1/+3], got {list(values)}")
    return got


def parse_memory(where: str, d: dict | None, regions) -> MemorySystem:
    """The ``[memory]`` table of a board file (``where`` names it in errors); ``regions`` are the
    board's parsed regions. An absent table is a board with no caches and no penalties."""
    if d is None or d == {}:
        return MemorySystem()
    if not isinstance(d, dict):
        raise BoardError(f"{where}: memory: expected a table, got {type(d).__name__}")
    by_name = {r.name: r for r in regions}
    try:
        caches = tuple(_cache(where, c, by_name) for c in d.get("caches", ()))
        names = [c.name for c in caches]
        if len(set(names)) != len(names):
            raise BoardError(f"{where}: two caches share a name ({', '.join(names)})")
        for kind in SERVES:
            for r in by_name:
                serving = [c.name for c in caches if kind in c.serves and r in c.regions]
                if len(serving) > 1:
                    raise BoardError(f"{where}: {kind} accesses to '{r}' are served by two caches "
                                     f"({', '.join(serving)})")
        fills, sources = {}, {}
        for f in d.get("fills", ()):
            region, cycles = str(f["region"]), int(f["cycles"])
            if region not in by_name:
                raise BoardError(f"{where}: line fill from unknown region '{region}'; "
                                 f"the board has {', '.join(by_name)}")
            if cycles < 0:
                raise BoardError(f"{where}: line fill from '{region}' costs {cycles} < 0 cycles")
            fills[region] = cycles
            sources[f"fill:{region}"] = str(f.get("source", ""))
        missing = sorted({r for c in caches for r in c.regions} - set(fills))
        if missing:
            raise BoardError(f"{where}: cached region(s) {', '.join(missing)} have no line-fill cost "
                             "([[memory.fills]])")
        un = d.get("unaligned", {})
        load = _penalties(where, un.get("load", (0, 0, 0)), "load")
        store = _penalties(where, un.get("store", (0, 0, 0)), "store")
        sources["unaligned"] = str(un.get("source", ""))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:   # a value of the wrong shape
        raise BoardError(f"{where}: malformed [memory] table ({type(exc).__name__}: {exc})") from None
    return MemorySystem(caches=caches, fills=fills, unaligned_load=load, unaligned_store=store,
                        startup=str(d.get("startup", "")), sources=sources)
