"""ctypes Structures of the public C parameter structs, read from cross_kernels/include/*.h.

Tests build their kernel arguments from these instead of restating each struct by hand, so a
field added, renamed or reordered in a header reaches every test at once. The headers declare
parameter structs in one plain form, which is all this reads:

    typedef struct {
        int32_t a, b;          /* comment */
        int32_t dims[4];
        float scale;
    } ck_name;

test_cstructs.py checks every struct read here against the layout the compiler gives it (the
DWARF of an object compiled from the same headers).

    Params = cstructs.struct("ck_relu_s8_params")
    names = cstructs.fields("ck_conv_params")     # field order
    p = cstructs.int32_array("ck_fc_f32_params", batches=1, in_features=8, out_features=4,
                             activation=0)        # an all-int32 struct as the array kernels take
"""
from __future__ import annotations

import ctypes
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from tests.helpers import hostlib

CTYPES = {"int32_t": ctypes.c_int32, "uint32_t": ctypes.c_uint32, "int16_t": ctypes.c_int16,
          "int8_t": ctypes.c_int8, "uint8_t": ctypes.c_uint8, "float": ctypes.c_float}
_TYPEDEF = re.compile(r"typedef\s+struct\s*\{(?P<body>[^{}]*)\}\s*(?P<name>\w+)\s*;")
_DECL = re.compile(r"^(?P<type>\w+)\s+(?P<names>[^;]+);$")
_NAME = re.compile(r"^(?P<name>\w+)(?:\[(?P<n>\d+)\])?$")


def _strip_comments(text: str) -> str:
    return re.sub(r"//[^\n]*", "", re.sub(r"/\*.*?\*/", " ", text, flags=re.S))


def parse_header(text: str) -> dict[str, list[tuple[str, object]]]:
    """{struct name: ctypes _fields_} for every ``typedef struct {...} name;`` in ``text``."""
    out = {}
    for m in _TYPEDEF.finditer(_strip_comments(text)):
        fields = []
        for decl in (d.strip() + ";" for d in m["body"].split(";") if d.strip()):
            d = _DECL.match(" ".join(decl.split()))
            if d is None or d["type"] not in CTYPES:
                raise ValueError(f"{m['name']}: cannot read the declaration {decl!r}")
            for item in d["names"].split(","):
                n = _NAME.match(item.strip())
                if n is None:
                    raise ValueError(f"{m['name']}: cannot read the member {item.strip()!r}")
                t = CTYPES[d["type"]]
                fields.append((n["name"], t * int(n["n"]) if n["n"] else t))
        out[m["name"]] = fields
    return out


@lru_cache(maxsize=1)
def all_structs() -> dict[str, type]:
    """Every public parameter struct, as a ctypes.Structure subclass named after its typedef."""
    out = {}
    for header in sorted(hostlib.INCLUDE.glob("*.h")):
        for name, fields in parse_header(Path(header).read_text()).items():
            out[name] = type(name, (ctypes.Structure,), {"_fields_": fields})
    return out


def struct(name: str) -> type:
    """The ctypes Structure of the C struct ``name`` (KeyError names the known ones)."""
    structs = all_structs()
    if name not in structs:
        raise KeyError(f"{name}: no such struct in {hostlib.INCLUDE}; known: {', '.join(sorted(structs))}")
    return structs[name]


def fields(name: str) -> tuple[str, ...]:
    """Member names of ``name`` in declaration order (an all-int32 struct is that int32 array)."""
    return tuple(f for f, _ in struct(name)._fields_)


def int32_array(name: str, **values) -> np.ndarray:
    """The all-int32 struct ``name`` as an int32 array in field order (its memory image); every
    field named once, array fields as sequences of their length."""
    names = fields(name)
    if set(values) != set(names):
        raise KeyError(f"{name}: missing {sorted(set(names) - set(values))}, "
                       f"unknown {sorted(set(values) - set(names))}")
    s = struct(name)()
    for n in names:
        if isinstance(values[n], (list, tuple, np.ndarray)):
            getattr(s, n)[:] = [int(v) for v in values[n]]
        else:
            setattr(s, n, int(values[n]))
    if ctypes.sizeof(s) % 4 or any(t._type_ is not ctypes.c_int32 if hasattr(t, "_length_")
                                   else t is not ctypes.c_int32 for _, t in s._fields_):
        raise TypeError(f"{name} is not all int32")
    return np.frombuffer(bytes(s), dtype=np.int32).copy()
