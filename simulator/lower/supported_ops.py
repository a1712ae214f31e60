"""Print docs/supported-ops.md from the rules table:

    python -m simulator.lower.supported_ops > docs/supported-ops.md
"""
from __future__ import annotations

from .rules import render_supported_ops

if __name__ == "__main__":
    print(render_supported_ops(), end="")
