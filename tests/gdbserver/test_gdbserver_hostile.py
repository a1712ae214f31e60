"""The GDB stub treats every packet as hostile: malformed packets get an E reply, the session
survives, oversize packets and resets are handled, ports are validated (issue 10, item 7)."""
import io
import socket
import struct
import subprocess
import sys

import pytest
from unicorn.arm_const import UC_ARM_REG_SP

from simulator.errors import ConfigError
from simulator.gdb_packets import MAX_MEMORY_READ, MAX_QUEUED, PACKET_SIZE, PacketParser, frame
from simulator.gdbserver import GdbServer
from simulator.machine import Machine

from .conftest import FIXTURES

# Each of these killed the stub before (ValueError, struct.error, MemoryError ...).
MALFORMED = [
    "m", "m,4", "m20000000,", "mzz,4", "m20000000,zz", "m0x10,4", "m-1,4", "m 1,4", "m1_0,4",
    "m0,1000000000000", f"m20000000,{MAX_MEMORY_READ + 1:x}", "mffffffff,2",
    "M", "M20000000,4", "M20000000,4:", "M20000000,4:0102", "M20000000,4:zz020304", "M,4:01020304",
    "M20000000,2:010", "p", "pzz", "p-1", "p" + "f" * 17,
    "P", "P2", "P=05000000", "Pzz=05000000", "P2=", "P2=0500", "P2=zz000000", "P2=050000000000",
    "G0", "Gzz", "G" + "00" * 500,
    "Z", "Z0", "Z0,", "Z0,zz,2", "Z0,10000100", "Z0,10000100,", "z1,,2", "Z0,10000100,zz",
    "czz", "c-1", "c" + "1" * 20, "C", "Czz", "C05;zz", "S", "Szz;1",
    "qXfer:features:read:target.xml", "qXfer:features:read:target.xml:", "qXfer:features:read:target.xml:zz,10",
    "qXfer:features:read:target.xml:0,", "qXfer:features:read:target.xml:0,zz", "qXfer:features:read:nope.xml:0,10",
    "vCont;", "vCont;x", "vCont;Czz", "vCont;cc", "kill", "D\n\x07", "Dx", "D;zz", "vKill;;1", "vKill;zz", "vKill;",
]


@pytest.fixture(scope="module")
def fw():
    return Machine("rp2040", ram="32K", max_instructions=100_000).build([FIXTURES / "dot_main.c"])


@pytest.fixture
def stub(fw):
    return GdbServer(fw, listen=False, echo=io.StringIO())


@pytest.mark.parametrize("packet", MALFORMED)
def test_malformed_packet_gets_an_error_reply_and_the_stub_goes_on(stub, packet):
    reply = stub.handle(packet)
    assert isinstance(reply, str) and reply[:1] == "E" and len(reply) == 3, reply
    assert stub.handle("?") == "T05thread:01;"              # still alive, still halted
    assert len(bytes.fromhex(stub.handle("g"))) == 17 * 4


def test_well_formed_packets_still_work(stub, fw):
    sp = stub.uc.reg_read(UC_ARM_REG_SP)
    assert stub.handle(f"M{sp - 8:x},4:01020304") == "OK"
    assert stub.handle(f"m{sp - 8:x},4") == "01020304"
    assert stub.handle("P2=05000000") == "OK" and stub.handle("p2") == "05000000"
    assert stub.handle(f"m20000000,{MAX_MEMORY_READ:x}") is not None
    assert stub.handle("p11") == "E00"                          # no register 0x11 on an M0+
    assert stub.handle("Z2,20000000,4") == ""                   # watchpoints: unsupported, not an error
    assert stub.handle("qXfer:features:read:target.xml:0,fffff").startswith("l<?xml")
    assert "PacketSize=%x" % PACKET_SIZE in stub.handle("qSupported:swbreak+")


def test_memory_read_never_allocates_what_it_was_asked_for(stub, monkeypatch):
    asked = []
    monkeypatch.setattr(stub.uc, "mem_read", lambda addr, n: asked.append(n) or bytes(n))
    assert stub.handle("m0,1000000000000")[0] == "E"
    assert stub.handle("m0,10") == "00" * 16
    assert asked == [16]


def test_parser_is_bounded_and_resynchronises():
    parser = PacketParser()
    parser.feed(b"$m")
    for _ in range(2048):                                        # a 32 MB payload, in pieces
        parser.feed(b"0" * 16384)
        assert len(parser._payload) <= PACKET_SIZE
    parser.feed(b"#00+garbage\x03" + frame(b"g") + b"$g#zz")
    assert list(parser.events) == [("oversize",), ("interrupt",), ("packet", b"g", True),
                                   ("packet", b"g", False)]      # a non-hex checksum is a bad one


def test_parser_queue_is_bounded_under_a_flood():
    parser = PacketParser()
    parser.feed(b"+-" * 100_000 + b"$#00" * 100_000 + b"\x03" * 1000)
    assert len(parser.events) <= MAX_QUEUED


def test_port_is_validated(fw):
    for port in (-1, 70000, 2 ** 64, "3333"):
        with pytest.raises(ConfigError, match="TCP port is 1-65535"):
            GdbServer(fw, port)


@pytest.mark.parametrize("port", ["-1", "70000"])
def test_cli_rejects_a_bad_gdb_port_in_one_line(port):
    p = subprocess.run([sys.executable, "-m", "simulator.cli", "run", str(FIXTURES / "dot_main.c"),
                        "--board", "rp2040", "--gdb", port], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2, p.stderr
    assert p.stderr.strip().splitlines() == [f"mcusim: error: --gdb {port}: a TCP port is 1-65535 "
                                             "(0 picks a free one)"]


def test_socket_session_answers_every_hostile_packet(fw, debug_session):
    out = io.StringIO()
    s = debug_session(fw, out)
    c = s.client
    for packet in MALFORMED:
        assert c.ask(packet)[:1] == "E", packet
    assert c.ask("m" + "0" * (3 * PACKET_SIZE)) == "E07"        # oversize: dropped unread, E2BIG
    assert c.ask("?") == "T05thread:01;"
    c.raw(b"$k#6b")
    assert s.join().exit_code is None


def test_reset_connection_ends_the_session_and_the_run_is_still_reported(fw, debug_session):
    out = io.StringIO()
    s = debug_session(fw, out)
    c = s.client
    assert c.ask("?") == "T05thread:01;"
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.sock.sendall(b"$m20000000,4#")                             # half a packet, then RST
    c.sock.close()
    c.sock = socket.socket()                                     # keep the fixture's close() harmless
    result = s.join()
    assert result.exit_code == 0 and result.stdout == f"dot={sum((i - 18) ** 2 for i in range(37))}\n"
