"""Where every field of a model lives: flatbuffer field sites, and hostile values to write there."""
from __future__ import annotations

import math
import random
import struct
from dataclasses import dataclass

from ..frontend import schema
from ..frontend.flatbuf import Buffer, Table
from ..frontend.schema import F


@dataclass(frozen=True)
class Site:
    """One field of a flatbuffer: byte position, kind (how to write it) and a label."""
    pos: int
    kind: str       # u8 i8 u16 i32 u32 i64 u64 f32 uoffset count
    label: str


_WIDTH = {"u8": 1, "i8": 1, "u16": 2, "i32": 4, "u32": 4, "uoffset": 4, "count": 4,
          "i64": 8, "u64": 8, "f32": 4}
_PACK = {"u8": "<B", "i8": "<b", "u16": "<H", "i32": "<i", "u32": "<I", "uoffset": "<I",
         "count": "<I", "i64": "<q", "u64": "<Q", "f32": "<f"}
_OPTION_KIND = {"int32": "i32", "float32": "f32", "bool": "u8", "padding": "i8",
                "activation": "i8", "weights_format": "i8", "tensor_type": "i8"}


class _SiteWalker:
    """Walks a well-formed model with our bounds-checked reader, recording field positions."""

    def __init__(self, data: bytes):
        self.buf = Buffer(data)
        self.sites: list[Site] = [Site(0, "uoffset", "root")]

    # The walker reuses the reader's private, bounds-checked field lookup (Table._field,
    # _vtable, _num_fields) so that a site is exactly where the reader will look.
    def _pos(self, t: Table, fid: int, width: int) -> int | None:
        return t._field(fid, width, f"field {fid}")

    def table(self, t: Table, label: str) -> None:
        self.sites.append(Site(t.pos, "i32", f"{label} (vtable soffset)"))
        for k in range(t._num_fields + 2):
            self.sites.append(Site(t._vtable + 2 * k, "u16", f"{label} vtable[{k}]"))

    def scalar(self, t: Table, fid: int, kind: str, label: str) -> None:
        pos = self._pos(t, fid, _WIDTH[kind])
        if pos is not None:
            self.sites.append(Site(pos, kind, label))

    def vector(self, t: Table, fid: int, kind: str | None, label: str) -> tuple[int, int] | None:
        pos = self._pos(t, fid, 4)
        if pos is None:
            return None
        self.sites.append(Site(pos, "uoffset", f"{label} (offset)"))
        start = self.buf.follow(pos, label)
        count = self.buf.u32(start, label)
        self.sites.append(Site(start, "count", f"{label} (count)"))
        if kind is not None:
            for i in range(min(count, 64)):
                self.sites.append(Site(start + 4 + _WIDTH[kind] * i, kind, f"{label}[{i}]"))
        return start + 4, count

    def sub(self, t: Table, fid: int, label: str) -> Table | None:
        pos = self._pos(t, fid, 4)
        if pos is None:
            return None
        self.sites.append(Site(pos, "uoffset", f"{label} (offset)"))
        child = t.table(fid, label)
        self.table(child, label)
        return child

    def tables(self, t: Table, fid: int, label: str) -> list[Table]:
        vec = self.vector(t, fid, None, label)
        if vec is None:
            return []
        out = t.tables(fid, label)
        for i, child in enumerate(out):
            self.sites.append(Site(vec[0] + 4 * i, "uoffset", f"{label}[{i}] (offset)"))
            self.table(child, f"{label}[{i}]")
        return out

    def walk(self) -> list[Site]:
        model = self.buf.root()
        self.table(model, "model")
        self.scalar(model, F.MODEL_VERSION, "u32", "version")
        for i, oc in enumerate(self.tables(model, F.MODEL_OPERATOR_CODES, "operator_codes")):
            self.scalar(oc, F.OPCODE_DEPRECATED_BUILTIN, "i8", f"operator_codes[{i}].deprecated")
            self.scalar(oc, F.OPCODE_BUILTIN, "i32", f"operator_codes[{i}].builtin_code")
        for i, b in enumerate(self.tables(model, F.MODEL_BUFFERS, "buffers")):
            self.vector(b, F.BUFFER_DATA, None, f"buffers[{i}].data")
            self.scalar(b, F.BUFFER_OFFSET, "u64", f"buffers[{i}].offset")
            self.scalar(b, F.BUFFER_SIZE, "u64", f"buffers[{i}].size")
        for sg in self.tables(model, F.MODEL_SUBGRAPHS, "subgraphs")[:1]:
            self._subgraph(sg)
        return self.sites

    def _subgraph(self, sg: Table) -> None:
        self.vector(sg, F.SUBGRAPH_INPUTS, "i32", "inputs")
        self.vector(sg, F.SUBGRAPH_OUTPUTS, "i32", "outputs")
        for i, t in enumerate(self.tables(sg, F.SUBGRAPH_TENSORS, "tensors")):
            where = f"tensors[{i}]"
            self.vector(t, F.TENSOR_SHAPE, "i32", f"{where}.shape")
            self.scalar(t, F.TENSOR_TYPE, "i8", f"{where}.type")
            self.scalar(t, F.TENSOR_BUFFER, "u32", f"{where}.buffer")
            q = self.sub(t, F.TENSOR_QUANT, f"{where}.quantization")
            if q is not None:
                self.vector(q, F.QUANT_SCALE, "f32", f"{where}.scale")
                self.vector(q, F.QUANT_ZERO_POINT, "i64", f"{where}.zero_point")
                self.scalar(q, F.QUANT_DIM, "i32", f"{where}.quantized_dimension")
        for i, op in enumerate(self.tables(sg, F.SUBGRAPH_OPERATORS, "operators")):
            where = f"operators[{i}]"
            self.scalar(op, F.OP_OPCODE_INDEX, "u32", f"{where}.opcode_index")
            self.vector(op, F.OP_INPUTS, "i32", f"{where}.inputs")
            self.vector(op, F.OP_OUTPUTS, "i32", f"{where}.outputs")
            self.scalar(op, F.OP_OPTIONS_TYPE, "u8", f"{where}.builtin_options_type")
            opts = self.sub(op, F.OP_OPTIONS, f"{where}.builtin_options")
            type_value = op.scalar(F.OP_OPTIONS_TYPE, "uint8", 0, "t")
            name = schema.options_type_name(type_value)
            if opts is None or name not in schema.OPTION_TABLES:
                continue
            for fid, (fname, kind, _default) in enumerate(schema.OPTION_TABLES[name]):
                if kind == "int_vector":
                    self.vector(opts, fid, "i32", f"{where}.{fname}")
                else:
                    self.scalar(opts, fid, _OPTION_KIND[kind], f"{where}.{fname}")


def field_sites(data: bytes) -> list[Site]:
    """Every field position of a well-formed .tflite model (raises on a malformed one)."""
    return _SiteWalker(data).walk()


def _hostile_value(rng: random.Random, kind: str, pos: int, size: int):
    if kind == "f32":
        return rng.choice([math.nan, math.inf, -math.inf, 0.0, -1.0, 1e-45, 3.4e38, -0.0])
    if kind in ("u8", "i8"):
        v = rng.choice([0, 1, 127, 128, 255, 5, 8, 11, 17, rng.randrange(256)])
        return v if kind == "u8" else (v - 256 if v > 127 else v)
    if kind == "u16":
        return rng.choice([0, 1, 2, 3, 4, 5, 0xFFFF, 0x8000, rng.randrange(64), rng.randrange(1 << 16)])
    if kind == "i32":
        return rng.choice([0, -1, 1, -2, 9, 255, 65535, 1 << 16, 1 << 24, (1 << 31) - 1, -(1 << 31),
                           rng.randrange(-300, 300), rng.randrange(-(1 << 31), 1 << 31)])
    if kind == "i64":
        return rng.choice([-(1 << 63), (1 << 63) - 1, 128, -129, 255, 256, -1, 1 << 40])
    if kind == "u64":
        return rng.choice([0, 1, 2, size - 1, size, size + 1, (1 << 64) - 1, 1 << 63, 1 << 32,
                           rng.randrange(size + 64)])
    # u32, count, uoffset: values that point at, just past, far past, or before the data
    return rng.choice([0, 1, 2, 3, 4, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFC,
                       size, size - pos, size - pos - 2, size - pos + 4, (size - pos) // 2,
                       rng.randrange(max(size - pos, 1)), rng.randrange(1 << 32)]) % (1 << 32)


def _write_site(data: bytearray, site: Site, value) -> None:
    struct.pack_into(_PACK[site.kind], data, site.pos, value)
