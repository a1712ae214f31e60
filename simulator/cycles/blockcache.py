"""Decoded block costs kept on disk between runs of the same firmware.

Decoding a translated block (capstone + classify + schedule, in Python) is the accounting's
only per-block cost that is not C: VWW decodes 601 blocks once per run, 0.22 s, as long as
Unicorn's whole raw emulation of its 24.7 M instructions. A block's static cost is a pure
function of its address, its code bytes, the core table and the regions' fetch waits, so it is
kept per firmware image in ``$MCUSIM_CACHE_DIR/blockcosts/`` and reused when the same ELF runs
again with the same accounting. The key also hashes the cycle model's own sources and tables:
changing a rule (any file of simulator/cycles/ or a table) invalidates every entry. Blocks whose cost depends on decode order (pieces of a
straight-line run that Unicorn cut, engine._split_block_cost) are never stored. Each entry keeps
its code bytes (checked against memory before use) and the table classes it found missing
(``CoreTable.missing``, reported as untimed). Stored as JSON (never pickle: nothing read from
the cache directory is executed), written atomically (temp + replace).
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import json
import tempfile
from functools import lru_cache
from pathlib import Path

FORMAT = b"mcusim-blockcosts/1"



@lru_cache(maxsize=1)
def _model_digest() -> bytes:
    here = Path(__file__).parent
    h = hashlib.sha256(FORMAT)
    # every module of the cycle model (a rule added in a new file must invalidate too) and table
    for path in sorted(here.glob("*.py")) + sorted((here / "tables").glob("*.toml")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.digest()


def cache_key(image_digest: str, table_name: str, options, regions) -> str:
    h = hashlib.sha256(_model_digest())
    h.update(repr((image_digest, table_name, tuple(options), list(regions))).encode())   # every Region field
    return h.hexdigest()[:32]


def _fields() -> list[str]:
    from simulator.cycles.model import BlockCost
    return [f.name for f in dataclasses.fields(BlockCost)]


def _path(key: str) -> Path:
    from simulator.cycles.native import cache_dir
    return cache_dir() / "blockcosts" / f"{key}.json"


def load(key: str) -> dict:
    """``{(address, size): (code, BlockCost, missing classes)}``; empty when absent or unreadable."""
    from simulator.cycles.model import BlockCost
    try:
        rows = json.loads(_path(key).read_text())
        out = {}
        for row in rows:
            cost = BlockCost(**{f: row[f] for f in _fields()})
            out[(cost.address, cost.size)] = (bytes.fromhex(row["code"]), cost, tuple(row["missing"]))
        return out
    except (OSError, ValueError, KeyError, TypeError):
        return {}                 # absent, half-written by an older version, or damaged: decode


def save(key: str, entries: dict) -> None:
    rows = [{**{f: getattr(cost, f) for f in _fields()}, "code": code.hex(), "missing": list(missing)}
            for code, cost, missing in entries.values()]
    target = _path(key)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=target.stem + ".", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "w") as fh:
            json.dump(rows, fh, separators=(",", ":"))
        os.replace(tmp, target)
    except OSError:
        pass                      # a cache that cannot be written only costs speed
