"""The GDB stub driven by a pure-Python RSP client: runs in CI without gdb."""
import io
import struct
import time

import pytest

from simulator.machine import Machine

from .conftest import FIXTURES

SIGTRAP = "T05thread:01;"


@pytest.fixture(scope="module")
def fw_m0():
    return Machine("rp2040", ram="32K").build([FIXTURES / "dot_main.c"])


def _reg(reply: str) -> int:
    return struct.unpack("<I", bytes.fromhex(reply))[0]


def test_break_read_argument_step_and_run_to_exit(fw_m0, debug_session):
    out = io.StringIO()
    s = debug_session(fw_m0, out)
    c = s.client
    assert s.server.listener.getsockname()[0] == "127.0.0.1"
    assert "qXfer:features:read+" in c.ask("qSupported:multiprocess+;swbreak+;xmlRegisters=arm")
    xml = c.ask("qXfer:features:read:target.xml:0,fff")
    assert xml.startswith("l") and 'feature name="org.gnu.gdb.arm.m-profile"' in xml
    assert "org.gnu.gdb.arm.vfp" not in xml                 # Cortex-M0+: no FPU registers
    assert c.ask("?") == SIGTRAP
    assert c.ask("Hg0") == "OK" and c.ask("qAttached") == "1"
    assert c.ask("vCont?").startswith("vCont;c")
    regs = bytes.fromhex(c.ask("g"))
    assert len(regs) == 17 * 4
    assert struct.unpack_from("<I", regs, 15 * 4)[0] == fw_m0.symbol_address("Reset_Handler") & ~1

    dot = fw_m0.symbol_address("dot_s8") & ~1
    assert c.ask(f"Z0,{dot:x},2") == "OK"
    assert c.ask("c") == SIGTRAP
    assert _reg(c.ask("pf")) == dot                         # pc
    assert _reg(c.ask("p2")) == 37                          # n, the third argument, in r2
    a = _reg(c.ask("p0"))
    assert bytes.fromhex(c.ask(f"m{a:x},4")) == bytes([-18 & 0xFF, -17 & 0xFF, -16 & 0xFF, -15 & 0xFF])

    assert c.ask("s") == SIGTRAP                            # one instruction on
    assert dot < _reg(c.ask("pf")) < dot + 16
    assert c.ask("P2=05000000") == "OK" and _reg(c.ask("p2")) == 5      # registers are writable
    assert c.ask(f"z0,{dot:x},2") == "OK"
    assert c.ask("vCont;c") == "W00"                        # ran to the end: exit status 0
    c.raw(b"$k#6b")
    result = s.join()
    assert result.exit_code == 0
    # n was set to 5 mid-call: the printed dot product is the sum over the first 5 elements.
    expected = sum((i - 18) ** 2 for i in range(5))
    assert out.getvalue() == f"dot={expected}\n" == result.stdout


def test_bad_checksum_is_nacked_and_unknown_packets_get_empty_replies(fw_m0, debug_session):
    s = debug_session(fw_m0, io.StringIO())
    c = s.client
    c.raw(b"$g#00")
    assert c.sock.recv(1) == b"-"
    assert c.ask("qNoSuchThing") == ""
    assert c.ask("mf0000000,4").startswith("E")                    # unmapped address: an error, not a crash
    c.raw(b"$k#6b")
    assert s.join().exit_code is None                      # killed before it finished


def test_ctrl_c_interrupts_a_running_target(debug_session):
    fw = Machine("rp2040", ram="32K").build([FIXTURES / "dot_main.c"], defines={"SPIN": 1})
    s = debug_session(fw, io.StringIO())
    c = s.client
    c.raw(b"$c#63")
    time.sleep(0.3)
    c.raw(b"\x03")
    reply = c._read()
    assert b"$T02" in reply, reply
    c.buf = b""
    c.raw(b"+$k#6b")
    s.join()


def test_fpu_core_describes_vfp_registers():
    from simulator.gdbserver import target_xml
    xml = target_xml(True)
    assert "org.gnu.gdb.arm.m-profile" in xml and 'name="d15" bitsize="64"' in xml and 'name="fpscr"' in xml
