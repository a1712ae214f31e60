"""ctypes Structures as ``Firmware.call`` arguments: laid out for the 32-bit target, copied
into target RAM with every array they point to, and read back after the call.

The host's ctypes layout is not the target's (pointers are 8 bytes on a 64-bit host, 4 on a
Cortex-M), so the layout is computed here from the field types by the AAPCS rules: every
type aligned to its size (8-byte types to 8), a struct to its largest member, padded to a
multiple of it ("Procedure Call Standard for the Arm Architecture", IHI 0042, 5.1 and 5.3).
``_pack_`` is honoured. Give integer fields fixed-width types (``c_int32``): on a 64-bit
Linux host ``c_long`` *is* ``c_int64``, so its target size cannot be told apart.

Pointer fields (``c_void_p``, ``POINTER(T)``) name the array they point to with
:func:`ref`::

    ctx = cmsis_nn_context(buf=ref(scratch, ctypes.c_void_p), size=scratch.nbytes)
    quant = cmsis_nn_per_channel_quant_params(multiplier=ref(mult), shift=ref(shift))
    fw.call("arm_convolve_wrapper_s8", ctx, conv_params, ...)

When the firmware's debug info declares the parameter, the layout is checked against the C
declaration (struct size, member count and offsets) and a mismatch is a
:class:`~simulator.errors.StructLayoutError` naming the type and field.
"""
from __future__ import annotations

import ctypes
import struct as _struct
import weakref
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, StructLayoutError

POINTER_SIZE = 4
_REFS: "weakref.WeakValueDictionary[int, np.ndarray]" = weakref.WeakValueDictionary()

_SCALARS = {  # ctypes type -> struct format for the target (little-endian)
    ctypes.c_int8: "b", ctypes.c_uint8: "B", ctypes.c_bool: "?", ctypes.c_char: "c",
    ctypes.c_int16: "h", ctypes.c_uint16: "H", ctypes.c_int32: "i", ctypes.c_uint32: "I",
    ctypes.c_int64: "q", ctypes.c_uint64: "Q", ctypes.c_float: "f", ctypes.c_double: "d",
}


def ref(array: np.ndarray, ctype=None):
    """A pointer to ``array`` (C-contiguous) for a struct's pointer field: typed after the
    array's dtype (``POINTER(c_int32)`` for int32, as ctypes wants for an ``int32_t *`` field),
    or of ``ctype`` (``ctypes.c_void_p`` for a ``void *`` field). The array is remembered
    (weakly) so ``Firmware.call`` can copy it into target RAM and back."""
    if not isinstance(array, np.ndarray) or not array.flags["C_CONTIGUOUS"]:
        raise ConfigError("ref() takes a C-contiguous NumPy array (use np.ascontiguousarray)")
    _REFS[array.ctypes.data] = array
    if ctype is None:
        ctype = ctypes.POINTER(np.ctypeslib.as_ctypes_type(array.dtype))
    if ctype is ctypes.c_void_p:
        return ctypes.c_void_p(array.ctypes.data)
    return ctypes.cast(array.ctypes.data, ctype)


def _is_pointer(t) -> bool:
    return t in (ctypes.c_void_p, ctypes.c_char_p) or (isinstance(t, type) and issubclass(t, ctypes._Pointer))


def size_align(t) -> tuple[int, int]:
    """Size and alignment of ctypes type ``t`` on the target."""
    if t in _SCALARS:
        n = _struct.calcsize("<" + _SCALARS[t])
        return n, n
    if _is_pointer(t):
        return POINTER_SIZE, POINTER_SIZE
    if isinstance(t, type) and issubclass(t, ctypes.Array):
        n, a = size_align(t._type_)
        return n * t._length_, a
    if isinstance(t, type) and issubclass(t, ctypes.Structure):
        lay = layout(t)
        return lay.size, lay.align
    raise ConfigError(f"ctypes type {getattr(t, '__name__', t)} has no fixed target size: use c_int8..c_int64, "
                      "c_uint*, c_float, c_double, pointers, arrays or Structures")


@dataclass
class Layout:
    name: str
    size: int
    align: int
    fields: list   # (name, ctype, offset, size)


def layout(cls) -> Layout:
    pack = getattr(cls, "_pack_", 0) or 0
    offset, align, fields = 0, 1, []
    for entry in cls._fields_:
        if len(entry) != 2:
            raise ConfigError(f"{cls.__name__}.{entry[0]}: bit fields are not supported")
        name, t = entry
        n, a = size_align(t)
        if pack:
            a = min(a, pack)
        offset = (offset + a - 1) // a * a
        fields.append((name, t, offset, n))
        offset += n
        align = max(align, a)
    return Layout(cls.__name__, (offset + align - 1) // align * align, align, fields)


class Marshaller:
    """Places structures and the arrays they point to in target RAM, through ``place(bytes)``
    (which returns the target address) and ``write(addr, bytes)``."""

    def __init__(self, place, arg_name: str):
        self.place = place
        self.arg_name = arg_name
        self.arrays = {}        # host address -> (target address, array)
        self.structs = []       # (target address, ctypes object), read back after the call

    def put_struct(self, obj) -> int:
        data = self.encode(obj)
        addr = self.place(data, layout(type(obj)).align, f"{self.arg_name} ({type(obj).__name__})")
        self.structs.append((addr, obj))
        return addr

    def encode(self, obj) -> bytes:
        lay = layout(type(obj))
        buf = bytearray(lay.size)
        for name, t, off, n in lay.fields:
            buf[off:off + n] = self._encode_value(t, getattr(obj, name), f"{lay.name}.{name}", obj)
        return bytes(buf)

    def _encode_value(self, t, value, where: str, owner) -> bytes:
        if t in _SCALARS:
            if t is ctypes.c_char and isinstance(value, bytes):
                return value[:1] or b"\0"
            return _struct.pack("<" + _SCALARS[t], value)
        if _is_pointer(t):
            return _struct.pack("<I", self._pointer(value, where, owner))
        if isinstance(t, type) and issubclass(t, ctypes.Array):
            if t._type_ is ctypes.c_char:        # ctypes hands char arrays over as bytes
                return bytes(value).ljust(t._length_, b"\0")[:t._length_]
            return b"".join(self._encode_value(t._type_, v, where, owner) for v in value)
        return self.encode(value)   # nested Structure, by value

    def _pointer(self, value, where: str, owner) -> int:
        host = value if isinstance(value, int) or value is None else ctypes.cast(value, ctypes.c_void_p).value
        if not host:
            return 0
        arr = _find_array(host, owner)
        if arr is None:
            raise ConfigError(f"{self.arg_name}: pointer field {where} points at host memory mcusim has no "
                              "array for; assign simulator.ref(array) to it")
        base = arr.ctypes.data
        if base not in self.arrays:
            self.arrays[base] = (self.place(arr.tobytes(), 8, f"{self.arg_name}: {where}"), arr)
        return self.arrays[base][0] + (host - base)

    def read_back(self, read) -> None:
        """Copy every pointed-to array and every structure back from target RAM."""
        for target, arr in self.arrays.values():
            flat = np.frombuffer(read(target, arr.nbytes), dtype=arr.dtype).reshape(arr.shape)
            if arr.flags.writeable:
                arr[...] = flat
        for addr, obj in self.structs:
            self._decode_into(obj, read(addr, layout(type(obj)).size))

    def _decode_into(self, obj, data: bytes) -> None:
        for name, t, off, n in layout(type(obj)).fields:
            chunk = data[off:off + n]
            if t in _SCALARS:
                setattr(obj, name, _struct.unpack("<" + _SCALARS[t], chunk)[0])
            elif isinstance(t, type) and issubclass(t, ctypes.Structure):
                self._decode_into(getattr(obj, name), chunk)
            elif isinstance(t, type) and issubclass(t, ctypes.Array) and t._type_ in _SCALARS \
                    and t._type_ is not ctypes.c_char:
                fmt = "<" + _SCALARS[t._type_] * t._length_
                getattr(obj, name)[:] = _struct.unpack(fmt, chunk)
            # pointers keep their host value (the arrays they name are read back themselves)


def _find_array(host: int, owner):
    arr = _REFS.get(host)
    if arr is not None:
        return arr
    for arr in list(_REFS.values()):     # a pointer into the middle of a ref'd array
        if arr.ctypes.data <= host < arr.ctypes.data + max(arr.nbytes, 1):
            return arr
    return None


# ---- checking against the C declaration ---------------------------------------------------

def check_against_dwarf(lay: Layout, c_type, function: str, index: int) -> None:
    """Compare ``lay`` with the struct ``c_type`` (a dict from :mod:`.dwarf_types`), and every
    struct it holds by value with the C member's struct."""
    if c_type is not None:
        _check_struct(lay, c_type, f"{function}: argument {index} ({lay.name})")


def _check_struct(lay: Layout, c_type: dict, where: str) -> None:
    if c_type["size"] != lay.size:
        raise StructLayoutError(f"{where}: Python layout is {lay.size} B, the C declaration of "
                                f"{c_type['name']} is {c_type['size']} B")
    members = c_type["members"]
    if len(members) != len(lay.fields):
        raise StructLayoutError(f"{where}: {len(lay.fields)} fields in Python, {len(members)} in C "
                                f"{c_type['name']} ({', '.join(m[0] for m in members)})")
    for (py_name, t, off, n), (c_name, c_off, c_size, nested) in zip(lay.fields, members):
        if off != c_off or (c_size is not None and n != c_size):
            raise StructLayoutError(f"{where}: field {py_name!r} at offset {off} ({n} B) but C member "
                                    f"{c_type['name']}.{c_name} is at offset {c_off} ({c_size} B)")
        inner = _inner_layout(t)
        if nested is not None and inner is not None:
            _check_struct(inner, nested, f"{where}, field {py_name!r} ({inner.name})")


def _inner_layout(t) -> Layout | None:
    """The layout of a struct held by value in a field of type ``t`` (ctypes Structure or an
    array of them, NumPy structured dtype or a sub-array of one); None for anything else."""
    if isinstance(t, np.dtype):
        base = t.subdtype[0] if t.subdtype else t
        return dtype_layout(base) if base.fields else None
    if isinstance(t, type) and issubclass(t, ctypes.Array):
        return _inner_layout(t._type_)
    if isinstance(t, type) and issubclass(t, ctypes.Structure):
        return layout(t)
    return None


def dtype_layout(dtype: np.dtype) -> Layout:
    """A NumPy structured dtype as a Layout (offsets as NumPy placed them)."""
    fields = sorted(((name, off, dt) for name, (dt, off, *_rest) in dtype.fields.items()), key=lambda f: f[1])
    return Layout(f"dtype{[f[0] for f in fields]}", dtype.itemsize, dtype.alignment,
                  [(name, dt, off, dt.itemsize) for name, off, dt in fields])
