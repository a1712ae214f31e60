"""The GDB Remote Serial Protocol's framing and fields, for a stub that trusts no byte it reads.

GDB manual, "Remote Serial Protocol" / "Overview": a packet is ``$payload#cc`` where ``cc`` is
two hex digits, the payload's byte sum mod 256; ``+``/``-`` acknowledge; 0x03 outside a packet
is an interrupt; ``#``, ``$`` and ``}`` never appear raw inside a payload. The stub advertises
``PacketSize`` in qSupported and gdb keeps its packets within it; anything longer is hostile.

:class:`PacketParser` splits the byte stream into events in one pass over each byte (no
rescanning of what it has already seen) and holds at most ``PACKET_SIZE`` bytes of payload, so
neither a flood of garbage nor a 32 MB packet costs more than linear time and bounded memory.
:func:`hex_field` and friends parse fields strictly (``int(x, 16)`` would accept ``0x``, ``_``,
signs and spaces) and raise :class:`PacketError`, which the stub answers with an ``E`` reply.
"""
from __future__ import annotations

import re
from collections import deque

SIGINT, SIGILL, SIGTRAP, SIGSEGV, SIGXCPU = 2, 4, 5, 11, 24      # GDB's signal numbers
PACKET_SIZE = 0x4000              # advertised in qSupported: the largest payload gdb may send
MAX_MEMORY_READ = (PACKET_SIZE - 16) // 2      # an m reply is hex: two characters a byte

_HEX = re.compile(rb"[0-9a-fA-F]+")
_HEX_TEXT = re.compile(r"[0-9a-fA-F]+")
_START = re.compile(rb"[$+\-\x03]")           # what can begin an event outside a packet


class PacketError(ValueError):
    """A malformed packet; ``code`` is the errno-style number of the ``E`` reply."""

    def __init__(self, message: str, code: int = 0x16):      # EINVAL
        super().__init__(message)
        self.code = code

    @property
    def reply(self) -> str:
        return "E%02x" % (self.code & 0xFF)


def checksum(payload: bytes) -> int:
    return sum(payload) & 0xFF


def frame(payload: bytes) -> bytes:
    return b"$" + payload + b"#" + b"%02x" % checksum(payload)


def escape_binary(data: bytes) -> bytes:
    """qXfer replies are binary data: '#', '$', '}' and '*' are sent as '}' then the byte XOR 0x20."""
    out = bytearray()
    for b in data:
        if b in b"#$}*":
            out += bytes([0x7D, b ^ 0x20])
        else:
            out.append(b)
    return bytes(out)


def hex_field(text: str, what: str, digits: int = 8) -> int:
    """A hex number of 1..``digits`` digits and nothing else."""
    if not text or len(text) > digits or not _HEX_TEXT.fullmatch(text):
        raise PacketError(f"{what}: {text[:24]!r} is not a hex number of at most {digits} digits")
    return int(text, 16)


def hex_bytes(text: str, what: str) -> bytes:
    """Hex-encoded bytes: an even number of hex digits (possibly none)."""
    if len(text) % 2 or (text and not _HEX_TEXT.fullmatch(text)):
        raise PacketError(f"{what}: not an even number of hex digits")
    return bytes.fromhex(text)


def split_fields(text: str, sep: str, count: int, what: str) -> list[str]:
    """Exactly ``count`` fields separated by ``sep``."""
    parts = text.split(sep, count - 1)
    if len(parts) != count:
        raise PacketError(f"{what}: expected {count} fields separated by {sep!r}")
    return parts


MAX_QUEUED = 1024               # events waiting for the session (gdb sends one packet at a time)


class PacketParser:
    """Turns received bytes into events: ("nak",), ("interrupt",),
    ("packet", payload: bytes, checksum_ok: bool) and ("oversize",) for a packet whose payload
    passed ``max_payload`` (its bytes are dropped as they arrive, never stored). A '+' needs no
    event; repeated naks or interrupts collapse into one; past MAX_QUEUED waiting events (a
    client flooding a running target) further ones are dropped, so memory stays bounded."""

    def __init__(self, max_payload: int = PACKET_SIZE):
        self.max_payload = max_payload
        self.events: deque = deque()
        self._state = "idle"              # idle | payload | checksum
        self._payload = bytearray()
        self._oversize = False
        self._sum = bytearray()

    def feed(self, data: bytes) -> None:
        i, n = 0, len(data)
        while i < n:
            if self._state == "idle":
                m = _START.search(data, i)
                if m is None:
                    return                           # garbage between packets is ignored
                c = data[m.start()]
                i = m.start() + 1
                if c == 0x24:                        # '$'
                    self._state, self._oversize = "payload", False
                    self._payload.clear()
                elif c != 0x2B:                      # '+' acknowledges: nothing to do
                    event = ("nak",) if c == 0x2D else ("interrupt",)
                    if not self.events or self.events[-1] != event:
                        self._queue(event)
            elif self._state == "payload":
                end = data.find(b"#", i)
                stop = n if end < 0 else end
                room = self.max_payload - len(self._payload)
                if stop - i > room:
                    self._oversize = True
                if not self._oversize:
                    self._payload += data[i:stop]
                if end < 0:
                    return
                i = end + 1
                self._state = "checksum"
                self._sum.clear()
            else:
                take = min(2 - len(self._sum), n - i)
                self._sum += data[i:i + take]
                i += take
                if len(self._sum) == 2:
                    self._finish_packet()

    def _queue(self, event: tuple) -> None:
        if len(self.events) < MAX_QUEUED:
            self.events.append(event)

    def _finish_packet(self) -> None:
        self._state = "idle"
        if self._oversize:
            self._queue(("oversize",))
            self._payload.clear()
            return
        payload = bytes(self._payload)
        self._payload.clear()
        ok = _HEX.fullmatch(bytes(self._sum)) is not None and int(self._sum, 16) == checksum(payload)
        self._queue(("packet", payload, ok))
