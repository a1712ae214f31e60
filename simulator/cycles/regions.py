"""Memory regions with wait states, as handed over by the caller (the machine, from a board file).

Each region is ``(start, size, read_wait, write_wait, fetch_wait)``, given as a tuple, a dict
with those keys, or any object with those attributes. Wait states are extra CPU cycles per
access (data) or per fetch-width chunk (instruction fetch, see each table's ``fetch_bytes``),
*after* the board's cache/accelerator assumption: a board whose flash sits behind an enabled
I-cache or ART accelerator should pass ``fetch_wait = 0`` for it. Addresses in no region cost
no wait states.
"""
from __future__ import annotations

from dataclasses import dataclass

from simulator.errors import ConfigError

_FIELDS = ("start", "size", "read_wait", "write_wait", "fetch_wait")


@dataclass(frozen=True)
class Region:
    start: int
    size: int
    read_wait: int = 0
    write_wait: int = 0
    fetch_wait: int = 0
    name: str = ""

    @property
    def end(self) -> int:
        return self.start + self.size

    def contains(self, address: int) -> bool:
        return self.start <= address < self.end


class Regions:
    def __init__(self, regions=()):
        self.regions = [_as_region(r) for r in regions or ()]
        self.regions.sort(key=lambda r: r.start)

    def find(self, address: int) -> Region | None:
        for region in self.regions:
            if region.contains(address):
                return region
        return None

    def fetch_wait(self, address: int) -> int:
        region = self.find(address)
        return region.fetch_wait if region else 0

    def data_wait(self, address: int, write: bool) -> int:
        region = self.find(address)
        if region is None:
            return 0
        return region.write_wait if write else region.read_wait

    @property
    def has_data_waits(self) -> bool:
        return any(r.read_wait or r.write_wait for r in self.regions)

    def __iter__(self):
        return iter(self.regions)

    def __len__(self) -> int:
        return len(self.regions)


def _as_region(spec) -> Region:
    if isinstance(spec, Region):
        return spec
    if isinstance(spec, dict):
        values = {k: spec[k] for k in _FIELDS if k in spec}
        values["name"] = spec.get("name", "")
    elif isinstance(spec, (tuple, list)):
        values = dict(zip(_FIELDS, spec))
    else:
        values = {k: getattr(spec, k) for k in _FIELDS if hasattr(spec, k)}
        values["name"] = getattr(spec, "name", "")
    if "start" not in values or "size" not in values:
        raise ConfigError(f"memory region {spec!r} needs at least start and size")
    for key in _FIELDS[2:]:
        if int(values.get(key, 0) or 0) < 0:
            raise ConfigError(f"memory region {spec!r}: {key} must be >= 0")
    return Region(int(values["start"]), int(values["size"]), int(values.get("read_wait", 0) or 0),
                  int(values.get("write_wait", 0) or 0), int(values.get("fetch_wait", 0) or 0),
                  str(values.get("name", "")))
