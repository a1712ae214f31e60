"""Fuzz target ``gdb``: random and mutated RSP packets against the GDB stub.

Contract (simulator/gdbserver.py): for any payload, :meth:`GdbServer.handle` returns a reply
(a str that frames as one packet within PacketSize) and never raises; None (end of session) only
for k, D and vKill. The framed bytes of each case, damaged, also go through
:class:`PacketParser`, which must never raise, never hold more than PacketSize bytes of payload,
and must still find an intact packet sent after the damage (it resynchronises on ``$``).

A case is a short session (1-6 packets) against a fresh stub on a small firmware (built once):
valid packets from :data:`VALID`, the same with one field made hostile (empty, non-hex, a
prefix ``0x``/``-``/``+``/`` ``, 17+ digits, 2^32 and beyond), separators dropped or doubled,
truncated, bytes flipped, or random bytes.
"""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from ..gdb_packets import PACKET_SIZE, PacketParser, frame
from .targets import Target

FIRMWARE_SOURCE = Path(__file__).resolve().parent / "gdb_firmware.c"
_FW = []                               # the firmware, built once per process

VALID = [
    "?", "g", "G" + "00" * 68, "p0", "pf", "p10", "P2=05000000", "Pf=00010010", "m20000000,4",
    "m10000000,40", "M20000000,4:01020304", "c", "s", "C05", "S05;10000100", "c10000100",
    "Z0,10000100,2", "z0,10000100,2", "Z1,10000200,2", "Z2,20000000,4", "qSupported:multiprocess+;swbreak+",
    "qXfer:features:read:target.xml:0,fff", "qXfer:features:read:target.xml:100,40", "qAttached", "qC",
    "qfThreadInfo", "qsThreadInfo", "qSymbol::", "QStartNoAckMode", "Hg0", "Hc-1", "T01", "vCont?",
    "vCont;c", "vCont;s:1", "vCont;C05", "vKill;1", "k", "D", "D;1", "X20000000,0:", "qRcmd,7265736574",
]
_ENDS_SESSION = re.compile(r"k|D(;[0-9a-fA-F]{1,8})?|vKill(;[0-9a-fA-F]{1,8})?")
_FIELD = re.compile(r"[0-9a-fA-F]+")
_HOSTILE_FIELDS = ["", "zz", "0x10", "-1", "+1", " 1", "1_0", "g", "f" * 17, "1" + "0" * 40,
                   "100000000", "ffffffff", "7fffffff", "1000000000000", "0", ",", ":", "=", ";",
                   "\x00", "\xff", "}", "*"]


def firmware():
    """Built once; one located fault is described up front, so that the one-time cost of
    reading the ELF's line table is not charged to the first case that faults."""
    if not _FW:
        from ..gdbserver import GdbServer
        from ..machine import Machine
        _FW.append(Machine("rp2040", ram="32K", max_instructions=2_000).build([FIRMWARE_SOURCE]))
        with contextlib.redirect_stderr(io.StringIO()):
            GdbServer(_FW[0], listen=False, echo=io.StringIO()).handle("c10000100")
    return _FW[0]


def _hostile_field(rng, packet: str) -> str:
    spans = [m.span() for m in _FIELD.finditer(packet, 1)]
    value = rng.choice(_HOSTILE_FIELDS)
    if not spans:
        return packet + value
    a, b = rng.choice(spans)
    return packet[:a] + value + packet[b:]


def _separators(rng, packet: str) -> str:
    where = [i for i, c in enumerate(packet) if c in ",:;="]
    if not where:
        return packet[:1] + rng.choice(",:;=") + packet[1:]
    i = rng.choice(where)
    return packet[:i] + rng.choice(["", packet[i] * 2, rng.choice(",:;=")]) + packet[i + 1:]


def _truncate(rng, packet: str) -> str:
    return packet[:rng.randrange(len(packet) + 1)]


def _flip(rng, packet: str) -> str:
    raw = bytearray(packet.encode("latin-1") or b"?")
    for _ in range(rng.choice([1, 2, 4])):
        raw[rng.randrange(len(raw))] = rng.randrange(256)
    return raw.decode("latin-1")


def _random(rng, _packet: str) -> str:
    n = rng.choice([0, 1, 2, 5, 20, 300])
    return bytes(rng.randrange(256) for _ in range(n)).decode("latin-1")


def _huge(rng, packet: str) -> str:
    """Longer than PacketSize: the stub must answer without building a huge reply."""
    return packet[:1] + rng.choice(["0", "f", "1,"]) * rng.choice([PACKET_SIZE, 3 * PACKET_SIZE])


MUTATIONS = {"valid": lambda rng, p: p, "hostile_field": _hostile_field, "separators": _separators,
             "truncate": _truncate, "flip": _flip, "random": _random, "huge": _huge}


def make(rng) -> tuple[str, tuple[bytes, ...]]:
    names, packets = [], []
    for _ in range(rng.choice([1, 1, 2, 3, 6])):
        name = rng.choice(sorted(MUTATIONS))
        names.append(name)
        packets.append(MUTATIONS[name](rng, rng.choice(VALID)).encode("latin-1"))
    return names[0] if len(set(names)) == 1 else "mixed", tuple(packets)


def check_reply(payload: str, reply) -> str:
    """Why ``reply`` breaks the contract for ``payload``, or ""."""
    if reply is None:
        return "" if _ENDS_SESSION.fullmatch(payload) else f"no reply to {payload[:40]!r}"
    if not isinstance(reply, str):
        return f"reply {reply!r} is not text"
    try:
        framed = frame(reply.encode("latin-1"))
    except UnicodeEncodeError:
        return f"reply to {payload[:40]!r} is not latin-1"
    if len(framed) > PACKET_SIZE + 4:
        return f"reply of {len(framed)} bytes to {payload[:40]!r} exceeds PacketSize"
    return ""


def _check_parser(rng_bytes: bytes, packets: tuple[bytes, ...]) -> str:
    # gdb escapes '$' and '#' inside a payload, so a raw one is damage of its own: leave it out
    stream = b"".join(frame(p.replace(b"$", b"").replace(b"#", b"")) for p in packets)
    damaged = stream[:len(stream) // 2] + rng_bytes + stream[len(stream) // 2:]
    parser = PacketParser()
    for i in range(0, len(damaged), 997):                # arrives in pieces, as from a socket
        parser.feed(damaged[i:i + 997])
        if len(parser._payload) > PACKET_SIZE:
            return f"parser holds {len(parser._payload)} bytes"
    parser.feed(b"\x03$?#3f")                           # resynchronise on the next packet
    events = list(parser.events)
    if ("packet", b"?", True) not in events[-2:]:
        return f"parser lost the packet after the damage: {events[-3:]}"
    return ""


def judge(packets: tuple[bytes, ...], _workdir: Path) -> tuple[str, str]:
    from ..gdbserver import GdbServer
    server = GdbServer(firmware(), listen=False, echo=io.StringIO())
    rejected = False
    with contextlib.redirect_stderr(io.StringIO()):      # fault descriptions of wild resumes
        for raw in packets:
            payload = raw.decode("latin-1")
            reply = server.handle(payload)
            problem = check_reply(payload, reply)
            if problem:
                return "no_reply", problem
            rejected |= bool(reply) and reply[0] == "E" and len(reply) == 3
            if reply is None:
                break
    problem = _check_parser(bytes(packets[-1][:7]) + b"$#", packets)
    if problem:
        return "no_reply", problem
    return ("rejected" if rejected else "accepted"), ""


# A case may resume the firmware six times, each up to its 2,000-instruction budget (about
# 0.2 s when every instruction is its own block, several times that under tracemalloc).
TARGET = Target("gdb", make, judge, suffix=".rsp", setup=firmware, time_limit=15.0)
