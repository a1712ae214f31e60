"""The C side of mcusim: kernels, their public header and the bare-metal runtime.

Shipped inside the wheel so an installed ``mcusim`` can build firmware outside the repo.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INCLUDE_DIR = ROOT / "include"
SRC_DIR = ROOT / "src"
RUNTIME_DIR = ROOT / "runtime"
