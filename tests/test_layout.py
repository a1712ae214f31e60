"""tests/ mirrors the package: each test directory is named after the simulator module or
subpackage it tests (or is one of a few documented others), and a test module never imports
another test module: shared code lives in tests/helpers/ or a conftest fixture.

The oracle is the file system and each module's own import statements, read with ast.
"""
from __future__ import annotations

import ast
from pathlib import Path

import simulator

TESTS = Path(__file__).resolve().parent
PACKAGE = Path(simulator.__file__).resolve().parent

# Test directories that do not mirror a simulator module, and why.
NOT_A_MODULE = {
    "helpers": "code the test modules share (never collected: no test_*.py)",
    "kernels": "the C kernels of cross_kernels/, run on the host and under emulation",
    "models": "end to end on the bundled models of models/",
    "docs": "the documents of docs/ and README.md work as written",
    "benchmarks": "the scripts of benchmarks/",
}
IGNORED = {"__pycache__", "fixtures", "crashers"}   # data directories, not test packages


def _test_dirs() -> list[Path]:
    return sorted(p for p in TESTS.iterdir() if p.is_dir() and p.name not in IGNORED)


def _simulator_names() -> set[str]:
    """simulator's subpackages and top-level modules."""
    return {p.stem for p in PACKAGE.iterdir()
            if (p.is_dir() and (p / "__init__.py").exists()) or (p.suffix == ".py" and p.stem != "__init__")}


def _imported_modules(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """(line, dotted name) of each module an import statement names, relative ones resolved
    against the file's package, with each imported name tried as a submodule too."""
    package = ".".join(path.relative_to(TESTS.parent).parent.parts)
    found = []
    for node in ast.walk(ast.parse(path.read_text() if source is None else source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found += [(node.lineno, module)] + [(node.lineno, f"{module}.{a.name}") for a in node.names]
    return found


def _imports_a_test_module(path: Path, source: str | None = None) -> list[str]:
    return [f"{path.relative_to(TESTS.parent)}:{line}: imports {name}"
            for line, name in _imported_modules(path, source)
            if name.rpartition(".")[2].startswith("test_")]


def test_every_test_directory_mirrors_a_simulator_module():
    names = _simulator_names()
    assert {"lower", "machine", "cli", "gdbserver"} <= names          # the walk sees the package
    strays = [d.name for d in _test_dirs() if d.name not in names and d.name not in NOT_A_MODULE]
    assert strays == [], f"tests/{strays} mirror no simulator module: rename, or document in NOT_A_MODULE"


def test_every_test_directory_is_a_package():
    # Without __init__.py pytest imports a test file under its bare name with its directory on
    # sys.path: two test_x.py in different directories clash, and helpers leak in by that path.
    assert [d.name for d in _test_dirs() if not (d / "__init__.py").exists()] == []


def test_no_test_module_imports_another():
    # benchmarks/ too: a script that borrows a test's helper takes it from tests/helpers/.
    files = sorted(TESTS.rglob("*.py")) + sorted((TESTS.parent / "benchmarks").rglob("*.py"))
    found = [hit for path in files for hit in _imports_a_test_module(path)]
    assert found == [], "\n".join(found)


def test_helpers_hold_no_tests():
    assert sorted(p.name for p in (TESTS / "helpers").glob("test_*.py")) == []


def test_the_import_check_finds_a_test_module_import():
    # The check must be able to fail: absolute, relative and from-package forms are all seen.
    source = ("from tests.kernels.test_conv_s8 import x\nfrom .test_add_s8 import y\n"
              "from . import test_mul_s8\nimport test_relu_s8\nfrom tests.helpers import hostlib\n")
    hits = _imports_a_test_module(TESTS / "kernels" / "probe.py", source)
    assert [h.split(": imports ")[1] for h in hits] == [
        "tests.kernels.test_conv_s8", "tests.kernels.test_add_s8", "tests.kernels.test_mul_s8",
        "test_relu_s8"]
