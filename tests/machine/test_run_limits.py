"""Every run is bounded: instructions, wall-clock seconds, output bytes (issue 10, item 6).

0, negative and 2**64 budgets used to mean "unlimited" silently; now each is a ConfigError
naming the argument. A spin ends as WallClockExceeded, a chatty loop as OutputLimitExceeded,
and semihosting reads strings in a few large chunks and never past the output limit.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simulator.errors import (ConfigError, HardFault, InstructionBudgetExceeded,
                              OutputLimitExceeded, WallClockExceeded)
from simulator.machine import Machine
from simulator.machine.semihosting import (MAX_REGION_NAME, MAX_REGIONS, OutputLimit, Semihost,
                                           SemihostingError)

from .conftest import FIXTURES

REPO = Path(__file__).resolve().parents[2]
HELLO = REPO / "tests" / "machine" / "fixtures" / "hello.c"


@pytest.fixture(scope="module")
def fw():
    m = Machine("stm32h743", ram="128K", max_instructions=10**12, max_seconds=600)
    return m.build([FIXTURES / "limits.c"])


# ---- argument validation ------------------------------------------------------------------------

@pytest.mark.parametrize("value", [0, -1, 2**64, 10**15 + 1, True, 1.5, "100"])
def test_bad_instruction_budgets_are_refused(value):
    with pytest.raises(ConfigError, match=r"^max_instructions / --max-instructions: "):
        Machine("stm32h743", max_instructions=value)


@pytest.mark.parametrize("value", [0, -1.0, float("nan"), float("inf"), 10**9, "5"])
def test_bad_wall_clock_limits_are_refused(value):
    with pytest.raises(ConfigError, match=r"^max_seconds / --max-seconds: "):
        Machine("stm32h743", max_seconds=value)


@pytest.mark.parametrize("value", [0, -5, 2**31, None])
def test_bad_output_limits_are_refused(value):
    with pytest.raises(ConfigError, match=r"^max_output / --max-output: "):
        Machine("stm32h743", max_output=value)


def test_per_call_limits_are_validated_too(fw):
    for kw in ({"max_instructions": 0}, {"max_instructions": -1}, {"max_seconds": 0}):
        with pytest.raises(ConfigError):
            fw.call("spin_forever", **kw)
        with pytest.raises(ConfigError):
            fw.run(**kw)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "simulator.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=300, cwd=REPO)


@pytest.mark.parametrize("option, value", [("--max-instructions", "0"), ("--max-instructions", "-1"),
                                           ("--max-instructions", str(2**64)),
                                           ("--max-seconds", "nan"), ("--max-seconds", "-1"),
                                           ("--max-output", "0")])
def test_cli_refuses_bad_limits_in_one_line(option, value):
    p = _cli("run", HELLO, "--board", "stm32h743", f"{option}={value}")
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mcusim: error: "), p.stderr
    assert option in lines[0]


def test_cli_accepts_good_limits():
    plain = _cli("run", HELLO, "--board", "stm32h743")
    p = _cli("run", HELLO, "--board", "stm32h743", "--max-instructions", "1_000_000",
             "--max-seconds", "60", "--max-output", "4096")
    assert "error" not in p.stderr
    assert (p.returncode, p.stdout) == (plain.returncode, plain.stdout)     # hello.c exits 3


# ---- the limits at work -------------------------------------------------------------------------

def test_a_spin_hits_the_wall_clock_limit(fw):
    with pytest.raises(WallClockExceeded) as exc:
        fw.call("spin_forever", max_seconds=0.5)
    assert "more than 0.5 s" in str(exc.value) and "--max-seconds" in str(exc.value)
    assert exc.value.location.startswith("spin_forever+0x")


def test_the_instruction_budget_still_applies(fw):
    with pytest.raises(InstructionBudgetExceeded):
        fw.call("spin_forever", max_instructions=10_000)


def test_a_chatty_loop_hits_the_output_limit():
    m = Machine("stm32h743", ram="128K", max_output=1000)
    fw = m.build([FIXTURES / "limits.c"])
    with pytest.raises(OutputLimitExceeded) as exc:
        fw.call("print_forever")
    assert "limit of 1,000 bytes" in str(exc.value) and "--max-output" in str(exc.value)
    assert exc.value.pc is not None and exc.value.location


def test_long_strings_stop_at_the_output_limit():
    m = Machine("stm32h743", ram="128K", max_output=100_000)
    fw = m.build([FIXTURES / "limits.c"])
    with pytest.raises(OutputLimitExceeded):
        fw.call("write_long_strings", 20_000)       # 1.2 GB of output if unbounded


def test_long_strings_within_the_limit_are_written_whole(fw):
    r = fw.call("write_long_strings", 3)
    assert len(r.stdout) == 3 * (60 * 1024 - 1)
    assert r.stdout[:26] == "abcdefghijklmnopqrstuvwxyz"


def test_region_names_are_bounded(fw):
    assert fw.call("long_region_name", MAX_REGION_NAME).value == MAX_REGION_NAME
    with pytest.raises(HardFault, match=f"longer than {MAX_REGION_NAME} bytes"):
        fw.call("long_region_name", MAX_REGION_NAME + 1)


# ---- semihosting on a fake memory: how it reads -------------------------------------------------

class _Memory:
    """A flat memory of ``size`` bytes at 0; reads past the end raise like unicorn's."""

    def __init__(self, data: bytes):
        self.data = data
        self.reads = 0

    def __call__(self, addr: int, size: int) -> bytes:
        self.reads += 1
        if addr < 0 or addr + size > len(self.data):
            raise MemoryError(f"unmapped read {addr:#x}+{size}")
        return self.data[addr:addr + size]


def test_write0_reads_a_long_string_in_a_few_chunks():
    mem = _Memory(b"x" * 60_000 + b"\0" + b"\0" * 10_000)
    sh = Semihost(mem)
    sh.handle(0x04, 0)
    assert bytes(sh.stdout) == b"x" * 60_000
    assert mem.reads <= 6               # 256 + 1K + 4K + 16K + 64K: was 938 reads of 64 bytes


def test_write0_reads_up_to_the_end_of_mapped_memory():
    mem = _Memory(b"y" * 0x800 + b"z" * 0x3FF + b"\0")      # ends 1 byte before a page boundary
    sh = Semihost(mem)
    sh.handle(0x04, 0x10)
    assert bytes(sh.stdout) == b"y" * (0x800 - 0x10) + b"z" * 0x3FF


def test_write0_unmapped_string_raises():
    with pytest.raises(MemoryError):
        Semihost(_Memory(b"abc\0")).handle(0x04, 0x1000)


def test_write0_never_reads_far_past_the_output_limit():
    mem = _Memory(b"x" * 1_000_000 + b"\0")
    sh = Semihost(mem, max_output=1000)
    with pytest.raises(OutputLimit):
        sh.handle(0x04, 0)
    assert len(sh.stdout) == 1000
    assert mem.reads <= 3


def test_region_count_is_bounded():
    names = b"".join(b"r%d\0" % i for i in range(MAX_REGIONS + 1))
    offsets, pos = [], 0
    for i in range(MAX_REGIONS + 1):
        offsets.append(pos)
        pos += len(b"r%d\0" % i)
    sh = Semihost(_Memory(names + b"\0" * 300), on_region=lambda kind, name: None)
    for off in offsets[:MAX_REGIONS]:
        sh.handle(0x100, off)
    sh.handle(0x100, offsets[0])        # a name seen before is no new region
    with pytest.raises(SemihostingError, match="distinct region names"):
        sh.handle(0x100, offsets[MAX_REGIONS])


@pytest.mark.parametrize("clock", [0, -5])
def test_a_board_clock_that_would_divide_by_zero_is_refused_by_the_machine(tmp_path, clock):
    import dataclasses

    from simulator.boards import get_board
    from simulator.errors import BoardError
    board = dataclasses.replace(get_board("stm32h743"), clock_hz=clock)
    with pytest.raises(BoardError, match=f"clock_hz must be a positive integer .*got {clock}"):
        Machine(board)


@pytest.mark.parametrize("kw, name", [({"max_instructions": 0}, "max_instructions"),
                                      ({"max_instructions": 2**64}, "max_instructions"),
                                      ({"max_seconds": -1}, "max_seconds"),
                                      ({"max_output": 0}, "max_output")])
def test_analyze_validates_its_limits_before_any_work(kw, name):
    from simulator.analyze import analyze
    with pytest.raises(ConfigError, match=f"^{name} / --"):
        analyze(REPO / "models" / "digits_cnn.tflite", "stm32h743", **kw)
