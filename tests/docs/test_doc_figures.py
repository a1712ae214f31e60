"""The figures quoted in README.md and docs/ are what the code measures now.

Each generated block (benchmarks/doc_figures.py) is regenerated from its command and compared
with the committed text: a change to the cycle model, a kernel or the planner that moves a
quoted figure fails here until the docs are rewritten with `--write`. Blocks record the
toolchain they were made with; under another compiler version the figures legitimately differ,
so the check is skipped with that reason instead.
"""
import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("doc_figures", ROOT / "benchmarks" / "doc_figures.py")
doc_figures = importlib.util.module_from_spec(_spec)
sys.modules["doc_figures"] = doc_figures          # dataclasses look their module up there
_spec.loader.exec_module(doc_figures)

CHEAP = [name for name, b in doc_figures.BLOCKS.items() if b.cheap]


@pytest.mark.parametrize("name", CHEAP)
def test_generated_block_matches_what_the_code_measures(name):
    old, new, recorded = doc_figures.regenerate(name)
    current = doc_figures.toolchain_tag()
    if recorded != current:
        pytest.skip(f"{name} was generated with {recorded!r}; this machine has {current!r}")
    assert old == new, (f"{doc_figures.BLOCKS[name].path}: block {name!r} is stale; run "
                        f"`python benchmarks/doc_figures.py --write {name}` and review the diff")


def test_every_block_is_present_once():
    for name, block in doc_figures.BLOCKS.items():
        text = (ROOT / block.path).read_text()
        assert text.count(f"<!-- generated: {name} (") == 1, (block.path, name)
        assert text.count(f"<!-- /generated: {name} -->") == 1, (block.path, name)


def test_a_changed_figure_is_reported_as_drift(tmp_path, monkeypatch):
    """The check itself can fail: a block whose text differs from its generator is drift."""
    doc = tmp_path / "doc.md"
    doc.write_text("intro\n" + doc_figures.header("probe", "tool 1") + "42 cycles\n"
                   "<!-- /generated: probe -->\nend\n")
    monkeypatch.setattr(doc_figures, "ROOT", tmp_path)
    monkeypatch.setattr(doc_figures, "toolchain_tag", lambda: "tool 1")
    monkeypatch.setitem(doc_figures.BLOCKS, "probe", doc_figures.Block("probe", "doc.md", lambda: "43 cycles\n", True))
    assert doc_figures.main(["--check", "probe"]) == 1
    assert doc_figures.main(["--write", "probe"]) == 0
    assert "43 cycles" in doc.read_text() and doc_figures.main(["--check", "probe"]) == 0
    assert re.search(r"<!-- /generated: probe -->\nend\n$", doc.read_text())
