"""Every op's registration (:class:`~simulator.reference.spec.OpSpec`), merged over the
reference families, and the views the stages read:

    spec_for("TANH").fixed_output        # (1/128, 0)
    weight_axes()      {"CONV_2D": 0, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": 0}
    fixed_outputs(), shared_quant_ops(), onnx_elementwise()

Adding an op to a family file (its ``OPS``) is the whole registration; nothing here changes.
"""
from __future__ import annotations

import importlib
from functools import lru_cache

from simulator.errors import ModelError
from simulator.reference import (activations, conv, elementwise, fully_connected, movement,
                                 pooling, quantize_ops, reduce, resize, shape_ops, softmax)
from simulator.reference.spec import OpSpec

FAMILIES = (conv, fully_connected, elementwise, pooling, softmax, activations, reduce,
            shape_ops, quantize_ops, movement, resize)
OPTIONAL_FAMILIES = ("binary",)          # merged when present (opcodes of their own)


def optional_family(name: str):
    try:
        return importlib.import_module(f"simulator.reference.{name}")
    except ImportError:
        return None


@lru_cache(maxsize=None)
def _table() -> dict[str, OpSpec]:
    table: dict[str, OpSpec] = {}
    for family in FAMILIES + tuple(filter(None, map(optional_family, OPTIONAL_FAMILIES))):
        table.update(family.OPS)
    return table


def all_specs() -> dict[str, OpSpec]:
    """opcode -> OpSpec over every family (a copy: the caller may keep or change it)."""
    return dict(_table())


def spec_for(opcode: str) -> OpSpec:
    spec = _table().get(opcode)
    if spec is None:
        raise ModelError(f"no NumPy reference for {opcode}", opcode=opcode)
    return spec


def weight_axes() -> dict[str, int]:
    return {k: s.weight_axis for k, s in all_specs().items() if s.weight_axis is not None}


def fixed_outputs() -> dict[str, tuple[float, int]]:
    return {k: s.fixed_output for k, s in all_specs().items() if s.fixed_output is not None}


def shared_quant_ops() -> frozenset[str]:
    return frozenset(k for k, s in all_specs().items() if s.shared_quant)


def onnx_elementwise() -> dict[str, str]:
    """ONNX op type -> TFLite opcode, for the one-to-one elementwise imports."""
    return {name: k for k, s in all_specs().items() for name in s.onnx}
