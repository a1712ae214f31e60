"""Prebuilt objects and archives checked against the core a firmware is built for.

arm-none-eabi-gcc's ld refuses to link an object whose float calling convention differs from
the rest ("uses VFP register arguments, x.o does not"); zig's lld links it silently, and a
float function then reads its arguments from the wrong registers. So before linking we
compare each prebuilt input's build attributes (the ``.ARM.attributes`` section every Arm
compiler writes) with those of an object this build compiled for the core, under both
toolchains alike: the float argument convention must agree, and the object's architecture
must be one the core executes.

Source of the tag numbers and values: "Addenda to, and Errata in, the ABI for the Arm
Architecture" (Arm IHI 0045), section 3 "Build attributes": Tag_CPU_arch (6),
Tag_CPU_arch_profile (7), Tag_ABI_VFP_args (28).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from ..errors import IncompatibleObject

# Tag_CPU_arch values (IHI 0045 3.3.5.2) of the M profile and the older ones it runs.
ARCH_NAMES = {10: "armv7", 11: "armv6-m", 12: "armv6s-m", 13: "armv7e-m", 16: "armv8-m.base",
              17: "armv8-m.main"}
# Which architectures' code a core of each architecture executes: each M-profile architecture
# contains the instruction sets of the ones before it in its line (ARMv7-M ARM DDI0403 A1.2:
# ARMv6-M is a subset of ARMv7-M; ARMv8-M ARM DDI0553 A1.2: Baseline extends ARMv6-M,
# Mainline extends ARMv7-M and Baseline).
RUNS = {11: {11, 12}, 12: {11, 12}, 10: {10, 11, 12}, 13: {10, 11, 12, 13},
        16: {11, 12, 16}, 17: {10, 11, 12, 13, 16, 17}}
# Tag_ABI_VFP_args (IHI 0045 3.3.5.7): 0 base AAPCS (floats in core registers), 1 VFP
# registers, 2 toolchain-specific, 3 no float arguments (compatible with both).
VFP_ARGS = {0: "soft-float calls (floats in core registers)", 1: "hard-float calls (floats in VFP registers)"}
PROFILE_M = ord("M")


@dataclass(frozen=True)
class Attributes:
    arch: int | None
    profile: int | None
    vfp_args: int           # absent means 0 (the base standard)

    def describe(self) -> str:
        arch = ARCH_NAMES.get(self.arch, f"architecture {self.arch}") if self.arch is not None else "unknown"
        return f"{arch}, {VFP_ARGS.get(self.vfp_args, f'float-argument convention {self.vfp_args}')}"


def read_attributes(elf: ELFFile) -> Attributes | None:
    sec = elf.get_section_by_name(".ARM.attributes")
    if sec is None or not hasattr(sec, "iter_subsections"):
        return None
    tags = {}
    for sub in sec.iter_subsections():
        for subsub in sub.iter_subsubsections():
            for attr in subsub.iter_attributes():
                tags.setdefault(attr.tag, attr.value)
    return Attributes(tags.get("TAG_CPU_ARCH"), tags.get("TAG_CPU_ARCH_PROFILE"), tags.get("TAG_ABI_VFP_ARGS", 0))


def iter_objects(path: Path):
    """(display name, ELF bytes) of a .o file, or of every ELF member of a .a archive (the
    common ar format: an 8-byte magic, then members with 60-byte headers, 2-byte aligned)."""
    data = path.read_bytes()
    if not data.startswith(b"!<arch>\n"):
        yield path.name, data
        return
    pos, names = 8, b""
    while pos + 60 <= len(data):
        header = data[pos:pos + 60]
        name = header[:16].decode(errors="replace").strip()
        try:
            size = int(header[48:58].decode().strip() or 0)
        except ValueError:
            return                                  # not an archive we understand: let the linker judge
        body = data[pos + 60:pos + 60 + size]
        if name == "//":
            names = body
        elif name.startswith("/") and name[1:].isdigit() and names:
            start = int(name[1:])
            end = names.find(b"/\n", start)
            name = names[start:end if end >= 0 else None].decode(errors="replace")
        if body.startswith(b"\x7fELF"):
            yield f"{path.name}({name.rstrip('/')})", body
        pos += 60 + size + (size & 1)


def check_compatible(reference: Path, inputs, core_name: str) -> None:
    """Raise :class:`IncompatibleObject` for the first object in ``inputs`` (.o/.a paths) that
    the firmware compiled as ``reference`` cannot be linked with."""
    with open(reference, "rb") as f:
        want = read_attributes(ELFFile(f))
    if want is None:
        return
    for path in inputs:
        for name, body in iter_objects(Path(path)):
            try:
                have = read_attributes(ELFFile(io.BytesIO(body)))
            except ELFError:
                continue
            problem = _problem(have, want) if have is not None else None
            if problem:
                raise IncompatibleObject(
                    f"linking: {name} was compiled for {have.describe()}; this firmware's core is {core_name} "
                    f"({want.describe()}): {problem}. Rebuild it for this board (mcusim lib --board ..., or "
                    f"Machine.build_library)", input=name)


def _problem(have: Attributes, want: Attributes) -> str | None:
    if {have.vfp_args, want.vfp_args} == {0, 1}:
        return "its float arguments and results would be read from the wrong registers"
    if have.profile not in (None, 0, PROFILE_M) and want.profile == PROFILE_M:
        return f"it is {chr(have.profile)}-profile code, not M-profile"
    if have.arch is not None and want.arch in RUNS and have.arch not in RUNS[want.arch]:
        return "the core does not implement that architecture's instructions"
    return None
