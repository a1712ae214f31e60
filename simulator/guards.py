"""Canary guards around buffers passed to firmware: catch a kernel writing past its output.

An out-of-bounds write that lands in mapped RAM does not fault; it silently corrupts the
neighbouring buffer (in a model, the next tensor in the arena). A :class:`Guarded` buffer is
the buffer with ``GUARD_BYTES`` of a known pattern on each side; firmware receives a pointer
to the whole block and adds ``CK_GUARD_BYTES`` (pass ``guard_defines()`` to ``Machine.build``):

    /* harness.c */
    #define GUARDED(p) ((void *)((uint8_t *)(p) + CK_GUARD_BYTES))
    int32_t call_relu(const void *params, const int8_t *in, void *out_guarded)
    { return ck_relu_s8(params, in, GUARDED(out_guarded)); }

    out = Guarded("output", (64,), np.int8)
    r = fw.call("call_relu", params, x, out.raw)
    y = out.unwrap(r.arrays[2])      # raises BufferOverrun naming "output" and the offset

The pattern differs at every byte position (so a shifted copy of it is still caught) and has
no 0x00 or 0xFF bytes (the values a runaway memset writes most often).
"""
from __future__ import annotations

import numpy as np

from .errors import SimulationError

GUARD_BYTES = 64


def canary(n: int, salt: int = 0) -> np.ndarray:
    """``n`` pattern bytes: an odd-step sequence over 0x01..0xFE, offset by ``salt``."""
    i = np.arange(n, dtype=np.int64)
    return (1 + (i * 37 + 11 + salt * 101) % 254).astype(np.uint8)


def guard_defines() -> dict:
    return {"CK_GUARD_BYTES": GUARD_BYTES}


class BufferOverrun(SimulationError):
    """Firmware wrote (or read) outside a guarded buffer; names the buffer and the first bad
    offset. Raised at the faulting instruction (with pc, location and source line) when
    ``Firmware.call``'s guard pages catch it, after the call when a canary zone was changed."""

    def __init__(self, message: str, *, buffer: str, offset: int, side: str, count: int, access: str = "write",
                 **located):
        self.buffer = buffer
        self.offset = offset      # relative to the buffer's first byte (negative: before it)
        self.side = side          # "before" or "after"
        self.count = count        # corrupted guard bytes on that side (1 for a caught access)
        self.access = access      # "write" or "read"
        super().__init__(message, **located)


class Guarded:
    """A buffer of ``shape``/``dtype`` between two canary zones, as one uint8 array."""

    def __init__(self, name: str, shape, dtype=np.int8, fill: int | np.ndarray = 0):
        self.name = name
        self.shape = tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.nbytes = int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize
        self.before = canary(GUARD_BYTES, salt=1)
        self.after = canary(GUARD_BYTES, salt=2)
        body = np.zeros(self.shape, self.dtype)
        body[...] = fill
        self.raw = np.concatenate([self.before, body.reshape(-1).view(np.uint8), self.after])

    def check(self, raw: np.ndarray) -> None:
        """Raise :class:`BufferOverrun` if either canary zone of ``raw`` was written."""
        raw = np.asarray(raw).reshape(-1).view(np.uint8)
        if raw.size != self.raw.size:
            raise ValueError(f"{self.name}: expected {self.raw.size} bytes, got {raw.size}")
        head = raw[:GUARD_BYTES]
        tail = raw[GUARD_BYTES + self.nbytes:]
        bad_head = np.flatnonzero(head != self.before)
        bad_tail = np.flatnonzero(tail != self.after)
        if bad_tail.size:                  # the common case: ran off the end
            first = int(bad_tail[0])
            raise BufferOverrun(
                f"buffer '{self.name}' ({self.nbytes} B) overrun: {bad_tail.size} guard byte(s) "
                f"after its end were written, the first at offset {self.nbytes + first} "
                f"(+{first} past the end; 0x{self.after[first]:02x} -> 0x{tail[first]:02x})",
                buffer=self.name, offset=self.nbytes + first, side="after", count=int(bad_tail.size))
        if bad_head.size:
            last = int(bad_head[-1])
            offset = last - GUARD_BYTES
            raise BufferOverrun(
                f"buffer '{self.name}' ({self.nbytes} B) underrun: {bad_head.size} guard byte(s) "
                f"before its start were written, the nearest at offset {offset} "
                f"(0x{self.before[last]:02x} -> 0x{head[last]:02x})",
                buffer=self.name, offset=offset, side="before", count=int(bad_head.size))

    def unwrap(self, raw: np.ndarray) -> np.ndarray:
        """Check the guards of ``raw`` (the array read back after the call) and return the body."""
        self.check(raw)
        raw = np.asarray(raw).reshape(-1).view(np.uint8)
        body = raw[GUARD_BYTES:GUARD_BYTES + self.nbytes]
        return body.view(self.dtype).reshape(self.shape).copy()
