"""Build C for every core, run main() and call functions; outputs checked bit-exact."""
import numpy as np
import pytest

import simulator
from simulator.machine import Machine

from .conftest import CORE_BOARDS, FIXTURES

HELLO = "hello from mcusim: -42 42 0x0000beef [    7] [x]\nputs line\n!\n"


@pytest.mark.parametrize("board", CORE_BOARDS)
def test_run_main_prints_and_exits(board):
    fw = Machine(board, ram="32K").build([FIXTURES / "hello.c"])
    r = fw.run()
    assert r.stdout == HELLO
    assert r.exit_code == 3
    assert r.board == board
    assert r.instructions > 100
    # ck_printf's frame is real but small: the painted-stack scan must see it, not the whole stack.
    assert 16 <= r.stack_peak < 1024
    assert r.ram_limit == 32 * 1024


@pytest.mark.parametrize("board", CORE_BOARDS)
def test_call_dot_product_bit_exact(board):
    fw = Machine(board, ram="64K").build([FIXTURES / "kernels.c"])
    rng = np.random.default_rng(7)
    a = rng.integers(-128, 128, 1000, dtype=np.int8)
    b = rng.integers(-128, 128, 1000, dtype=np.int8)
    r = fw.call("dot_s8", a, b, len(a))
    assert r.value == int(a.astype(np.int64) @ b.astype(np.int64))
    assert np.array_equal(r.arrays[0], a) and np.array_equal(r.arrays[1], b)


@pytest.mark.parametrize("board", ["rp2040", "stm32h743"])
def test_call_with_stack_arguments_writes_output_array(board):
    fw = Machine(board, ram="32K").build([FIXTURES / "kernels.c"])
    a = np.arange(-300, 300, 3, dtype=np.int16)
    out = np.zeros_like(a)
    r = fw.call("axpb_s16", a, out, len(a), 0, -7, 1234)
    expected = (a.astype(np.int32) * -7 + 1234).astype(np.int16)
    assert np.array_equal(r.arrays[1], expected)


@pytest.mark.parametrize("board", ["stm32h743", "nrf52840", "rp2040"])
def test_float_arguments_and_return(board):
    """Hard-float cores pass floats in s-registers, soft-float (M0+) in core registers."""
    fw = Machine(board).build([FIXTURES / "kernels.c"])
    x = np.array([1.5, -2.25, 4.0, 0.125], dtype=np.float32)
    r = fw.call("saxpy_sum", x, len(x), 2.0)
    expected = np.float32(0)
    for v in x:
        expected = np.float32(expected + np.float32(2.0) * v)
    assert r.float_value == expected
    if board == "rp2040":               # the base AAPCS returns it in r0
        assert np.frombuffer(np.uint32(r.value_u32).tobytes(), dtype=np.float32)[0] == expected


def test_public_api_names():
    assert simulator.Machine is Machine
    assert {b.name for b in simulator.list_boards()} >= {
        "stm32h743", "stm32f746", "nrf52840", "rp2040",
        "generic-m0plus", "generic-m4", "generic-m7", "generic-m33"}


def test_marked_regions_are_counted_and_observable():
    fw = Machine("generic-m7").build([FIXTURES / "regions.c"])
    seen = []

    def listener(kind, name, emu):
        addr = fw.symbol_address("out")
        seen.append((kind, name, np.frombuffer(emu.read_memory(addr, 16), dtype=np.int32).sum()))

    r = fw.run(region_listener=listener)
    assert r.regions["small"]["count"] == 2 and r.regions["big"]["count"] == 1
    # work(1000) is a 1000-iteration loop: at least 3 instructions an iteration, and it must
    # dwarf two calls of work(10).
    assert r.regions["big"]["instructions"] >= 3000
    assert r.regions["big"]["instructions"] > 20 * r.regions["small"]["instructions"]
    assert [s[:2] for s in seen] == [("begin", "small"), ("end", "small")] * 2 + [("begin", "big"), ("end", "big")]
    assert seen[-1][2] == 2 * sum(range(10)) + sum(range(1000))
