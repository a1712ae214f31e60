"""ctypes Structures as call() arguments: target layout, pointers to arrays, read back, and
the check against the C declaration in the firmware's DWARF."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest

from simulator import Machine, ref
from simulator.errors import ConfigError, StructLayoutError
from simulator.machine import structs

from .conftest import FIXTURES

I32 = ctypes.c_int32


class Dims(ctypes.Structure):
    _fields_ = [("n", I32), ("h", I32), ("w", I32), ("c", I32)]


class BufDesc(ctypes.Structure):
    _fields_ = [("data", ctypes.POINTER(ctypes.c_int8)), ("len", I32), ("dims", Dims),
                ("tag", ctypes.c_int16), ("total", ctypes.c_int64)]


@pytest.fixture(scope="module", params=["rp2040", "stm32h743"])
def fw(request):
    return Machine(request.param).build([FIXTURES / "structs.c"])


def test_target_layout_follows_the_aapcs():
    lay = structs.layout(BufDesc)
    # pointer 4 B at 0 (8 on the host), dims at 8, tag at 24, total aligned to 8 at 32
    assert [(name, off) for name, _t, off, _n in lay.fields] == \
        [("data", 0), ("len", 4), ("dims", 8), ("tag", 24), ("total", 32)]
    assert (lay.size, lay.align) == (40, 8)


def test_struct_with_pointer_is_copied_in_and_read_back(fw):
    data = np.zeros(10, np.int8)
    desc = BufDesc(data=ref(data), len=10, dims=Dims(1, 2, 3, 4), tag=0, total=0)
    r = fw.call("fill", desc, 5)
    assert r.value == 24
    assert np.array_equal(data, np.arange(5, 15, dtype=np.int8))   # the pointed-to array, in place
    assert desc.tag == 7 and desc.total == sum(range(5, 15))        # the struct's own fields


def test_layout_mismatch_with_the_c_declaration_is_named(fw):
    class Short(ctypes.Structure):      # 'tag' declared as int32: every later offset moves
        _fields_ = [("data", ctypes.POINTER(ctypes.c_int8)), ("len", I32), ("dims", Dims),
                    ("tag", I32), ("total", ctypes.c_int64)]
    data = np.zeros(4, np.int8)
    with pytest.raises(StructLayoutError, match=r"field 'tag' at offset 24 \(4 B\).*buf_desc_t.tag"):
        fw.call("fill", Short(data=ref(data), len=4), 0)

    class Fewer(ctypes.Structure):
        _fields_ = [("data", ctypes.POINTER(ctypes.c_int8)), ("len", I32)]
    with pytest.raises(StructLayoutError, match="8 B, the C declaration of buf_desc_t is 40 B"):
        fw.call("fill", Fewer(data=ref(data), len=4), 0)


def test_pointer_to_unknown_host_memory_is_refused(fw):
    data = np.zeros(4, np.int8)
    desc = BufDesc(data=data.ctypes.data_as(ctypes.POINTER(ctypes.c_int8)), len=4)
    with pytest.raises(ConfigError, match="BufDesc.data .*simulator.ref"):
        fw.call("fill", desc, 0)


def test_host_sized_types_are_refused():
    class Longs(ctypes.Structure):
        _fields_ = [("a", ctypes.c_char_p), ("b", ctypes.c_wchar)]
    with pytest.raises(ConfigError, match="no fixed target size"):
        structs.layout(Longs)


def test_numpy_structured_array_is_checked_against_the_c_struct(fw):
    """A NumPy structured array with the C layout passes as an array of structs; one whose
    layout differs from the C declaration is a StructLayoutError."""
    dt = np.dtype([("n", "<i4"), ("h", "<i4"), ("w", "<i4"), ("c", "<i4")], align=True)
    d = np.array([(2, 3, 4, 5), (1, 1, 1, 7)], dtype=dt)
    assert fw.call("volume_sum", d, 2).value == 120 + 7
    bad = np.zeros(2, np.dtype([("n", "<i4"), ("h", "<i2"), ("w", "<i4"), ("c", "<i4")], align=True))
    with pytest.raises(StructLayoutError, match="field 'h' at offset 4 \\(2 B\\)"):
        fw.call("volume_sum", bad, 2)


class Record(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char * 6), ("hist", ctypes.c_int16 * 3), ("shape", Dims * 2)]


def test_arrays_inside_a_struct_go_in_and_come_back(fw):
    rec = Record(name=b"conv", shape=(Dims(1, 2, 3, 4), Dims(5, 6, 7, 8)))
    r = fw.call("tally", rec)
    assert r.value == 4
    assert list(rec.hist) == [2 * 1 + 7, 2 * 2 + 7, 2 * 3 + 7]
    assert structs.layout(Record).size == 6 + 6 + 32


class NarrowDims(ctypes.Structure):     # 'h' declared int16: offsets still match dims_t's
    _fields_ = [("n", I32), ("h", ctypes.c_int16), ("w", I32), ("c", I32)]


def test_a_mismatch_inside_a_nested_struct_is_named(fw):
    """dims_t held by value: its 16 bytes and every outer offset match, only its member h is
    the wrong size. The check descends into it, and into arrays of structs."""
    class Desc(ctypes.Structure):
        _fields_ = [("data", ctypes.POINTER(ctypes.c_int8)), ("len", I32), ("dims", NarrowDims),
                    ("tag", ctypes.c_int16), ("total", ctypes.c_int64)]
    assert structs.layout(Desc).size == structs.layout(BufDesc).size
    data = np.zeros(4, np.int8)
    with pytest.raises(StructLayoutError, match=r"field 'dims' \(NarrowDims\): field 'h' at offset 4 \(2 B\) "
                                                r"but C member dims_t.h is at offset 4 \(4 B\)"):
        fw.call("fill", Desc(data=ref(data), len=4), 0)

    class Rec(ctypes.Structure):
        _fields_ = [("name", ctypes.c_char * 6), ("hist", ctypes.c_int16 * 3), ("shape", NarrowDims * 2)]
    with pytest.raises(StructLayoutError, match=r"field 'shape' \(NarrowDims\): field 'h'"):
        fw.call("tally", Rec(name=b"x"))


def test_a_nested_numpy_dtype_is_checked_inside(fw):
    good = np.dtype([("n", "<i4"), ("h", "<i4"), ("w", "<i4"), ("c", "<i4")], align=True)
    bad = np.dtype([("n", "<i4"), ("h", "<i2"), ("w", "<i4"), ("c", "<i4")], align=True)

    def record(dims):
        return np.zeros(1, np.dtype([("name", "S6"), ("hist", "<i2", (3,)), ("shape", dims, (2,))], align=True))
    assert fw.call("tally", record(good)).value == 0
    with pytest.raises(StructLayoutError, match=r"field 'shape' .*field 'h' at offset 4 \(2 B\)"):
        fw.call("tally", record(bad))
