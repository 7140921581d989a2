"""The follow graph held in this process, for engines that run here (DuckDB).

follow_data.FollowData keeps the follows on the engine and answers every lookup the
lockstep search makes (a target's window, a seed's follows, a group's member -> target
follows) with a query; on a cluster that is the right trade, on one machine each such
query re-reads the whole follows table (at 20M follows, about 1,200 of them took most of a
20-minute scan). LocalFollowData is the same FollowData (the per-followee scans, counts
and dense blocks still run on the engine) whose lookups are answered from arrays read
once: the follows in (followee, key, follower) order and a permutation into (follower,
followee) order, about 20 bytes per follow. Answers are identical, order included.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from qinglang.detect.fakefans.follow_data import FollowData, _col


class LocalFollowData(FollowData):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        m = self.n_edges
        self._s = np.empty(m, np.int32)
        self._key = np.empty(m, np.int64)
        self._tkey = self._key if self.basis == "time" else np.empty(m, np.int64)
        at = 0
        q = f"SELECT s, key, tkey FROM {self.table} ORDER BY d, key, s"
        for batch in self.engine.batches(q, 2_000_000):
            k = batch.num_rows
            self._s[at:at + k] = _col(batch, "s")
            self._key[at:at + k] = _col(batch, "key")
            if self._tkey is not self._key:
                self._tkey[at:at + k] = _col(batch, "tkey")
            at += k
        if at != m:
            raise RuntimeError(f"follows changed while being read ({at} rows, expected {m})")
        # (follower, followee) order: follows are sorted by followee already, so a stable sort by follower
        self._perm = np.argsort(self._s, kind="stable").astype(np.int64 if m >= 2**31 else np.int32)
        self._out_ptr = np.zeros(self.n + 1, np.int64)
        np.cumsum(self.outdeg, out=self._out_ptr[1:])

    # --- lookups ----------------------------------------------------------------------------------------
    def _seg(self, t: int) -> tuple[int, int]:
        return int(self.ptr[t]), int(self.ptr[t + 1])

    def _key_slice(self, t: int, lo: int, hi: int) -> tuple[int, int]:
        a, b = self._seg(t)
        k = self._key[a:b]
        return a + int(np.searchsorted(k, lo, "left")), a + int(np.searchsorted(k, hi, "left"))

    def _tkey_slice(self, t: int, lo: int, hi: int) -> tuple[int, int]:
        a, b = self._seg(t)
        k = self._tkey[a:b]
        return a + int(np.searchsorted(k, lo, "left")), a + int(np.searchsorted(k, hi, "right"))

    def windows_key(self, spans):
        out = []
        for t, lo, hi in spans:
            i, j = self._key_slice(int(t), int(lo), int(hi))
            out.append(np.sort(self._s[i:j]).astype(np.int64))
        return out

    def windows_tkey(self, spans):
        out = []
        for t, lo, hi in spans:
            i, j = self._tkey_slice(int(t), int(lo), int(hi))
            s = self._s[i:j].astype(np.int64)
            o = np.argsort(s, kind="stable")
            out.append((s[o], self._key[i:j][o]))
        return out

    def window_counts(self, spans):
        out = np.zeros(len(spans), np.int64)
        for x, (t, lo, hi) in enumerate(spans):
            i, j = self._key_slice(int(t), int(lo), int(hi))
            out[x] = j - i
        return out

    def member_follows(self, members, targets):
        """Answered from whichever side is smaller: the targets' follower lists filtered by a member mask, or
        the members' own follows (positions into the (followee, key, follower) order, filtered by a target mask
        and sorted, which is that order again). Linear in what is read; no per-target sort."""
        members = np.unique(np.asarray(members, np.int64))
        targets = np.unique(np.asarray(targets, np.int64))
        e = np.empty(0, np.int64)
        if members.size == 0 or targets.size == 0:
            return e, e, e
        via_targets = int((self.ptr[targets + 1] - self.ptr[targets]).sum())
        via_members = int((self._out_ptr[members + 1] - self._out_ptr[members]).sum())
        if via_members < via_targets:
            starts, ends = self._out_ptr[members], self._out_ptr[members + 1]
            lens = ends - starts
            pos = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens) + np.arange(int(lens.sum()))
            idx = self._perm[pos].astype(np.int64)
            d = np.searchsorted(self.ptr, idx, "right") - 1
            on = np.zeros(self.n, np.bool_)
            on[targets] = True
            keep = on[d]
            o = np.argsort(idx[keep], kind="stable")
            idx, d = idx[keep][o], d[keep][o]
            return d.astype(np.int64), self._key[idx], self._tkey[idx]
        mask = np.zeros(self.n, np.bool_)
        mask[members] = True
        d, key, tkey = [], [], []
        for t in targets.tolist():
            a, b = self._seg(t)
            sel = mask[self._s[a:b]]
            k = int(sel.sum())
            if k:
                d.append(np.full(k, t, np.int64))
                key.append(self._key[a:b][sel])
                tkey.append(self._tkey[a:b][sel])
        if not d:
            return e, e, e
        return np.concatenate(d), np.concatenate(key), np.concatenate(tkey)

    def member_follows_many(self, pairs):
        return [self.member_follows(m, t) for m, t in pairs]

    def out_follows(self, accounts):
        accounts = np.unique(np.asarray(accounts, np.int64))
        starts, ends = self._out_ptr[accounts], self._out_ptr[accounts + 1]
        lens = ends - starts
        pos = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens) + np.arange(int(lens.sum()))
        idx = self._perm[pos].astype(np.int64)
        d = np.searchsorted(self.ptr, idx, "right") - 1
        return pa.table({"s": pa.array(np.repeat(accounts, lens)), "d": pa.array(d.astype(np.int64)),
                         "tkey": pa.array(self._tkey[idx])})

    def close(self) -> None:
        self._s = self._key = self._tkey = self._perm = None
        super().close()
