"""cstructs.py reads the public headers' parameter structs; the compiler is the oracle: every
struct's ctypes layout (size, member names, offsets, sizes) must match the DWARF of an object
compiled from the same headers for a Cortex-M4."""
from __future__ import annotations

import ctypes
import subprocess
import sys

import pytest

from tests.helpers import cstructs
from tests.helpers import hostlib
from simulator.errors import StructLayoutError
from simulator.machine.dwarf_types import parameter_structs
from simulator.machine.structs import check_against_dwarf, layout

NAMES = sorted(cstructs.all_structs())


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """An object with one function per struct, taking a pointer to it, compiled with -g."""
    tmp = tmp_path_factory.mktemp("cstructs")
    headers = "".join(f'#include "{h.name}"\n' for h in sorted(hostlib.INCLUDE.glob("*.h")))
    probes = "".join(f"void ck_probe_{n}(const {n} *p) {{ (void)p; }}\n" for n in NAMES)
    src, obj = tmp / "probe.c", tmp / "probe.o"
    src.write_text(headers + probes)
    subprocess.run([sys.executable, "-m", "ziglang", "cc", *hostlib.CORES["cortex-m4"], "-O0", "-g",
                    "-std=c11", f"-I{hostlib.INCLUDE}", "-c", str(src), "-o", str(obj)], check=True)
    return obj


def dwarf_struct(obj, name):
    return parameter_structs(obj, obj.stat().st_mtime_ns, f"ck_probe_{name}")[0]


def test_every_typedef_struct_is_read():
    n = sum(h.read_text().count("typedef struct") for h in hostlib.INCLUDE.glob("*.h"))
    assert len(NAMES) == n and n > 0


@pytest.mark.parametrize("name", NAMES)
def test_layout_matches_the_compiler(probe, name):
    c_type = dwarf_struct(probe, name)
    assert c_type is not None and c_type["name"] == name
    check_against_dwarf(layout(cstructs.struct(name)), c_type, f"ck_probe_{name}", 0)
    assert cstructs.fields(name) == tuple(m[0] for m in c_type["members"])


def test_a_misread_header_is_caught(probe):
    # the oracle can fail: read ck_relu_s8_params with one member declared int8
    text = "typedef struct { int32_t size; int8_t input_zp; int32_t output_zp, multiplier, shift;" \
           " int32_t act_min, act_max; } ck_relu_s8_params;"
    wrong = type("wrong", (ctypes.Structure,),
                 {"_fields_": cstructs.parse_header(text)["ck_relu_s8_params"]})
    with pytest.raises(StructLayoutError):
        check_against_dwarf(layout(wrong), dwarf_struct(probe, "ck_relu_s8_params"), "probe", 0)


def test_unreadable_declarations_are_errors():
    with pytest.raises(ValueError, match="ck_x"):
        cstructs.parse_header("typedef struct { double d; } ck_x;")
    with pytest.raises(KeyError, match="ck_nope"):
        cstructs.struct("ck_nope")


def test_int32_array_is_the_struct_image():
    p = cstructs.int32_array("ck_pad_f32_params", in_dims=(1, 2, 3, 4), pad_before=(0, 1, 0, 1),
                             pad_after=(2, 0, 2, 0))
    assert p.tolist() == [1, 2, 3, 4, 0, 1, 0, 1, 2, 0, 2, 0]
    with pytest.raises(KeyError, match="missing"):
        cstructs.int32_array("ck_fc_f32_params", batches=1, in_features=2, out_features=3)
    with pytest.raises(TypeError, match="not all int32"):
        cstructs.int32_array("ck_affine_f32_params", size=1, scale=1, zero_point=0)
