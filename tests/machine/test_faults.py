"""Every fault is a typed error carrying PC, symbol+offset, file:line, registers, disassembly."""
import pytest

from simulator.errors import (InstructionBudgetExceeded, MemoryFault, RamOverflow, StackOverflow,
                              UnalignedAccess)
from simulator.machine import Machine

from .conftest import FIXTURES


@pytest.fixture(scope="module")
def h7():
    return Machine("stm32h743", ram="32K", stack="2K", max_instructions=200_000).build([FIXTURES / "faults.c"])


def _assert_located(err, function):
    assert err.pc is not None
    assert err.location.startswith(function + "+0x")
    assert "faults.c:" in err.location
    assert set(err.registers) >= {"r0", "sp", "lr", "pc"}
    assert any(line.startswith("=>") for line in err.disassembly)


def test_unmapped_read_names_address_symbol_and_line(h7):
    with pytest.raises(MemoryFault) as exc:
        h7.call("read_peripheral")
    err = exc.value
    assert err.address == 0x40000000
    assert "read of 4 bytes at 0x40000000" in str(err)
    assert "not mapped by board stm32h743" in str(err)
    _assert_located(err, "read_peripheral")


def test_write_past_ram_limit_is_caught(h7):
    with pytest.raises(MemoryFault, match=r"past the RAM limit \(32 KB ends at 0x20008000\)") as exc:
        h7.call("write_at", 0x20008000)
    assert exc.value.address == 0x20008000


def test_write_to_flash_is_caught(h7):
    with pytest.raises(MemoryFault, match="read-only flash"):
        h7.call("write_at", 0x08000100)


def test_stack_overflow_names_the_function(h7):
    with pytest.raises(StackOverflow) as exc:
        h7.call("recurse", 100_000)
    err = exc.value
    assert "stack overflow in recurse" in str(err)
    assert "2 KB" in str(err)
    _assert_located(err, "recurse")


def test_stack_peak_is_measured(h7):
    r = h7.call("uses_256_bytes_of_stack")
    assert r.value == 17
    assert 256 <= r.stack_peak < 2048


def test_runaway_loop_hits_the_budget(h7):
    with pytest.raises(InstructionBudgetExceeded, match="200,000") as exc:
        h7.call("spin")
    _assert_located(exc.value, "spin")


def test_unaligned_access_faults_on_m0plus_only():
    m0 = Machine("rp2040", ram="32K").build([FIXTURES / "faults.c"])
    with pytest.raises(UnalignedAccess, match="Cortex-M0\\+") as exc:
        m0.call("read_word_at", 0x20001001)
    _assert_located(exc.value, "read_word_at")
    m7 = Machine("stm32h743", ram="32K").build([FIXTURES / "faults.c"])
    m7.call("read_word_at", 0x20001001)   # ARMv7-M: an unaligned LDR is architecturally fine


def test_link_time_ram_overflow_names_sections_and_bytes():
    m = Machine("stm32h743", ram="32K", stack="4K")
    with pytest.raises(RamOverflow) as exc:
        m.build([FIXTURES / "big_bss.c"], defines={"BIG_BYTES": 40000})
    err = exc.value
    assert err.limit == 32 * 1024
    assert err.sections[".bss"] >= 40000 and err.sections[".stack"] == 4096
    assert err.overflow == err.needed - err.limit > 0
    assert f"over by {err.overflow} B" in str(err)
    assert "'dtcm'" in str(err) and ".bss" in str(err) and ".stack" in str(err)


def test_ram_just_fits():
    m = Machine("stm32h743", ram="32K", stack="4K")
    r = m.build([FIXTURES / "big_bss.c"], defines={"BIG_BYTES": 28 * 1024 - 64}).run()
    assert r.exit_code == 0 and r.ram_static >= 28 * 1024 - 64


@pytest.mark.parametrize("board", ["stm32h743", "nrf52840", "generic-m33"])
@pytest.mark.parametrize("function", ["read_dword_at", "read_multiple_at"])
def test_unaligned_ldrd_and_ldm_fault_on_v7m(board, function):
    """ARMv7-M/v8-M allow an unaligned LDR but not LDRD or LDM (ARMv7-M ARM A3.2.1); unicorn
    runs them anyway, mcusim must not."""
    fw = Machine(board, ram="32K").build([FIXTURES / "faults.c"])
    buf = 0x20001000
    assert fw.call(function, buf).value == 0               # aligned: fine (RAM reads as zero)
    with pytest.raises(UnalignedAccess, match="requires word alignment") as exc:
        fw.call(function, buf + 2)
    err = exc.value
    assert err.address == buf + 2 + (4 if function == "read_dword_at" else 0)
    _assert_located(err, function)
