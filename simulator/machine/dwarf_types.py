"""C declarations from an ELF's DWARF: what a function's parameters point to.

Used to check a ctypes Structure passed to ``Firmware.call`` against the struct the C code
was compiled with (size, members and their offsets), so a Python-side layout mistake is a
named error instead of a kernel reading garbage.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from elftools.elf.elffile import ELFFile

POINTER_SIZE = 4   # ILP32 (AAPCS); clang leaves DW_AT_byte_size off pointer types
_MAX_NESTING = 16  # structs hold structs by value only finitely; a guard against malformed DWARF
_QUALIFIERS = ("DW_TAG_typedef", "DW_TAG_const_type", "DW_TAG_volatile_type", "DW_TAG_restrict_type")


def _name(die) -> str | None:
    attr = die.attributes.get("DW_AT_name")
    return attr.value.decode(errors="replace") if attr else None


def _strip(die):
    while die is not None and die.tag in _QUALIFIERS:
        die = die.get_DIE_from_attribute("DW_AT_type") if "DW_AT_type" in die.attributes else None
    return die


def _size(die) -> int | None:
    die = _strip(die)
    if die is None:
        return None
    if die.tag == "DW_TAG_pointer_type" and "DW_AT_byte_size" not in die.attributes:
        return POINTER_SIZE
    if "DW_AT_byte_size" in die.attributes:
        return die.attributes["DW_AT_byte_size"].value
    if die.tag == "DW_TAG_array_type":
        n = 1
        for sub in die.iter_children():
            if sub.tag == "DW_TAG_subrange_type":
                if "DW_AT_count" in sub.attributes:
                    n *= sub.attributes["DW_AT_count"].value
                elif "DW_AT_upper_bound" in sub.attributes:
                    n *= sub.attributes["DW_AT_upper_bound"].value + 1
                else:
                    return None
        elem = _size(die.get_DIE_from_attribute("DW_AT_type"))
        return None if elem is None else elem * n
    return None


def _struct(die) -> dict | None:
    """The struct a parameter points to (or is), as {name, size, members}."""
    die = _strip(die)
    if die is not None and die.tag == "DW_TAG_pointer_type" and "DW_AT_type" in die.attributes:
        die = die.get_DIE_from_attribute("DW_AT_type")
    return _by_value(die)


def _by_value(die, depth: int = 0) -> dict | None:
    """A struct type (through typedefs and qualifiers, not pointers) as {name, size, members:
    [(name, offset, size, nested)]}; ``nested`` describes a member that is itself a struct,
    or an array of structs (its element), by value."""
    typedef = None
    while die is not None and die.tag in _QUALIFIERS:
        typedef = _name(die) if die.tag == "DW_TAG_typedef" else typedef
        die = die.get_DIE_from_attribute("DW_AT_type") if "DW_AT_type" in die.attributes else None
    if die is None or die.tag != "DW_TAG_structure_type" or "DW_AT_byte_size" not in die.attributes \
            or depth > _MAX_NESTING:
        return None
    members = []
    for m in die.iter_children():
        if m.tag != "DW_TAG_member":
            continue
        off = m.attributes.get("DW_AT_data_member_location")
        mtype = m.get_DIE_from_attribute("DW_AT_type")
        members.append((_name(m) or "?", off.value if off is not None else 0, _size(mtype),
                        _by_value(_element(mtype), depth + 1)))
    return {"name": _name(die) or typedef or "(anonymous struct)", "size": die.attributes["DW_AT_byte_size"].value,
            "members": members}


def _element(die):
    """An array type's element type; any other type itself."""
    bare = _strip(die)
    if bare is not None and bare.tag == "DW_TAG_array_type" and "DW_AT_type" in bare.attributes:
        return bare.get_DIE_from_attribute("DW_AT_type")
    return die


@lru_cache(maxsize=64)
def parameter_structs(elf_path: Path, mtime_ns: int, function: str) -> tuple | None:
    """Per parameter of ``function``: the struct it points to (dict) or None; None when the
    debug info does not describe the function."""
    with open(elf_path, "rb") as f:
        elf = ELFFile(f)
        if not elf.has_dwarf_info():
            return None
        dwarf = elf.get_dwarf_info()
        for cu in dwarf.iter_CUs():
            for die in cu.get_top_DIE().iter_children():
                if die.tag != "DW_TAG_subprogram" or _name(die) != function or not die.has_children:
                    continue
                params = [c for c in die.iter_children() if c.tag == "DW_TAG_formal_parameter"]
                return tuple(_struct(p.get_DIE_from_attribute("DW_AT_type")) if "DW_AT_type" in p.attributes
                             else None for p in params)
    return None
