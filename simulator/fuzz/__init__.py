"""Fuzzing the ``.tflite`` importer: mutators over real models, and a harness that holds
:func:`simulator.frontend.load_tflite` to its contract.

The contract, for any bytes at all: a :class:`ir.Graph` that is internally consistent, or a
:class:`ModelError` whose message is non-empty and names the file; within a time limit and a
memory bound. Anything else is a finding.

Three families of mutation, each a function ``(rng, seed) -> bytes`` in :data:`MUTATORS`:

- bytes: bit flips, byte sets, truncation, garbage appended, chunks deleted or duplicated;
- fields: the model is walked with our own flatbuffer reader to find where every field lives
  (offsets, vtables, vector counts, shape dims, buffer indices, tensor refs, quantization
  arrays, option values) and one of them is overwritten with a hostile value;
- graph: the model is read into a Graph, one fact is changed (a huge or negative dimension,
  a dangling or circular tensor ref, quantization arrays of the wrong length, a constant
  whose buffer no longer matches its shape ...) and it is written back with ``save_tflite``.

    report = fuzz(cases=500, seed=0)
    assert not report.findings, report.summary()

Each case is reproducible alone: case ``i`` of seed ``s`` draws from ``Random(f"{s}:{i}")``.

The modules, in pipeline order: ``sites`` (where every field lives), ``seeds``,
``byte_mutators``, ``field_mutators``, ``graph_mutators``, ``cases`` (:data:`MUTATORS`,
:func:`make_case`), ``harness`` (:func:`run_case`) and ``campaign`` (:func:`fuzz`).
"""
from __future__ import annotations

from ..frontend import load_tflite, save_tflite
from .byte_mutators import (append_garbage, bit_flips, byte_sets, delete_chunk, duplicate_chunk,
                            header_bytes, random_bytes, truncate)
from .campaign import Finding, FuzzReport, fuzz
from .cases import MUTATORS, WriterRejected, make_case
from .field_mutators import (field_any, field_dims, field_external_buffers, field_offsets,
                             field_quant, field_refs, field_types_and_options, field_vtables)
from .graph_mutators import (GRAPH_MUTATIONS, g_buffer_size, g_circular_ref, g_dangling_ref,
                             g_dims, g_drop, g_dtype, g_opcode, g_options, g_quant_length,
                             g_quant_values)
from .harness import (DEFAULT_MEMORY_LIMIT, DEFAULT_TIME_LIMIT_S, FINDING_OUTCOMES, OK_OUTCOMES,
                      CaseResult, CaseTimeout, check_graph, replay, run_case)
from .seeds import MODELS_DIR, SeedModel, load_seeds
from .sites import Site, field_sites

__all__ = ["MUTATORS", "CaseResult", "FuzzReport", "SeedModel", "Site", "check_graph",
           "field_sites", "fuzz", "load_seeds", "make_case", "replay", "run_case"]
