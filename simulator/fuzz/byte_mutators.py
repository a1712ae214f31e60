"""Byte mutators: flips, sets, truncation, garbage, chunks deleted or duplicated."""
from __future__ import annotations

from .seeds import SeedModel


def bit_flips(rng, seed: SeedModel) -> bytes:
    data = bytearray(seed.data)
    for _ in range(rng.choice([1, 1, 2, 4, 8, 32])):
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return bytes(data)


def byte_sets(rng, seed: SeedModel) -> bytes:
    data = bytearray(seed.data)
    for _ in range(rng.choice([1, 2, 4, 16])):
        data[rng.randrange(len(data))] = rng.choice([0x00, 0xFF, 0x7F, 0x80, 0x01, rng.randrange(256)])
    return bytes(data)


def header_bytes(rng, seed: SeedModel) -> bytes:
    """Damage the first 64 bytes: root offset, identifier, root vtable."""
    data = bytearray(seed.data)
    for _ in range(rng.choice([1, 2, 3])):
        data[rng.randrange(min(64, len(data)))] = rng.randrange(256)
    return bytes(data)


def truncate(rng, seed: SeedModel) -> bytes:
    n = len(seed.data)
    cut = rng.choice([0, 1, 4, 7, 8, 12, rng.randrange(n), rng.randrange(n), n - 1, n - 4])
    return seed.data[:max(cut, 0)]


def append_garbage(rng, seed: SeedModel) -> bytes:
    return seed.data + bytes(rng.randrange(256) for _ in range(rng.choice([1, 3, 64, 1000])))


def delete_chunk(rng, seed: SeedModel) -> bytes:
    n = len(seed.data)
    start = rng.randrange(n)
    return seed.data[:start] + seed.data[start + rng.choice([1, 2, 4, 16, 256]):]


def duplicate_chunk(rng, seed: SeedModel) -> bytes:
    n = len(seed.data)
    start = rng.randrange(n)
    chunk = seed.data[start:start + rng.choice([4, 16, 64])]
    at = rng.randrange(n)
    return seed.data[:at] + chunk + seed.data[at:]


def random_bytes(rng, seed: SeedModel) -> bytes:
    """Not a model at all; sometimes with the right identifier."""
    body = bytes(rng.randrange(256) for _ in range(rng.choice([0, 3, 8, 16, 100])))
    return body[:4] + b"TFL3" + body[8:] if rng.random() < 0.5 and len(body) >= 8 else body
