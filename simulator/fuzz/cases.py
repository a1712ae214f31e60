"""The mutator table, graph mutations wrapped to write back with ``save_tflite``, and
reproducible cases: case ``i`` of seed ``s`` draws from ``Random(f"{s}:{i}")``."""
from __future__ import annotations

import copy
import random
import warnings

import numpy as np

from ..frontend import save_tflite
from .byte_mutators import (append_garbage, bit_flips, byte_sets, delete_chunk, duplicate_chunk,
                            header_bytes, random_bytes, truncate)
from .field_mutators import (field_any, field_dims, field_external_buffers, field_offsets,
                             field_quant, field_refs, field_types_and_options, field_vtables)
from .graph_mutators import GRAPH_MUTATIONS
from .seeds import SeedModel


class WriterRejected(Exception):
    """save_tflite refused the mutated graph; the case falls back to a byte mutation."""


def _graph_mutator(mutate):
    def mutator(rng, seed: SeedModel) -> bytes:
        g = copy.deepcopy(seed.graph)
        for t in g.tensors:                     # deepcopy shares nothing; data stays read-only
            if t.data is not None:
                t.data = t.data.copy()
        mutate(rng, g)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                return save_tflite(g, external_buffers=rng.random() < 0.2)
        except Exception as err:                # the writer is not under test here
            raise WriterRejected(f"{type(err).__name__}: {err}") from None
    mutator.__name__ = "graph_" + mutate.__name__[2:]
    return mutator


MUTATORS = {
    "bit_flips": bit_flips, "byte_sets": byte_sets, "header_bytes": header_bytes,
    "truncate": truncate, "append_garbage": append_garbage, "delete_chunk": delete_chunk,
    "duplicate_chunk": duplicate_chunk, "random_bytes": random_bytes,
    "field_any": field_any, "field_offsets": field_offsets, "field_vtables": field_vtables,
    "field_dims": field_dims, "field_refs": field_refs, "field_quant": field_quant,
    "field_types_and_options": field_types_and_options,
    "field_external_buffers": field_external_buffers,
    **{f"graph_{k}": _graph_mutator(fn) for k, fn in GRAPH_MUTATIONS.items()},
}
_STACKABLE = ("bit_flips", "byte_sets", "field_any", "field_offsets", "truncate")


def make_case(seeds: list[SeedModel], seed: int, index: int) -> tuple[str, str, bytes]:
    """Case ``index`` of run ``seed``: (mutator name(s), seed model name, bytes)."""
    rng = random.Random(f"{seed}:{index}")
    model = rng.choice(seeds)
    name = rng.choice(sorted(MUTATORS))
    try:
        data = MUTATORS[name](rng, model)
    except WriterRejected:
        name += "(rejected)+bit_flips"
        data = bit_flips(rng, model)
    if rng.random() < 0.15:          # stack a second mutation on the first one's output
        second = rng.choice(_STACKABLE)
        stacked = SeedModel(model.name, data, model.graph, model.sites if data == model.data else [])
        if second.startswith("field") and not stacked.sites:
            second = "byte_sets"
        data = MUTATORS[second](rng, stacked) if data else data
        name += "+" + second
    return name, model.name, data
