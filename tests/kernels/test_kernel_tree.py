"""The layout rules of cross_kernels/src, checked over the tree: kernels in
src/<family>/ck_<op>_<dtype>[_<variant>].c, every kernel used by a lowering rule, every
argument check from src/common/ck_check.h, helpers shared across families only through
src/common/, one padding vocabulary in the public structs."""
from __future__ import annotations

import re

import pytest

from tests.helpers import cstructs
from tests.helpers import hostlib
from simulator.lower.rules import load_rules

SRC = hostlib.SRC
KERNELS = sorted(p.relative_to(SRC).as_posix() for p in SRC.glob("**/*.c"))
# Files that check nothing themselves: they pick a variant, or copy bytes, and every variant
# they call runs its own check.
NO_CHECK = {"conv/ck_conv_s8_wrapper.c": "dispatches to checked variants",
            "conv/ck_depthwise_conv_s8_wrapper.c": "dispatches to checked variants",
            "fully_connected/ck_fully_connected_s8_wrapper.c": "dispatches to checked variants",
            "shape/ck_copy.c": "a byte copy; any length and any pointers are valid"}
_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def local_includes(path) -> set:
    """Every project header ``path`` includes, directly or through other project headers."""
    seen, todo = set(), [path]
    while todo:
        f = todo.pop()
        for name in _INCLUDE.findall(f.read_text()):
            for base in (f.parent, hostlib.INCLUDE):
                h = (base / name).resolve()
                if h.exists() and h not in seen:
                    seen.add(h)
                    todo.append(h)
                    break
    return seen


def test_kernels_live_in_family_folders():
    assert KERNELS
    for k in KERNELS:
        family, name = k.split("/")
        assert family not in ("common", "float") and name.startswith("ck_"), k


def test_every_kernel_file_is_used_by_a_rule_and_every_rule_source_exists():
    used = {s for rule in load_rules() for s in rule.sources}
    assert set(KERNELS) - used == set(), "kernel files no rule links"
    assert used - set(KERNELS) == set(), "rule sources that do not exist"


@pytest.mark.parametrize("kernel", [k for k in KERNELS if k not in NO_CHECK])
def test_every_kernel_takes_its_check_from_ck_check_h(kernel):
    assert (SRC / "common" / "ck_check.h").resolve() in local_includes(SRC / kernel)


def test_helpers_cross_families_only_through_common():
    for f in sorted(SRC.glob("**/*.[ch]")):
        for name in _INCLUDE.findall(f.read_text()):
            assert not name.startswith("../") or name.startswith("../common/"), (f, name)


def test_one_padding_vocabulary():
    for name in cstructs.all_structs():
        f = set(cstructs.fields(name))
        assert not f & {"pad_h", "pad_w"}, name
        assert ("pad_top" in f) == ("pad_left" in f), name
