"""A FlatBuffers reader that trusts nothing: every offset, length and index is checked.

Layout facts (FlatBuffers documentation, "FlatBuffer Internals"): all integers little-endian;
the buffer starts with a uoffset (u32) to the root table, then an optional 4-byte file
identifier; a table starts with an soffset (i32) such that ``vtable = table - soffset``;
a vtable is ``u16 vtable_bytes, u16 table_bytes, u16 field_offset[...]`` (0 = absent,
offsets relative to the table); reference fields hold a uoffset relative to the field's
own position; a vector (and a string) is a u32 element count followed by the elements;
a vector of tables holds one uoffset per element, relative to that element.

Any violation raises :class:`FlatBufferError` carrying the path of fields that led there,
which the TFLite reader turns into a ``ModelError``.
"""
from __future__ import annotations

import struct

import numpy as np

_U16 = struct.Struct("<H")
_I32 = struct.Struct("<i")
_U32 = struct.Struct("<I")

SCALARS = {  # kind -> (struct format, byte width)
    "bool": ("<?", 1), "int8": ("<b", 1), "uint8": ("<B", 1), "int16": ("<h", 2),
    "uint16": ("<H", 2), "int32": ("<i", 4), "uint32": ("<I", 4), "int64": ("<q", 8),
    "uint64": ("<Q", 8), "float32": ("<f", 4), "float64": ("<d", 8),
}
_NUMPY = {"bool": "u1", "int8": "<i1", "uint8": "u1", "int16": "<i2", "uint16": "<u2",
          "int32": "<i4", "uint32": "<u4", "int64": "<i8", "uint64": "<u8",
          "float32": "<f4", "float64": "<f8"}


class FlatBufferError(Exception):
    """Malformed flatbuffer; ``where`` says which field (e.g. "subgraphs[0].tensors[3].shape")."""

    def __init__(self, message: str, where: str = ""):
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class Buffer:
    """Bounds-checked little-endian reads from an immutable byte string."""

    def __init__(self, data: bytes):
        self.data = bytes(data)
        self.size = len(self.data)

    def check(self, pos: int, nbytes: int, where: str) -> None:
        if pos < 0 or nbytes < 0 or pos + nbytes > self.size:
            raise FlatBufferError(f"reads bytes [{pos}, {pos + nbytes}) outside the "
                                  f"{self.size}-byte file", where)

    def scalar(self, pos: int, kind: str, where: str):
        fmt, width = SCALARS[kind]
        self.check(pos, width, where)
        return struct.unpack_from(fmt, self.data, pos)[0]

    def u32(self, pos: int, where: str) -> int:
        self.check(pos, 4, where)
        return _U32.unpack_from(self.data, pos)[0]

    def follow(self, pos: int, where: str) -> int:
        """Target of the uoffset stored at ``pos``."""
        target = pos + self.u32(pos, where)
        self.check(target, 4, where)  # everything an offset points at starts with >= 4 bytes
        return target

    def root(self) -> "Table":
        return self.table(self.follow(0, "root offset"), "root")

    def identifier(self) -> bytes:
        return self.data[4:8] if self.size >= 8 else b""

    def table(self, pos: int, where: str) -> "Table":
        self.check(pos, 4, where)
        vtable = pos - _I32.unpack_from(self.data, pos)[0]
        self.check(vtable, 4, where + " (vtable)")
        vt_bytes = _U16.unpack_from(self.data, vtable)[0]
        table_bytes = _U16.unpack_from(self.data, vtable + 2)[0]
        if vt_bytes < 4 or vt_bytes % 2:
            raise FlatBufferError(f"vtable size {vt_bytes} is not an even number >= 4", where)
        self.check(vtable, vt_bytes, where + " (vtable)")
        if table_bytes < 4:
            raise FlatBufferError(f"table size {table_bytes} < 4", where)
        self.check(pos, table_bytes, where)
        return Table(self, pos, vtable, vt_bytes, table_bytes, where)


class Table:
    def __init__(self, buf: Buffer, pos: int, vtable: int, vt_bytes: int, table_bytes: int,
                 where: str):
        self.buf, self.pos, self.where = buf, pos, where
        self._vtable, self._num_fields, self._table_bytes = vtable, (vt_bytes - 4) // 2, table_bytes

    def _field(self, fid: int, width: int, name: str) -> int | None:
        """Absolute position of field ``fid`` or None when absent; checked to lie in the table."""
        if fid >= self._num_fields:
            return None
        off = _U16.unpack_from(self.buf.data, self._vtable + 4 + 2 * fid)[0]
        if off == 0:
            return None
        if off < 4 or off + width > self._table_bytes:
            raise FlatBufferError(f"field offset {off} (+{width} bytes) outside the "
                                  f"{self._table_bytes}-byte table", self._sub(name))
        return self.pos + off

    def _sub(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def has(self, fid: int) -> bool:
        return self._field(fid, 1, f"field {fid}") is not None

    def scalar(self, fid: int, kind: str, default, name: str):
        pos = self._field(fid, SCALARS[kind][1], name)
        return default if pos is None else self.buf.scalar(pos, kind, self._sub(name))

    def table(self, fid: int, name: str) -> "Table | None":
        pos = self._field(fid, 4, name)
        if pos is None:
            return None
        return self.buf.table(self.buf.follow(pos, self._sub(name)), self._sub(name))

    def _vector(self, fid: int, elem_bytes: int, name: str) -> tuple[int, int] | None:
        """(start of elements, count) of a vector field, bounds-checked as a whole."""
        pos = self._field(fid, 4, name)
        if pos is None:
            return None
        where = self._sub(name)
        start = self.buf.follow(pos, where)
        count = self.buf.u32(start, where)
        self.buf.check(start + 4, count * elem_bytes, where + f" ({count} elements)")
        return start + 4, count

    def string(self, fid: int, name: str, default: str = "") -> str:
        vec = self._vector(fid, 1, name)
        if vec is None:
            return default
        start, n = vec
        return self.buf.data[start:start + n].decode("utf-8", errors="replace")

    def raw_bytes(self, fid: int, name: str) -> bytes | None:
        vec = self._vector(fid, 1, name)
        return None if vec is None else self.buf.data[vec[0]:vec[0] + vec[1]]

    def numbers(self, fid: int, kind: str, name: str) -> np.ndarray | None:
        """A vector of scalars as a NumPy array (a copy), or None when absent."""
        vec = self._vector(fid, SCALARS[kind][1], name)
        if vec is None:
            return None
        start, n = vec
        return np.frombuffer(self.buf.data, dtype=_NUMPY[kind], count=n, offset=start).copy()

    def num_tables(self, fid: int, name: str) -> int:
        vec = self._vector(fid, 4, name)
        return 0 if vec is None else vec[1]

    def tables(self, fid: int, name: str) -> list["Table"]:
        """Every element of a vector of tables (each one checked)."""
        vec = self._vector(fid, 4, name)
        if vec is None:
            return []
        start, n = vec
        return [self.buf.table(self.buf.follow(start + 4 * i, f"{self._sub(name)}[{i}]"),
                               f"{self._sub(name)}[{i}]") for i in range(n)]

    def table_at(self, fid: int, name: str, index: int) -> "Table":
        vec = self._vector(fid, 4, name)
        if vec is None or not 0 <= index < vec[1]:
            raise FlatBufferError(f"index {index} out of range", self._sub(name))
        where = f"{self._sub(name)}[{index}]"
        return self.buf.table(self.buf.follow(vec[0] + 4 * index, where), where)
