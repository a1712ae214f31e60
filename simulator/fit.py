"""Does the model fit the board's RAM with the kernels a user deploys?

``analyze`` plans and measures mcusim's own firmware; a user deploying with TensorFlow Lite
Micro needs TFLM's tensor arena instead (``Analysis.tflm_arena``, :mod:`simulator.tflm_arena`).
The verdict is a function of the backend's name, one arena rule per backend in ``ARENA_RULES``
(a kernel-library backend, e.g. ``--kernels cmsis-nn``, adds its row):

    judge_fit(a, "mcusim")     # mcusim's plan: arena + scratch, as analyze built it
    judge_fit(a, "tflm")       # TFLM's arena in place of mcusim's arena and scratch
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FitVerdict:
    backend: str
    arena: int                # the backend's activation memory (arena + scratch)
    ram_needed: int           # with the stack, the runtime's static data and alignment gaps
    ram_limit: int
    basis: str                # where ``arena`` comes from

    @property
    def fits(self) -> bool:
        return self.ram_needed <= self.ram_limit


def _mcusim(a) -> tuple[int, str] | None:
    return a.arena + a.scratch, "mcusim's memory plan (lower/planner.py)"


def _tflm(a) -> tuple[int, str] | None:
    t = a.tflm_arena
    if not t:
        return None
    # TFLM's scratch buffers (a kernel's RequestScratchBufferInArena) live in its arena
    return t["bytes"], f"TFLite Micro's arena ({t['source']})"


# backend name -> its activation memory from an Analysis; CMSIS-NN is deployed inside TFLM
# (its kernels' scratch requested in TFLM's arena), so it takes TFLM's arena
ARENA_RULES = {"mcusim": _mcusim, "tflm": _tflm, "cmsis-nn": _tflm}


def judge_fit(a, backend: str = "mcusim") -> FitVerdict | None:
    """The verdict for ``backend``; None when its arena is unknown (no TFLM figure)."""
    from .errors import ConfigError

    rule = ARENA_RULES.get(backend)
    if rule is None:
        raise ConfigError(f"no fit rule for kernels {backend!r} (known: {', '.join(ARENA_RULES)})")
    found = rule(a)
    if found is None:
        return None
    arena, basis = found
    held = a.arena * a.arena_in_ram + a.scratch          # what mcusim's plan put in the data RAM
    return FitVerdict(backend, arena, a.ram_total - held + arena, a.ram_limit, basis)


def tflm_summary(a, size) -> str | None:
    """One line for the reports: TFLM's arena and whether the model fits with it; ``size``
    formats a byte count (each renderer its own). None when there is no TFLM figure."""
    t = a.tflm_arena
    verdict = judge_fit(a, "tflm") if t else None
    if verdict is None:
        return None
    return (f"{size(t['bytes'])} ({t['source']}): RAM {size(verdict.ram_needed)} of "
            f"{size(verdict.ram_limit)}, {'fits' if verdict.fits else 'does not fit'}")
