"""Arm semihosting, serviced on BKPT 0xAB.

Operation numbers and parameter blocks follow "Semihosting for AArch32 and AArch64",
Arm, version 2.0: SYS_WRITEC (0x03) r1 -> char; SYS_WRITE0 (0x04) r1 -> NUL-terminated
string; SYS_WRITE (0x05) r1 -> {fd, buf, len}, returns bytes NOT written; SYS_CLOCK (0x10)
returns centiseconds; SYS_EXIT (0x18) r1 = reason (on AArch32 the reason itself);
SYS_EXIT_EXTENDED (0x20) r1 -> {reason, subcode}. ADP_Stopped_ApplicationExit is 0x20026.
0x100 and 0x101 are mcusim's own region markers (the spec leaves 0x100-0x1FF to implementations).
"""
from __future__ import annotations

import struct

SYS_WRITEC = 0x03
SYS_WRITE0 = 0x04
SYS_WRITE = 0x05
SYS_CLOCK = 0x10
SYS_EXIT = 0x18
SYS_EXIT_EXTENDED = 0x20
MCUSIM_REGION_BEGIN = 0x100
MCUSIM_REGION_END = 0x101
ADP_STOPPED_APPLICATION_EXIT = 0x20026
MAX_STRING = 1 << 16          # a runaway string stops here rather than reading all of memory
MAX_STDOUT = 16 << 20         # output beyond this is dropped (and said so)


class SemihostingError(Exception):
    """An operation mcusim does not implement, or a bad parameter block."""


class Semihost:
    def __init__(self, read_mem, now_cycles=lambda: 0, clock_hz: int = 1, on_region=None):
        self.read_mem = read_mem          # (addr, size) -> bytes; raises on unmapped
        self.now_cycles = now_cycles
        self.clock_hz = clock_hz
        self.stdout = bytearray()
        self.truncated = False
        self.exit_code: int | None = None
        self.on_region = on_region        # callable("begin"|"end", name)

    def _emit(self, data: bytes) -> None:
        room = MAX_STDOUT - len(self.stdout)
        if len(data) > room:
            self.truncated = True
            data = data[:max(room, 0)]
        self.stdout += data

    def _cstring(self, addr: int) -> bytes:
        out = bytearray()
        while len(out) < MAX_STRING:
            chunk = self.read_mem(addr + len(out), 64)
            nul = chunk.find(b"\0")
            if nul >= 0:
                return bytes(out + chunk[:nul])
            out += chunk
        return bytes(out)

    def _words(self, addr: int, n: int) -> tuple[int, ...]:
        return struct.unpack(f"<{n}I", self.read_mem(addr, 4 * n))

    def handle(self, op: int, r1: int) -> int | None:
        """Service one call; returns the value for r0 (None: leave r0). Sets exit_code on exit."""
        if op == SYS_WRITEC:
            self._emit(self.read_mem(r1, 1))
            return None
        if op == SYS_WRITE0:
            self._emit(self._cstring(r1))
            return None
        if op == SYS_WRITE:
            fd, buf, length = self._words(r1, 3)
            if length > MAX_STDOUT:
                raise SemihostingError(f"SYS_WRITE of {length} bytes")
            if fd in (1, 2):
                self._emit(self.read_mem(buf, length))
            return 0
        if op == SYS_CLOCK:
            return int(self.now_cycles() * 100 // max(self.clock_hz, 1))
        if op == SYS_EXIT:
            self.exit_code = 0 if r1 == ADP_STOPPED_APPLICATION_EXIT else 1
            return None
        if op == SYS_EXIT_EXTENDED:
            reason, subcode = self._words(r1, 2)
            code = subcode if reason == ADP_STOPPED_APPLICATION_EXIT else 1
            self.exit_code = code - (1 << 32) if code & 0x8000_0000 else code
            return None
        if op in (MCUSIM_REGION_BEGIN, MCUSIM_REGION_END):
            kind = "begin" if op == MCUSIM_REGION_BEGIN else "end"
            if self.on_region is not None:
                self.on_region(kind, self._cstring(r1).decode(errors="replace"))
            return None
        raise SemihostingError(f"semihosting operation 0x{op:x} is not implemented by mcusim")
