"""The emulated core is the one asked for: instructions it lacks are rejected."""
import numpy as np
import pytest

from simulator.errors import UndefinedInstruction
from simulator.machine import Machine

from .conftest import FIXTURES


def _fw(board):
    # isa.c uses raw .inst encodings, so it assembles for every core.
    return Machine(board).build([FIXTURES / "isa.c"])


@pytest.mark.parametrize("board", ["rp2040", "generic-m0plus"])
def test_m0plus_rejects_sdiv(board):
    with pytest.raises(UndefinedInstruction) as err:
        _fw(board).call("raw_sdiv", 7, 2)
    msg = str(err.value)
    assert "sdiv" in msg and "Cortex-M0+" in msg and "raw_sdiv" in msg and "isa.c:" in msg


@pytest.mark.parametrize("board", ["rp2040", "generic-m0plus"])
def test_m0plus_rejects_smlad(board):
    with pytest.raises(UndefinedInstruction, match="smlad"):
        _fw(board).call("raw_smlad", 1, 2, 3)


@pytest.mark.parametrize("board", ["nrf52840", "stm32h743", "generic-m33"])
def test_dsp_cores_run_smlad_and_sdiv(board):
    fw = _fw(board)
    a = (3 & 0xFFFF) | ((-5 & 0xFFFF) << 16)      # halfwords (3, -5)
    b = (7 & 0xFFFF) | ((11 & 0xFFFF) << 16)      # halfwords (7, 11)
    assert fw.call("raw_smlad", a, b, 100).value == 3 * 7 + (-5) * 11 + 100
    assert fw.call("raw_sdiv", -7, 2).value == -3


@pytest.mark.parametrize("board", ["nrf52840", "stm32h743", "generic-m33"])
def test_vfp_runs_on_fpu_cores(board):
    fw = Machine(board).build([FIXTURES / "kernels.c"])
    r = fw.call("saxpy_sum", np.array([0.5, 0.25], dtype=np.float32), 2, 4.0, profile=True)
    assert r.float_value == 3.0
    # The FPU does the work: no soft-float helper may run (zig's bare -mcpu models lack the FPU).
    assert not any(name.startswith("__aeabi_f") for name in r.profile), r.profile


def test_udf_is_undefined_everywhere():
    for board in ("rp2040", "stm32h743"):
        with pytest.raises(UndefinedInstruction) as err:
            _fw(board).call("raw_udf")
        assert err.value.pc is not None and "raw_udf" in err.value.location
