"""Repository paths the tests read, in one place."""
from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
# Hostile .tflite inputs, one per fuzz mutator family (tests/fuzz/crashers/README.md): the fuzz
# tests load each, and the CLI tests run each through `mcusim analyze`.
CRASHERS = TESTS / "fuzz" / "crashers"
