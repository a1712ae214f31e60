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
(``CoreTable.missing``, reported as untimed). The decoded instructions (capstone + classify, a
pure function of an instruction's bytes and address) are kept too, each with its bytes: the
blocks that are not stored, their read-ahead and the runs of new edges are then scheduled
without disassembling again. Stored as JSON (never pickle: nothing read from
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

FORMAT = b"mcusim-blockcosts/3"



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
    # ``run`` (the decoded instructions) is not stored: the engine decodes it again from the
    # code bytes only when a new edge needs it (engine._run_of)
    return [f.name for f in dataclasses.fields(BlockCost) if f.name != "run"]


def _insn_row(code: bytes, ins) -> list:
    fields = {f.name: getattr(ins, f.name) for f in dataclasses.fields(ins)}
    for name, value in fields.items():
        if isinstance(value, (frozenset, set)):
            fields[name] = sorted(value)
    return [code.hex(), fields]


def _insn_from(row: list):
    from simulator.cycles.classify import Insn
    code, fields = row
    for f in dataclasses.fields(Insn):
        if f.name in ("reads", "writes", "addr_regs", "acc_regs", "wb_regs"):
            fields[f.name] = frozenset(fields[f.name])
    if fields["mem"] is not None:
        fields["mem"] = tuple(fields["mem"])
    return bytes.fromhex(code), Insn(**fields)


def _path(key: str) -> Path:
    from simulator.cycles.native import cache_dir
    return cache_dir() / "blockcosts" / f"{key}.json"


def load(key: str) -> tuple[dict, dict, dict]:
    """``({(address, size): (code, BlockCost, missing classes)}, {edge key: correction},
    {address: (code, Insn)})``, where an edge key is ``(prev address, prev size, address, size,
    taken)``; empty when absent or unreadable."""
    from simulator.cycles.model import BlockCost
    try:
        data = json.loads(_path(key).read_text())
        out = {}
        for row in data["blocks"]:
            cost = BlockCost(**{f: row[f] for f in _fields()})
            out[(cost.address, cost.size)] = (bytes.fromhex(row["code"]), cost, tuple(row["missing"]))
        edges = {(int(a), int(b), int(c), int(d), bool(t)): int(corr) for a, b, c, d, t, corr in data["edges"]}
        insns = {}
        for row in data["insns"]:
            code, ins = _insn_from(row)
            insns[ins.address] = (code, ins)
        return out, edges, insns
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}, {}, {}         # absent, written by an older version, or damaged: decode


def save(key: str, entries: dict, edges: dict | None = None, insns: dict | None = None) -> None:
    rows = {"blocks": [{**{f: getattr(cost, f) for f in _fields()}, "code": code.hex(), "missing": list(missing)}
                       for code, cost, missing in entries.values()],
            "edges": [[*k, corr] for k, corr in (edges or {}).items()],
            "insns": [_insn_row(code, ins) for code, ins in (insns or {}).values()]}
    target = _path(key)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=target.stem + ".", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "w") as fh:
            json.dump(rows, fh, separators=(",", ":"))
        os.replace(tmp, target)
    except OSError:
        pass                      # a cache that cannot be written only costs speed
