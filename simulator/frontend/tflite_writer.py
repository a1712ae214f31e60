""":class:`ir.Graph` -> ``.tflite`` bytes, with the ``flatbuffers`` runtime Builder.

Writes one subgraph following tensorflow/lite/schema/schema.fbs (version 3): buffer 0 is the
empty sentinel, each constant tensor gets its own 16-byte-aligned buffer
(``Buffer.data (force_align: 16)``), operator codes are deduplicated in first-use order.
Field ids come from :mod:`schema`, shared with the reader.
"""
from __future__ import annotations

import os
from pathlib import Path

import flatbuffers
import numpy as np

from ..errors import ModelError
from ..ir import Graph, Op, Tensor
from . import schema
from .schema import F


def save_tflite(graph: Graph, path: str | os.PathLike | None = None, *,
                external_buffers: bool = False) -> bytes:
    """Serialise ``graph``; also write it to ``path`` when given. Returns the bytes.

    ``external_buffers`` stores constant data after the flatbuffer, located by
    ``Buffer.offset``/``Buffer.size`` (the layout TFLite uses for models over 2 GB).
    """
    if external_buffers:
        data = _external(graph)
    else:
        data = _Writer(graph).build()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def _external(graph: Graph) -> bytes:
    # Offsets are fixed-width uint64 fields, so the flatbuffer's length does not depend on
    # their values: build once with placeholders to learn it, then again with the real ones.
    blobs = [_const_bytes(t) for t in graph.tensors if t.is_const]
    head = _Writer(graph, external=[2] * len(blobs)).build()
    offsets, end = [], _align16(len(head))
    for blob in blobs:
        offsets.append(end)
        end = _align16(end + len(blob))
    fb = _Writer(graph, external=offsets).build()
    if len(fb) != len(head):  # pragma: no cover - guards the reasoning above
        raise ModelError("external-buffer layout changed size between passes")
    out = bytearray(fb)
    for off, blob in zip(offsets, blobs):
        out.extend(b"\0" * (off - len(out)))
        out.extend(blob)
    return bytes(out)


def _align16(n: int) -> int:
    return (n + 15) & ~15


def _const_bytes(t: Tensor) -> bytes:
    return np.ascontiguousarray(t.data, dtype=np.dtype(t.dtype).newbyteorder("<")).tobytes()


class _Writer:
    def __init__(self, graph: Graph, external: list[int] | None = None):
        self.graph = graph
        self.external = external
        self.b = flatbuffers.Builder(1 << 16)

    # -- small helpers over the Builder --------------------------------------------------
    def _int_vector(self, values, kind: str = "int32") -> int:
        arr = np.ascontiguousarray(np.asarray(list(values), dtype=kind))
        return self.b.CreateNumpyVector(arr.astype(arr.dtype.newbyteorder("<")))

    def _offset_vector(self, offsets: list[int]) -> int:
        self.b.StartVector(4, len(offsets), 4)
        for off in reversed(offsets):
            self.b.PrependUOffsetTRelative(off)
        return self.b.EndVector()

    def _aligned_bytes(self, raw: bytes) -> int:
        self.b.StartVector(1, len(raw), 16)
        self.b.head -= len(raw)
        self.b.Bytes[self.b.head:self.b.head + len(raw)] = raw
        return self.b.EndVector()

    def _table(self, fields: list[tuple[int, str, object, object]]) -> int:
        """fields: (field id, kind, value, default); kind 'offset' for references."""
        self.b.StartObject(max((f[0] for f in fields), default=-1) + 1)
        for fid, kind, value, default in fields:
            if value is None:
                continue
            if kind == "offset":
                self.b.PrependUOffsetTRelativeSlot(fid, value, 0)
            else:
                getattr(self.b, _SLOT[kind])(fid, value, default)
        return self.b.EndObject()

    # -- the model -----------------------------------------------------------------------
    def build(self) -> bytes:
        g = self.graph
        buffers = [self._table([])]  # the empty sentinel, schema.fbs "Model.buffers"
        tensor_buffer = {}
        for t in g.tensors:
            if t.is_const:
                raw = _const_bytes(t)
                if self.external is not None:
                    buffers.append(self._table([
                        (F.BUFFER_OFFSET, "uint64", self.external[len(buffers) - 1], 0),
                        (F.BUFFER_SIZE, "uint64", len(raw), 0)]))
                else:
                    data_off = self._aligned_bytes(raw)
                    buffers.append(self._table([(F.BUFFER_DATA, "offset", data_off, 0)]))
                tensor_buffer[t.index] = len(buffers) - 1
        tensors = [self._tensor(t, tensor_buffer.get(t.index, 0)) for t in g.tensors]
        codes, code_index = [], {}
        for op in g.ops:
            if op.opcode not in code_index:
                code_index[op.opcode] = len(codes)
                codes.append(op.opcode)
        ops = [self._operator(op, code_index[op.opcode]) for op in g.ops]
        name = self.b.CreateString(g.metadata.get("subgraph_name") or g.name)
        subgraph = self._table([
            (F.SUBGRAPH_TENSORS, "offset", self._offset_vector(tensors), 0),
            (F.SUBGRAPH_INPUTS, "offset", self._int_vector(g.inputs), 0),
            (F.SUBGRAPH_OUTPUTS, "offset", self._int_vector(g.outputs), 0),
            (F.SUBGRAPH_OPERATORS, "offset", self._offset_vector(ops), 0),
            (F.SUBGRAPH_NAME, "offset", name, 0)])
        opcodes = [self._opcode(c) for c in codes]
        description = self.b.CreateString(g.metadata.get("description") or "mcusim")
        model = self._table([
            (F.MODEL_VERSION, "uint32", schema.SCHEMA_VERSION, 0),
            (F.MODEL_OPERATOR_CODES, "offset", self._offset_vector(opcodes), 0),
            (F.MODEL_SUBGRAPHS, "offset", self._offset_vector([subgraph]), 0),
            (F.MODEL_DESCRIPTION, "offset", description, 0),
            (F.MODEL_BUFFERS, "offset", self._offset_vector(buffers), 0)])
        self.b.Finish(model, file_identifier=schema.FILE_IDENTIFIER)
        return bytes(self.b.Output())

    def _tensor(self, t: Tensor, buffer_index: int) -> int:
        if t.dtype not in schema.TENSOR_TYPE_CODES:
            raise ModelError(f"dtype {t.dtype} has no TFLite tensor type", tensor_index=t.index)
        quant = None
        if t.quant is not None:
            quant = self._table([
                (F.QUANT_SCALE, "offset", self._int_vector(t.quant.scale, "float32"), 0),
                (F.QUANT_ZERO_POINT, "offset", self._int_vector(t.quant.zero_point, "int64"), 0),
                (F.QUANT_DIM, "int32", int(t.quant.axis), 0)])
        shape = self._int_vector(t.shape)
        name = self.b.CreateString(t.name)
        return self._table([
            (F.TENSOR_SHAPE, "offset", shape, 0),
            (F.TENSOR_TYPE, "int8", schema.TENSOR_TYPE_CODES[t.dtype], 0),
            (F.TENSOR_BUFFER, "uint32", buffer_index, 0),
            (F.TENSOR_NAME, "offset", name, 0),
            (F.TENSOR_QUANT, "offset", quant, 0)])

    def _opcode(self, opcode: str) -> int:
        custom = None
        if opcode.startswith("CUSTOM:"):
            code, custom = schema.CUSTOM_CODE, self.b.CreateString(opcode[len("CUSTOM:"):])
        elif opcode in schema.BUILTIN_CODES:
            code = schema.BUILTIN_CODES[opcode]
        elif opcode.startswith("BUILTIN_") and opcode[8:].isdigit():
            code = int(opcode[8:])
        else:
            raise ModelError(f"operator {opcode!r} has no TFLite builtin code")
        # schema.fbs, table OperatorCode: deprecated_builtin_code keeps min(code, 127).
        return self._table([
            (F.OPCODE_DEPRECATED_BUILTIN, "int8",
             min(code, schema.PLACEHOLDER_FOR_GREATER_OP_CODES), 0),
            (F.OPCODE_CUSTOM, "offset", custom, 0),
            (F.OPCODE_VERSION, "int32", 1, 1),
            (F.OPCODE_BUILTIN, "int32", code, 0)])

    def _operator(self, op: Op, opcode_index: int) -> int:
        options_type, options = self._options(op)
        custom = op.options.get("custom_options") if op.opcode.startswith("CUSTOM:") else None
        custom_off = self.b.CreateByteVector(bytes(custom)) if custom is not None else None
        inputs, outputs = self._int_vector(op.inputs), self._int_vector(op.outputs)
        return self._table([
            (F.OP_OPCODE_INDEX, "uint32", opcode_index, 0),
            (F.OP_INPUTS, "offset", inputs, 0),
            (F.OP_OUTPUTS, "offset", outputs, 0),
            (F.OP_OPTIONS_TYPE, "uint8", options_type, 0),
            (F.OP_OPTIONS, "offset", options, 0),
            (F.OP_CUSTOM_OPTIONS, "offset", custom_off, 0)])

    def _options(self, op: Op) -> tuple[int, int | None]:
        table_name = schema.OPERATOR_OPTIONS.get(op.opcode)
        if table_name is None:
            return 0, None
        values = {**schema.default_options(op.opcode), **op.options}
        spec = schema.OPTION_TABLES[table_name]
        vectors = {name: self._int_vector(values[name])
                   for name, kind, _ in spec if kind == "int_vector" and len(values[name])}
        fields = []
        for fid, (name, kind, default) in enumerate(spec):
            value = values[name]
            if kind == "int_vector":
                fields.append((fid, "offset", vectors.get(name), 0))
            elif kind in schema.ENUMS:
                if value not in schema.ENUMS[kind]:
                    raise ModelError(f"{name} = {value!r} is not one of {schema.ENUMS[kind]}",
                                     op_index=op.index, opcode=op.opcode)
                fields.append((fid, "int8", schema.ENUMS[kind].index(value), 0))
            else:
                fields.append((fid, kind, value, default))
        return schema.OPTIONS_TYPE[table_name], self._table(fields)


_SLOT = {"bool": "PrependBoolSlot", "int8": "PrependInt8Slot", "uint8": "PrependUint8Slot",
         "int32": "PrependInt32Slot", "uint32": "PrependUint32Slot",
         "float32": "PrependFloat32Slot", "int64": "PrependInt64Slot",
         "uint64": "PrependUint64Slot"}
