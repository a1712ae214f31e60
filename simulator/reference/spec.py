"""One op's registration: everything the rest of mcusim needs to know about it, in one place.

Each reference family file ends with ``OPS = {"OPCODE": OpSpec(run_x, ...)}``; the registry
(:mod:`simulator.reference.registry`) merges them, and every stage reads its facts from there:

    run           the NumPy definition (``run(op, graph, inputs) -> ndarray``): the graph
                  interpreter calls it (an OpSpec is callable as its ``run``)
    params        ``params(op, graph) -> dict``: the C kernel's fields after ``size``, in the
                  struct's order, for one-input elementwise ops lowered by
                  ``lower/emitters.unary`` (no emitter of their own)
    weight_axis   the axis of the output channels of input 1 (quantized per channel by PTQ)
    fixed_output  (scale, zero point) TFLite fixes for the output (PTQ and ModelBuilder use it)
    shared_quant  inputs and output share one (scale, zero point): the op moves bytes
    onnx          ONNX op types imported as this op one-to-one (elementwise, no attributes)

The C kernel for (op, dtype, core) is not here: that is data, a row of ``lower/rules.toml``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class OpSpec:
    run: Callable
    params: Callable | None = None
    weight_axis: int | None = None
    fixed_output: tuple[float, int] | None = None
    shared_quant: bool = False
    onnx: tuple[str, ...] = ()

    def __call__(self, op, graph, inputs):
        return self.run(op, graph, inputs)
