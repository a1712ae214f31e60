"""mcusim: an instruction-accurate Cortex-M inference simulator.

    import simulator
    m = simulator.Machine("stm32h743", ram="128K")
    fw = m.build(["kernel.c"])
    r = fw.call("dot_s8", a, b, len(a))
"""
from .boards import get_board, list_boards
from .errors import McusimError
from .machine import CallResult, Firmware, Machine, RunResult
from .machine.structs import ref

__version__ = "0.1.0"
# The pipeline driver is `from simulator.analyze import analyze` (not re-exported here: a
# package attribute named `analyze` would shadow the submodule of the same name).
__all__ = ["Machine", "Firmware", "RunResult", "CallResult", "get_board", "list_boards", "McusimError", "ref"]
