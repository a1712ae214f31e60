"""``.tflite`` -> :class:`ir.Graph`: a hand-written reader over the bounds-checked flatbuffer.

Reads subgraph 0 of a TFLite model (tensorflow/lite/schema/schema.fbs, ``table Model``):
tensors with shape, type, constant data and quantization; operator codes; operators with
their builtin options (see ``schema.OPTION_TABLES``). Any input bytes end in a Graph or a
``ModelError`` naming the file and the op / tensor / field that is wrong. An operator mcusim
cannot run is not an import error: lowering decides.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..ir import DTYPE_BYTES, Graph, Op, QuantParams, Tensor
from . import schema
from .flatbuf import Buffer, FlatBufferError, Table
from .multi_output import expand_multi_output
from .quant_schemes import check_quant_schemes
from .schema import F
from .shape_fold import fold_shape_ops

MAX_RANK = 8
MAX_TENSOR_BYTES = 1 << 31          # nothing larger can be addressed on a Cortex-M
_ZP_RANGE = {"int8": (-128, 127), "uint8": (0, 255), "int16": (0, 0)}


class _Fail(Exception):
    """Internal: a diagnosis plus where it happened; converted to ModelError at the top."""

    def __init__(self, message: str, **where):
        super().__init__(message)
        self.message, self.where = message, where


def load_tflite(path_or_bytes, name: str | None = None) -> Graph:
    """Read a ``.tflite`` file (path, bytes, bytearray or memoryview) into a Graph."""
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        data, source = bytes(path_or_bytes), "<bytes>"
        default_name = "model"
    else:
        source = os.fspath(path_or_bytes)
        try:
            data = Path(source).read_bytes()
        except OSError as err:
            raise ModelError(f"cannot read model file: {err.strerror or err}",
                             path=source) from None
        default_name = Path(source).stem
    try:
        graph = _read_model(Buffer(data))
        graph.source = source
        graph = expand_multi_output(graph)  # SPLIT / SPLIT_V / UNPACK as one slice per output
        fold_shape_ops(graph)            # the dynamic batch's shape arithmetic: constants now
        check_quant_schemes(graph)       # hybrid, uint8 ...: refused here, never a wrong answer
    except ModelError as err:
        raise err.with_path(source) from None
    except FlatBufferError as err:
        raise ModelError(f"malformed flatbuffer at {err}", path=source) from None
    except _Fail as err:
        raise ModelError(err.message, path=source, **err.where) from None
    except (ValueError, OverflowError, MemoryError, TypeError, IndexError, KeyError) as err:
        # Defence in depth: every path above is checked; this keeps the contract if one is not.
        raise ModelError(f"malformed model ({type(err).__name__}: {err})", path=source) from None
    graph.name = name or default_name
    return graph


def _read_model(buf: Buffer) -> Graph:
    if buf.size < 8:
        raise _Fail(f"file is {buf.size} bytes, too short to be a .tflite model")
    if buf.identifier() != schema.FILE_IDENTIFIER:
        raise _Fail(f"file identifier is {buf.identifier()!r}, expected b'TFL3' "
                    "(not a TFLite flatbuffer)")
    model = buf.root()
    version = model.scalar(F.MODEL_VERSION, "uint32", 0, "version")
    if version != schema.SCHEMA_VERSION:
        raise _Fail(f"schema version {version} is not supported (expected 3)")
    num_subgraphs = model.num_tables(F.MODEL_SUBGRAPHS, "subgraphs")
    if num_subgraphs == 0:
        raise _Fail("model has no subgraphs")
    subgraph = model.table_at(F.MODEL_SUBGRAPHS, "subgraphs", 0)
    opcodes = [_opcode_name(t) for t in model.tables(F.MODEL_OPERATOR_CODES, "operator_codes")]
    buffers = _BufferTable(buf, model)

    tensor_tables = subgraph.tables(F.SUBGRAPH_TENSORS, "tensors")
    tensors = [_located(_read_tensor, t, i, buffers, tensor_index=i)
               for i, t in enumerate(tensor_tables)]
    n = len(tensors)
    inputs = _tensor_refs(subgraph, F.SUBGRAPH_INPUTS, "inputs", n, allow_absent=False)
    outputs = _tensor_refs(subgraph, F.SUBGRAPH_OUTPUTS, "outputs", n, allow_absent=False)
    ops = [_located(_read_op, t, i, opcodes, n, op_index=i)
           for i, t in enumerate(subgraph.tables(F.SUBGRAPH_OPERATORS, "operators"))]
    metadata = {"schema_version": version,
                "description": model.string(F.MODEL_DESCRIPTION, "description"),
                "subgraph_name": subgraph.string(F.SUBGRAPH_NAME, "name"),
                "num_subgraphs": num_subgraphs}
    return Graph(tensors=tensors, ops=ops, inputs=inputs, outputs=outputs, metadata=metadata)


def _located(read, *args, **where):
    """Run a per-tensor / per-op reader so that flatbuffer damage names its tensor or op."""
    try:
        return read(*args)
    except FlatBufferError as err:
        raise _Fail(f"malformed flatbuffer at {err}", **where) from None


def _opcode_name(t: Table) -> str:
    # schema.fbs, table OperatorCode: the real code is max(deprecated_builtin_code, builtin_code).
    code = max(t.scalar(F.OPCODE_DEPRECATED_BUILTIN, "int8", 0, "deprecated_builtin_code"),
               t.scalar(F.OPCODE_BUILTIN, "int32", 0, "builtin_code"))
    if code == schema.CUSTOM_CODE:
        return "CUSTOM:" + t.string(F.OPCODE_CUSTOM, "custom_code")
    return schema.BUILTIN_OPERATORS.get(code, f"BUILTIN_{code}")


class _BufferTable:
    """Model.buffers, decoded lazily and once per (buffer, dtype) so tensors share arrays."""

    def __init__(self, buf: Buffer, model: Table):
        self.buf, self.model = buf, model
        self.count = model.num_tables(F.MODEL_BUFFERS, "buffers")
        self._cache: dict[tuple[int, str], np.ndarray] = {}

    def raw(self, index: int) -> bytes:
        t = self.model.table_at(F.MODEL_BUFFERS, "buffers", index)
        data = t.raw_bytes(F.BUFFER_DATA, "data")
        # schema.fbs, table Buffer: offset/size locate data stored after the flatbuffer
        # (models > 2 GB); "only valid if > 1".
        offset = t.scalar(F.BUFFER_OFFSET, "uint64", 0, "offset")
        if offset > 1:
            size = t.scalar(F.BUFFER_SIZE, "uint64", 0, "size")
            if data:
                raise _Fail(f"buffer #{index} has both inline data and an external offset")
            if offset + size > self.buf.size:
                raise _Fail(f"buffer #{index} external data [{offset}, {offset + size}) lies "
                            f"outside the {self.buf.size}-byte file")
            return self.buf.data[offset:offset + size]
        return data or b""

    def array(self, index: int, dtype: str) -> np.ndarray | None:
        key = (index, dtype)
        if key not in self._cache:
            raw = self.raw(index)
            if not raw:
                return None
            width = DTYPE_BYTES[dtype]
            if len(raw) % width:
                return np.empty(0)  # caller reports the size mismatch
            self._cache[key] = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")) \
                .astype(dtype)
        return self._cache[key]


def _read_tensor(t: Table, index: int, buffers: _BufferTable) -> Tensor:
    def fail(msg):
        return _Fail(msg, tensor_index=index)

    name = t.string(F.TENSOR_NAME, "name", default=f"tensor_{index}")
    type_code = t.scalar(F.TENSOR_TYPE, "int8", 0, "type")
    dtype = schema.TENSOR_TYPES.get(type_code)
    if dtype is None:
        kind = schema.TENSOR_TYPE_NAMES.get(type_code, f"#{type_code}")
        raise fail(f"tensor type {kind} is not supported")
    raw_shape = t.numbers(F.TENSOR_SHAPE, "int32", "shape")
    shape = tuple(int(d) for d in raw_shape) if raw_shape is not None else ()
    if len(shape) > MAX_RANK:
        raise fail(f"rank {len(shape)} exceeds {MAX_RANK}")
    if any(d < 0 for d in shape):
        raise fail(f"shape {list(shape)} has a negative dimension")
    count = 1
    for d in shape:
        count *= d
    if count * DTYPE_BYTES[dtype] > MAX_TENSOR_BYTES:
        raise fail(f"shape {list(shape)} ({dtype}) is larger than 2 GiB")
    if t.has(F.TENSOR_SPARSITY):
        raise fail("sparse tensors are not supported")

    data = None
    buffer_index = t.scalar(F.TENSOR_BUFFER, "uint32", 0, "buffer")
    if buffer_index != 0:
        if buffer_index >= buffers.count:
            raise fail(f"buffer index {buffer_index} out of range (model has {buffers.count})")
        flat = buffers.array(buffer_index, dtype)
        if flat is not None:
            if flat.size != count or flat.nbytes != count * DTYPE_BYTES[dtype]:
                nbytes = len(buffers.raw(buffer_index))
                raise fail(f"buffer #{buffer_index} holds {nbytes} bytes but shape "
                           f"{list(shape)} of {dtype} needs {count * DTYPE_BYTES[dtype]}")
            data = flat.reshape(shape)
    quant_table = t.table(F.TENSOR_QUANT, "quantization")
    quant = _read_quant(quant_table, shape, dtype, fail) if quant_table is not None else None
    return Tensor(index=index, name=name, shape=shape, dtype=dtype, quant=quant, data=data)


def _read_quant(q: Table, shape, dtype, fail) -> QuantParams | None:
    scale = q.numbers(F.QUANT_SCALE, "float32", "scale")
    zero_point = q.numbers(F.QUANT_ZERO_POINT, "int64", "zero_point")
    if scale is None or scale.size == 0:
        return None  # TFLite: a quantization table without scales means "not quantized"
    if zero_point is None or zero_point.size != scale.size:
        n_zp = 0 if zero_point is None else zero_point.size
        raise fail(f"quantization has {scale.size} scales but {n_zp} zero points")
    bad = np.flatnonzero(~np.isfinite(scale) | (scale <= 0))
    if bad.size:
        raise fail(f"quantization scale[{bad[0]}] = {float(scale[bad[0]])!r} "
                   "(must be finite and > 0)")
    axis = q.scalar(F.QUANT_DIM, "int32", 0, "quantized_dimension")
    if scale.size > 1:
        if not 0 <= axis < len(shape):
            raise fail(f"quantized_dimension {axis} out of range for rank {len(shape)}")
        if shape[axis] != scale.size:
            raise fail(f"{scale.size} per-channel scales for dimension {axis} of size "
                       f"{shape[axis]}")
    lo, hi = _ZP_RANGE.get(dtype, (-(1 << 62), 1 << 62))
    bad = np.flatnonzero((zero_point < lo) | (zero_point > hi))
    if bad.size:
        raise fail(f"zero_point[{bad[0]}] = {zero_point[bad[0]]} out of range [{lo}, {hi}] "
                   f"for {dtype}")
    return QuantParams(scale=scale.astype(np.float64), zero_point=zero_point, axis=int(axis))


def _tensor_refs(t: Table, fid: int, field: str, n: int, allow_absent: bool, **where):
    refs = t.numbers(fid, "int32", field)
    out = [] if refs is None else [int(r) for r in refs]
    for r in out:
        if not (0 <= r < n or (allow_absent and r == -1)):
            raise _Fail(f"{field} refers to tensor {r}, but the subgraph has {n} tensors", **where)
    return out


def _read_op(t: Table, index: int, opcodes: list[str], n_tensors: int) -> Op:
    opcode_index = t.scalar(F.OP_OPCODE_INDEX, "uint32", 0, "opcode_index")
    if opcode_index >= len(opcodes):
        raise _Fail(f"opcode_index {opcode_index} out of range ({len(opcodes)} operator codes)",
                    op_index=index)
    opcode = opcodes[opcode_index]
    where = {"op_index": index, "opcode": opcode}
    inputs = _tensor_refs(t, F.OP_INPUTS, "inputs", n_tensors, True, **where)
    outputs = _tensor_refs(t, F.OP_OUTPUTS, "outputs", n_tensors, False, **where)
    options = _read_options(t, opcode, where)
    if opcode.startswith("CUSTOM:"):
        custom = t.raw_bytes(F.OP_CUSTOM_OPTIONS, "custom_options")
        if custom is not None:
            options["custom_options"] = custom
    return Op(index=index, opcode=opcode, inputs=inputs, outputs=outputs, options=options)


def _read_options(t: Table, opcode: str, where: dict) -> dict:
    options = schema.default_options(opcode)
    expected = schema.OPERATOR_OPTIONS.get(opcode)
    type_value = t.scalar(F.OP_OPTIONS_TYPE, "uint8", 0, "builtin_options_type")
    if expected is None or type_value == 0:
        return options
    if type_value != schema.OPTIONS_TYPE[expected]:
        raise _Fail(f"builtin_options is {schema.options_type_name(type_value)}, "
                    f"expected {expected}", **where)
    table = t.table(F.OP_OPTIONS, "builtin_options")
    if table is None:
        return options
    for fid, (name, kind, default) in enumerate(schema.OPTION_TABLES[expected]):
        if kind == "int_vector":
            values = table.numbers(fid, "int32", name)
            options[name] = [] if values is None else [int(v) for v in values]
        elif kind in schema.ENUMS:
            names = schema.ENUMS[kind]
            value = table.scalar(fid, "int8", 0, name)
            if not 0 <= value < len(names):
                raise _Fail(f"{expected}.{name} = {value} is not a valid {kind}", **where)
            options[name] = names[value]
        else:
            value = table.scalar(fid, kind, default, name)
            options[name] = float(value) if kind == "float32" else value
    return options
