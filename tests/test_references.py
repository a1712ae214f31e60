"""No stale references: every repository path the documents, pyproject.toml and the code's
comments and docstrings name (simulator/..., cross_kernels/..., tests/..., benchmarks/...,
docs/..., models/...) exists. A file moved or deleted without its mentions fails here with
file:line.

The oracle is the working tree itself.
"""
from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOP = ("simulator", "cross_kernels", "tests", "benchmarks", "docs", "models")
# A path starts at a top-level directory (not inside a longer name or after another directory)
# and runs over path characters; a placeholder or glob (<family>, *, {a,b}) makes it a pattern.
PATH = re.compile(r"(?<![\w./-])(?:%s)/[\w./-]*[\w/]" % "|".join(TOP))
PATTERN = re.compile(r"[<>*{}\[\]]")
SOURCES = ["README.md", "pyproject.toml", ".ci/run", "docs/*.md", "simulator/**/*.py", "simulator/**/*.toml",
           "cross_kernels/**/*.[ch]", "cross_kernels/**/*.py", "benchmarks/**/*.py", "tests/**/*.py",
           "tests/**/*.md", "models/**/*.md", "models/**/*.py"]
# Paths that are examples of a user's files, not this repository's (file -> path).
EXAMPLES = {
    ("simulator/report/baseline.py", "tests/test_dot.py"),     # a user's test id in a baseline
    ("docs/pytest-plugin.md", "tests/test_dot.py"),            # the user's test file it walks through
}


def _files() -> list[Path]:
    this = Path(__file__).resolve()                 # its probe names missing paths on purpose
    return sorted({p for pattern in SOURCES for p in REPO.glob(pattern)
                   if "__pycache__" not in p.parts and p != this})


def stale(path: Path, text: str) -> list[str]:
    """``file:line: path`` for each repository path in ``text`` that does not exist."""
    rel = path.relative_to(REPO).as_posix()
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for match in PATH.finditer(line):
            target = match.group(0).rstrip(".")
            rest = line[match.end():match.end() + 1]
            if PATTERN.match(rest) or (rel, target) in EXAMPLES:
                continue
            if not (REPO / target).exists():
                found.append(f"{rel}:{number}: {target}")
    return found


def test_every_named_repository_path_exists():
    files = _files()
    assert any(p.name == "ARCHITECTURE.md" for p in files) and any(p.suffix == ".c" for p in files)
    missing = [hit for path in files for hit in stale(path, path.read_text(errors="replace"))]
    assert missing == [], "stale references:\n" + "\n".join(missing)


def test_the_check_finds_a_missing_path():
    probe = REPO / "docs" / "probe.md"
    text = ("see simulator/lower/planner.py and simulator/gone.py, `cross_kernels/src/nothing/`,\n"
            "not src/<family>/ck_x.c, not cross_kernels/src/<family>/, not tests/kernels/test_*.py\n"
            "but docs/missing.md.\n")
    assert stale(probe, text) == ["docs/probe.md:1: simulator/gone.py",
                                  "docs/probe.md:1: cross_kernels/src/nothing/",
                                  "docs/probe.md:3: docs/missing.md"]
