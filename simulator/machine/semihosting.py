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
DEFAULT_MAX_OUTPUT = 16 << 20 # bytes of program output before OutputLimitExceeded
MAX_REGION_NAME = 256         # bytes of a ck_region_begin/end name
MAX_REGIONS = 65536           # distinct region names in one run (a 4,000-layer model uses 4,001)
PAGE = 0x400                  # unicorn's mapping granularity on ARM


class SemihostingError(Exception):
    """An operation mcusim does not implement, or a bad parameter block."""


class OutputLimit(SemihostingError):
    """The program's output would pass ``max_output`` bytes."""


class Semihost:
    def __init__(self, read_mem, now_cycles=lambda: 0, clock_hz: int = 1, on_region=None,
                 max_output: int = DEFAULT_MAX_OUTPUT):
        self.read_mem = read_mem          # (addr, size) -> bytes; raises on unmapped
        self.now_cycles = now_cycles
        self.clock_hz = clock_hz
        self.max_output = max_output
        self.stdout = bytearray()
        self.exit_code: int | None = None
        self.on_region = on_region        # callable("begin"|"end", name)
        self.region_names: set[str] = set()

    def _room(self) -> int:
        return self.max_output - len(self.stdout)

    def _emit(self, data: bytes) -> None:
        if len(data) > self._room():
            self.stdout += data[:max(self._room(), 0)]
            raise OutputLimit(f"the program's output passed the limit of {self.max_output:,} "
                              f"bytes (raise it with max_output= / --max-output)")
        self.stdout += data

    def _read_some(self, addr: int, size: int) -> bytes:
        """Up to ``size`` bytes at ``addr``; short when the range runs into unmapped memory
        (read up to the page boundary instead), raising only if ``addr`` itself is unmapped."""
        try:
            return self.read_mem(addr, size)
        except Exception:                 # noqa: BLE001 - retried below, raised if unmapped
            to_page = PAGE - addr % PAGE
            if size <= to_page:
                raise
            return self.read_mem(addr, to_page)

    def _cstring(self, addr: int, limit: int = MAX_STRING) -> tuple[bytes, bool]:
        """The NUL-terminated string at ``addr``, at most ``limit`` bytes, and whether its NUL
        was found. Read in chunks growing 4x from 256 bytes (a long string costs a few reads,
        a short one one small read)."""
        out = bytearray()
        chunk = 256
        while len(out) < limit:
            data = self._read_some(addr + len(out), min(chunk, limit - len(out)))
            nul = data.find(b"\0")
            if nul >= 0:
                return bytes(out + data[:nul]), True
            out += data
            chunk = min(chunk * 4, 1 << 16)
        return bytes(out), False

    def _write0(self, addr: int) -> None:
        # Read no further than the output can still hold: a string past the limit stops there.
        text, _ = self._cstring(addr, min(MAX_STRING, max(self._room(), 0) + 1))
        self._emit(text)

    def _region_name(self, addr: int) -> str:
        raw, terminated = self._cstring(addr, MAX_REGION_NAME + 1)
        if not terminated or len(raw) > MAX_REGION_NAME:
            raise SemihostingError(f"region name at 0x{addr:08x} is longer than "
                                   f"{MAX_REGION_NAME} bytes")
        name = raw.decode(errors="replace")
        if name not in self.region_names:
            if len(self.region_names) >= MAX_REGIONS:
                raise SemihostingError(f"more than {MAX_REGIONS:,} distinct region names")
            self.region_names.add(name)
        return name

    def _words(self, addr: int, n: int) -> tuple[int, ...]:
        return struct.unpack(f"<{n}I", self.read_mem(addr, 4 * n))

    def handle(self, op: int, r1: int) -> int | None:
        """Service one call; returns the value for r0 (None: leave r0). Sets exit_code on exit."""
        if op == SYS_WRITEC:
            self._emit(self.read_mem(r1, 1))
            return None
        if op == SYS_WRITE0:
            self._write0(r1)
            return None
        if op == SYS_WRITE:
            fd, buf, length = self._words(r1, 3)
            if fd in (1, 2):
                # read no more than the limit allows (+1 byte, to notice passing it)
                self._emit(self.read_mem(buf, min(length, max(self._room(), 0) + 1)))
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
                self.on_region(kind, self._region_name(r1))
            return None
        raise SemihostingError(f"semihosting operation 0x{op:x} is not implemented by mcusim")
