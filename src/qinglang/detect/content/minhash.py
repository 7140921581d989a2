"""Vectorised MinHash signatures and LSH banding over character shingles.

The signature of a text is, for each of `num_perm` seeded 64-bit mixers, the
minimum mixed value over the text's character shingles. A shingle of k code
points is packed into one 64-bit integer (21 bits per code point), so no string
hashing is needed, and a whole batch is signed with a few NumPy operations
(datasketch's `MinHash.update` works one shingle at a time in Python; this is
measured side by side in benchmarks/screening.py).
"""

from __future__ import annotations

import numpy as np

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (wrapping uint64 arithmetic)."""
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint64(30))
        x = x * _M1
        x = x ^ (x >> np.uint64(27))
        x = x * _M2
        x = x ^ (x >> np.uint64(31))
    return x


class MinHasher:
    def __init__(self, num_perm: int = 64, k: int = 2, bands: int = 16, seed: int = 7):
        if num_perm % bands:
            raise ValueError("num_perm must be a multiple of bands")
        self.num_perm = num_perm
        self.k = k
        self.bands = bands
        self.rows = num_perm // bands
        rng = np.random.default_rng(seed)
        self.seeds = rng.integers(1, 2**63 - 1, size=num_perm, dtype=np.int64).astype(np.uint64)
        self.band_mult = rng.integers(1, 2**63 - 1, size=self.rows, dtype=np.int64).astype(np.uint64) | np.uint64(1)

    def shingles(self, cps: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Packed k-shingles of every text in a concatenated code-point array.

        `offsets[i]:offsets[i+1]` delimit text i (without separators). Texts shorter than k
        give one shingle of their whole length. Returns (shingle values, text index of each)."""
        n = len(offsets) - 1
        lens = np.diff(offsets)
        k = self.k
        counts = np.where(lens >= k, lens - k + 1, (lens > 0).astype(np.int64))
        total = int(counts.sum())
        if total == 0:
            return np.zeros(0, np.uint64), np.zeros(0, np.int64)
        owner = np.repeat(np.arange(n), counts)
        first = np.repeat(offsets[:-1], counts)
        within = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        start = first + within
        vals = np.zeros(total, dtype=np.uint64)
        cps64 = cps.astype(np.uint64)
        end = np.repeat(offsets[1:], counts)
        for j in range(k):
            pos = start + j
            ok = pos < end
            v = np.where(ok, cps64[np.minimum(pos, len(cps) - 1)], np.uint64(0))
            vals = (vals << np.uint64(21)) | v
        return vals, owner

    def signatures(self, cps: np.ndarray, offsets: np.ndarray, chunk: int = 50_000) -> np.ndarray:
        """uint64[n_texts, num_perm]; empty texts get all-max rows."""
        n = len(offsets) - 1
        sig = np.full((n, self.num_perm), np.iinfo(np.uint64).max, dtype=np.uint64)
        vals, owner = self.shingles(cps, offsets)
        for a in range(0, len(vals), chunk):
            v = vals[a:a + chunk]
            o = owner[a:a + chunk]
            h = _mix(v[:, None] ^ self.seeds[None, :])
            # rows of one owner are contiguous: reduce per owner
            change = np.flatnonzero(np.diff(o)) + 1
            starts = np.concatenate([[0], change])
            red = np.minimum.reduceat(h, starts, axis=0)
            owners = o[starts]
            sig[owners] = np.minimum(sig[owners], red)
        return sig

    def band_keys(self, sig: np.ndarray) -> np.ndarray:
        """uint64[n, bands]: one key per band."""
        n = sig.shape[0]
        s = sig.reshape(n, self.bands, self.rows)
        with np.errstate(over="ignore"):
            keys = _mix((s * self.band_mult[None, None, :]).sum(axis=2, dtype=np.uint64))
        return keys


def shingle_set(text: str, k: int) -> set[str]:
    if len(text) < k:
        return {text} if text else set()
    return {text[i:i + k] for i in range(len(text) - k + 1)}
