"""Avatar hashes: 64-bit pHash values written as 16 hex digits.

Platform default avatars are a few fixed hashes shared by everyone who never
uploaded one; stock photos are a pool shared by fake farms and a few real
users; everyone else has a random (unique) hash. Near-duplicates of an image
(re-uploaded, re-compressed, cropped) differ by a few flipped bits.
"""

from __future__ import annotations

import numpy as np

#: The platform's default avatars (fixed, independent of the seed).
DEFAULT_AVATARS = np.array([0xF0E1C3C3C3C38700, 0x7E81A5A58199817E, 0xFFC381818181C3FF], dtype=np.uint64)
#: Sentinel meaning "no avatar at all" (written as null).
NO_AVATAR = np.uint64(0)


def random_hashes(rng: np.random.Generator, k: int) -> np.ndarray:
    h = rng.integers(1, np.iinfo(np.int64).max, k, dtype=np.int64).astype(np.uint64)
    h ^= rng.integers(0, 2, k).astype(np.uint64) << np.uint64(63)
    h[h == NO_AVATAR] = np.uint64(1)
    return h


def flip_bits(rng: np.random.Generator, hashes: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Copies of `hashes` with between lo and hi (inclusive) distinct bits flipped."""
    hashes = np.asarray(hashes, dtype=np.uint64).copy()
    k = hashes.size
    if k == 0:
        return hashes
    nbits = rng.integers(lo, hi + 1, k)
    # A random permutation of the 64 bit positions per hash; flip the first nbits of it.
    ranks = np.argsort(rng.random((k, 64)), axis=1).argsort(axis=1)
    bits = ranks < nbits[:, None]
    mask = np.packbits(bits, axis=1, bitorder="little").view("<u8").reshape(k).astype(np.uint64)
    hashes ^= mask
    hashes[hashes == NO_AVATAR] = np.uint64(1)
    return hashes


def to_hex(hashes: np.ndarray) -> list[str | None]:
    return [None if h == 0 else f"{h:016x}" for h in hashes.tolist()]


def hamming(a: int, b: int) -> int:
    return int(a ^ b).bit_count()
