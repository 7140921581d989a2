"""Account features for linking: nickname keys, avatar hashes, bios, and pairwise signals.

Pure functions over Arrow/NumPy (no engine, no files), shared by the batch detector,
the real-time registration check and the watch list:

- `profile_columns(table)`: the matching keys of each account (text.nickname), the avatar
  as 64-bit parts, the normalised bio;
- `masked_keys(core)`: one-substitution neighbourhood of a name (王小明 -> ?小明, 王?明,
  王小?), so a name with one character swapped for a look-alike or homophone still meets
  the original in blocking;
- `Csr`: per-account sorted int64 sets (followers, identity-value codes) and numba kernels
  that, for candidate pairs, count common followers and find the identity kinds they share;
- `join_keys`: candidate pairs from equal keys, skipping hot keys (a stock avatar, 小明).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import numba as nb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from qinglang.text.nickname import nickname_columns

#: Identity kinds, in the order of the bits of `IdentityOverlap.kinds`.
ID_KINDS = ("phone", "device", "ip", "payment", "id_document", "email")
#: Kinds that identify a person or a handset; IP addresses are shared by many (NAT, campus, café).
STRONG_KINDS = ("phone", "device", "payment", "id_document", "email")

_BIO_DROP = re.compile(r"[\s\W_]+", re.UNICODE)


def normalise_bio(text: str | None) -> str | None:
    if not text:
        return None
    t = unicodedata.normalize("NFKC", text).lower()
    t = _BIO_DROP.sub("", t)
    return t or None


def avatar_parts(values) -> np.ndarray:
    """Hex pHash/PDQ strings -> (n, 4) uint64 (64-bit hashes fill part 0); missing -> all zero."""
    vals = values.to_pylist() if hasattr(values, "to_pylist") else list(values)
    out = np.zeros((len(vals), 4), dtype=np.uint64)
    for k, v in enumerate(vals):
        if not v:
            continue
        s = str(v).strip().lower()
        try:
            for p in range(min(4, (len(s) + 15) // 16)):
                out[k, p] = int(s[p * 16:(p + 1) * 16], 16)
        except ValueError:
            out[k] = 0
    return out


def profile_columns(nicknames: list[str | None], avatars: list[str | None] | None = None,
                    bios: list[str | None] | None = None) -> dict[str, pa.Array]:
    """Matching columns of accounts: nickname keys, normalised bio, avatar (hex, lower case)."""
    keys = nickname_columns(nicknames)
    cols: dict[str, pa.Array] = {}
    for k in ("clean", "kept", "base", "core", "pinyin", "pinyin_hanzi", "fuzzy", "initials"):
        cols[f"n_{k}"] = pa.array(keys[k], pa.string())
    cols["n_fan"] = pa.array(keys["fan_marker"], pa.bool_())
    cols["n_hanzi"] = pa.array(keys["hanzi"], pa.int32())
    # a name written as initials (WXM, wxm): short and all letters
    cols["n_initials_only"] = pa.array(
        [bool(b) and b.isascii() and b.isalpha() and 2 <= len(b) <= 8 and h == 0
         for b, h in zip(keys["base"], keys["hanzi"])], pa.bool_())
    # a name partly spelled in letters (阿xmmzls, 花kfg): its initials may abbreviate the original
    cols["n_has_latin"] = pa.array([bool(b) and any("a" <= c <= "z" for c in b) for b in keys["base"]], pa.bool_())
    if avatars is not None:
        cols["avatar"] = pa.array([str(a).strip().lower() if a else None for a in avatars], pa.string())
    if bios is not None:
        cols["bio_norm"] = pa.array([normalise_bio(b) for b in bios], pa.string())
    return cols


def masked_keys(core: str | None, min_len: int = 3, max_len: int = 10) -> list[str]:
    """'王小明' -> ['?小明', '王?明', '王小?']: names one substitution apart share a key."""
    if not core or not (min_len <= len(core) <= max_len):
        return []
    return [f"{core[:k]}\x1f{core[k + 1:]}" for k in range(len(core))]


def stable_hash(text: str) -> int:
    """A 64-bit hash stable across processes and machines (for persisted key indexes)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


# --- keys to candidate pairs ---------------------------------------------------------------
def encode_together(left: pa.Array | list, right: pa.Array | list) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of two string key arrays in one shared dictionary (-1 for null)."""
    la = pa.array(left, pa.string()) if not isinstance(left, (pa.Array, pa.ChunkedArray)) else left
    ra = pa.array(right, pa.string()) if not isinstance(right, (pa.Array, pa.ChunkedArray)) else right
    chunks = []
    for a in (la, ra):
        a = pc.cast(a, pa.string())
        chunks.extend(a.chunks if isinstance(a, pa.ChunkedArray) else [a])
    enc = pc.dictionary_encode(pa.chunked_array(chunks, type=pa.string())).combine_chunks()
    idx = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return idx[: len(la)], idx[len(la):]


def join_keys(lkey: np.ndarray, li: np.ndarray, rkey: np.ndarray, rj: np.ndarray,
              max_pairs_per_key: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Pairs (i, j) with lkey == rkey; keys generating more than the cap are skipped.

    Returns (i, j, number of hot keys skipped). Keys < 0 are null and never join.
    """
    lok, rok = lkey >= 0, rkey >= 0
    lkey, li, rkey, rj = lkey[lok], li[lok], rkey[rok], rj[rok]
    if len(lkey) == 0 or len(rkey) == 0:
        z = np.zeros(0, np.int64)
        return z, z, 0
    order = np.argsort(rkey, kind="stable")
    rkey, rj = rkey[order], rj[order]
    lo = np.searchsorted(rkey, lkey, "left")
    hi = np.searchsorted(rkey, lkey, "right")
    cnt = hi - lo
    # pairs each key generates = (left rows with the key) * (right rows with the key)
    ukeys, linv, lcnt = np.unique(lkey, return_inverse=True, return_counts=True)
    per_key = lcnt[linv] * cnt
    hot = per_key > max_pairs_per_key
    n_hot = int(len(np.unique(lkey[hot & (cnt > 0)])))
    cnt = np.where(hot, 0, cnt)
    total = int(cnt.sum())
    if total == 0:
        z = np.zeros(0, np.int64)
        return z, z, n_hot
    i = np.repeat(li, cnt)
    starts = np.repeat(lo, cnt)
    offs = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    j = rj[starts + offs]
    return i.astype(np.int64), j.astype(np.int64), n_hot


# --- per-account sets (CSR) ----------------------------------------------------------------
@dataclass
class Csr:
    """Sorted int64 members per row: row r holds values[indptr[r]:indptr[r + 1]]."""

    indptr: np.ndarray
    values: np.ndarray
    weights: np.ndarray | None = None  # per member (e.g. an identity value's kind bit)

    @classmethod
    def build(cls, rows: np.ndarray, values: np.ndarray, n_rows: int, weights: np.ndarray | None = None) -> "Csr":
        rows = np.asarray(rows, dtype=np.int64)
        values = np.asarray(values, dtype=np.int64)
        ok = (rows >= 0) & (rows < n_rows)
        rows, values = rows[ok], values[ok]
        if weights is not None:
            weights = np.asarray(weights)[ok]
        span = int(values.max()) + 1 if len(values) else 1
        if n_rows * span < 2 ** 62:
            order = np.argsort(rows * span + values, kind="stable")
        else:
            order = np.lexsort((values, rows))
        rows, values = rows[order], values[order]
        if weights is not None:
            weights = weights[order]
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.add.at(indptr, rows + 1, 1)
        np.cumsum(indptr, out=indptr)
        return cls(indptr, values, weights)

    def sizes(self) -> np.ndarray:
        return np.diff(self.indptr)


@nb.njit(cache=True, nogil=True)
def _common_counts(ip_a, va, ip_b, vb, i, j, skip):
    """For pairs (i[k] in set A, j[k] in set B): number of common members not in `skip`.

    Merges when the two sets are of similar size; otherwise looks each member of the smaller set up
    in the larger by binary search (a comeback with 20 followers against a star with a million).
    """
    out = np.zeros(len(i), dtype=np.int64)
    for k in range(len(i)):
        a0, a1 = ip_a[i[k]], ip_a[i[k] + 1]
        b0, b1 = ip_b[j[k]], ip_b[j[k] + 1]
        na, nb_ = a1 - a0, b1 - b0
        if na == 0 or nb_ == 0:
            continue
        c = 0
        if na * 16 < nb_ or nb_ * 16 < na:
            if na <= nb_:
                s0, s1, l0, l1, small, large = a0, a1, b0, b1, va, vb
            else:
                s0, s1, l0, l1, small, large = b0, b1, a0, a1, vb, va
            lo = l0
            for p in range(s0, s1):
                x = small[p]
                if skip[x]:
                    continue
                hi = l1
                while lo < hi:
                    mid = (lo + hi) >> 1
                    if large[mid] < x:
                        lo = mid + 1
                    else:
                        hi = mid
                if lo < l1 and large[lo] == x:
                    c += 1
            out[k] = c
            continue
        while a0 < a1 and b0 < b1:
            x, y = va[a0], vb[b0]
            if x == y:
                if not skip[x]:
                    c += 1
                a0 += 1
                b0 += 1
            elif x < y:
                a0 += 1
            else:
                b0 += 1
        out[k] = c
    return out


@nb.njit(cache=True, nogil=True)
def _shared_values(ip_a, va, wa, ip_b, vb, i, j, freq):
    """For pairs: OR of kind bits of shared values, and the smallest frequency per kind bit (6 kinds)."""
    kinds = np.zeros(len(i), dtype=np.int64)
    minf = np.ones((len(i), 6), dtype=np.float64)
    for k in range(len(i)):
        a0, a1 = ip_a[i[k]], ip_a[i[k] + 1]
        b0, b1 = ip_b[j[k]], ip_b[j[k] + 1]
        while a0 < a1 and b0 < b1:
            x, y = va[a0], vb[b0]
            if x == y:
                bit = wa[a0]
                kinds[k] |= 1 << bit
                f = freq[x]
                if f < minf[k, bit]:
                    minf[k, bit] = f
                a0 += 1
                b0 += 1
            elif x < y:
                a0 += 1
            else:
                b0 += 1
    return kinds, minf


@nb.njit(cache=True, nogil=True)
def _co_follow_pairs(banned_rows, ip_fans, fans, ip_out, outs, skip, ok_new, min_common, counter, touched):
    """Pairs (new, banned) with >= min_common common followers: for each banned account, walk its
    (non-hub) followers and count the accounts they also follow."""
    cap = 1 << 16
    ri = np.empty(cap, dtype=np.int64)
    rj = np.empty(cap, dtype=np.int64)
    rc = np.empty(cap, dtype=np.int64)
    n_out = 0
    for bi in range(len(banned_rows)):
        b = banned_rows[bi]
        if b < 0:
            continue
        nt = 0
        for p in range(ip_fans[b], ip_fans[b + 1]):
            f = fans[p]
            if skip[f]:
                continue
            for q in range(ip_out[f], ip_out[f + 1]):
                n = outs[q]
                if n == b or not ok_new[n]:
                    continue
                if counter[n] == 0:
                    touched[nt] = n
                    nt += 1
                counter[n] += 1
        for t in range(nt):
            n = touched[t]
            if counter[n] >= min_common:
                if n_out == len(ri):
                    ri2 = np.empty(len(ri) * 2, dtype=np.int64)
                    rj2 = np.empty(len(ri) * 2, dtype=np.int64)
                    rc2 = np.empty(len(ri) * 2, dtype=np.int64)
                    ri2[:n_out] = ri[:n_out]
                    rj2[:n_out] = rj[:n_out]
                    rc2[:n_out] = rc[:n_out]
                    ri, rj, rc = ri2, rj2, rc2
                ri[n_out] = n
                rj[n_out] = bi
                rc[n_out] = counter[n]
                n_out += 1
            counter[n] = 0
    return ri[:n_out], rj[:n_out], rc[:n_out]


class FollowGraph:
    """Followers and followees of every account (row indexes), with hub followers marked.

    A follower who follows more than `hub_following` accounts (a farm account, a follow-back
    bot) says little about who an account is: such followers are ignored by the overlap.
    """

    def __init__(self, follower: np.ndarray, followee: np.ndarray, n_accounts: int, hub_following: int = 500):
        self.n = n_accounts
        self.fans = Csr.build(followee, follower, n_accounts)  # row: account, members: its followers
        self.outs = Csr.build(follower, followee, n_accounts)  # row: account, members: whom it follows
        self.hub = self.outs.sizes() > hub_following
        self.n_fans = self.fans.sizes()
        self._effective: np.ndarray | None = None

    def common_fans(self, new_rows: np.ndarray, banned_rows: np.ndarray) -> np.ndarray:
        return _common_counts(self.fans.indptr, self.fans.values, self.fans.indptr, self.fans.values,
                              np.asarray(new_rows, np.int64), np.asarray(banned_rows, np.int64), self.hub)

    def effective_fans(self, rows: np.ndarray) -> np.ndarray:
        """Followers of each row that are not hubs."""
        if self._effective is None:
            keep = (~self.hub[self.fans.values]).astype(np.int64)
            c = np.concatenate([[0], np.cumsum(keep)])
            self._effective = c[self.fans.indptr[1:]] - c[self.fans.indptr[:-1]]
        rows = np.asarray(rows, np.int64)
        return np.where(rows >= 0, self._effective[np.maximum(rows, 0)], 0)

    def co_follow_candidates(self, banned_rows: np.ndarray, ok_new: np.ndarray, min_common: int = 2):
        """(new row, index into banned_rows, common followers) for pairs sharing >= min_common fans."""
        counter = np.zeros(self.n, dtype=np.int64)
        touched = np.zeros(self.n, dtype=np.int64)
        return _co_follow_pairs(np.asarray(banned_rows, np.int64), self.fans.indptr, self.fans.values,
                                self.outs.indptr, self.outs.values, self.hub, ok_new.astype(np.bool_),
                                min_common, counter, touched)


class IdentitySets:
    """Hashed identity values of accounts (row indexes), with each value's frequency."""

    def __init__(self, rows: np.ndarray, kinds: list[str] | np.ndarray, values: pa.Array | list, n_accounts: int,
                 population: int | None = None):
        if isinstance(kinds, np.ndarray):
            kind_idx = kinds.astype(np.int64)
            kind_arr = pa.array([ID_KINDS[k] for k in kind_idx], pa.string())
        else:
            kind_arr = kinds.combine_chunks() if isinstance(kinds, pa.ChunkedArray) else pa.array(kinds, pa.string())
            kind_arr = pc.cast(kind_arr, pa.string())
            kind_idx = pc.index_in(kind_arr, value_set=pa.array(ID_KINDS)).fill_null(0).to_numpy(
                zero_copy_only=False).astype(np.int64)
        # one value space per kind: the same string under two kinds is two values
        vals = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else pa.array(values, pa.string())
        key = pc.binary_join_element_wise(kind_arr, pc.cast(vals, pa.string()), "\x1f")
        enc = pc.dictionary_encode(key)
        if isinstance(enc, pa.ChunkedArray):
            enc = enc.combine_chunks()
        codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        self.dictionary = enc.dictionary
        self.n_values = len(enc.dictionary)
        rows = np.asarray(rows, np.int64)
        # accounts per value (distinct)
        pairs = np.unique(rows * max(self.n_values, 1) + codes)
        vcodes = pairs % max(self.n_values, 1)
        self.accounts_per_value = np.bincount(vcodes, minlength=self.n_values)
        pop = population or n_accounts
        self.freq = self.accounts_per_value / max(pop, 1)
        self.csr = Csr.build(rows, codes, n_accounts, kind_idx)
        self.has_any = self.csr.sizes() > 0
        self.n_accounts = n_accounts

    def shared(self, new_rows: np.ndarray, banned_rows: np.ndarray, other: "IdentitySets | None" = None):
        """Kind bits of the values each pair shares, and the smallest frequency per kind."""
        o = other or self
        return _shared_values(self.csr.indptr, self.csr.values, self.csr.weights, o.csr.indptr, o.csr.values,
                              np.asarray(new_rows, np.int64), np.asarray(banned_rows, np.int64), self.freq)
