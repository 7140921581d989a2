"""The follow graph as the fake-fan analysis uses it, kept where the engine keeps it.

Nothing here collects the edge list to this process: per-followee scans (bursts, the
rank clock, purchases) run through `engine.group_apply`, per-account counts are SQL
aggregates, lookups fetch only the follows asked for (a target's window, a seed's
follows, a group's member -> target follows), and dense blocks come from
parallel_peel, whose exact greedy tail, under its edge threshold, is the one step that
collects edges. The same code runs on DuckDB (one machine) and Spark (a cluster).

The engine keeps one table, `ff_in`: s, d (account indices in account_id order, as
load.load_accounts numbers them), key (follow time, or follow rank, or 0), tkey (the
synchrony clock: the follow time, or the pseudo-time of a follow rank, or -1) and cs
(the follower's registration time). Within a followee, follows are ordered by
(key, s): ties in a follow time fall by follower index, on every engine.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pyarrow as pa

from qinglang.detect.fakefans import lockstep as L
from qinglang.detect.fakefans import signals as S
from qinglang.detect.fakefans.load import Accounts, Follows, _np

_ids = itertools.count()

BURSTS_SCHEMA = pa.schema([("kind", pa.string()), ("target", pa.int64()), ("lo", pa.int64()), ("hi", pa.int64()),
                           ("followers", pa.list_(pa.int64()))])
PURCHASE_SCHEMA = pa.schema([("b", pa.int64()), ("d", pa.int64()), ("lo", pa.int64()), ("hi", pa.int64())])
CLOCK_SCHEMA = pa.schema([("s", pa.int64()), ("d", pa.int64()), ("key", pa.int64()), ("tkey", pa.int64()),
                          ("cs", pa.int64())])


# --- per-chunk functions (whole followee groups; run on the engine's workers) ---------------------------
def _segments(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Offsets of runs of equal d (sorted) and each run's d."""
    starts = np.flatnonzero(np.r_[True, d[1:] != d[:-1]]) if d.size else np.empty(0, np.int64)
    ptr = np.r_[starts, d.size].astype(np.int64)
    return ptr, d[starts]


def _col(t: pa.Table, name: str) -> np.ndarray:
    return _np(t.column(name), np.int64, -1)


def _rank_clock(t: pa.Table) -> pa.Table:
    """tkey = the running maximum of followers' registration times in rank order (lockstep.follow_index)."""
    d, cs = _col(t, "d"), _col(t, "cs")
    ptr, _ = _segments(d)
    tkey = S.running_max(cs, ptr)
    return pa.table({"s": t.column("s"), "d": t.column("d"), "key": t.column("key"), "tkey": pa.array(tkey),
                     "cs": t.column("cs")})


def _burst_rows(kind, w, ptr, seg_d, lo_hi, follow) -> list[tuple]:
    out = []
    for seg, a, b in zip(w.seg.tolist(), w.start.tolist(), w.end.tolist()):
        lo, hi = lo_hi(seg, a, b)
        out.append((kind, int(seg_d[seg]), lo, hi, follow(seg, a, b)))
    return out


def _bursts(basis: str, llr: float, seed_llr: float, t: pa.Table) -> pa.Table:
    """The follower bursts of each followee in the chunk (analysis.find_bursts, and the weaker and pseudo-time
    windows the lockstep search takes as candidate events)."""
    d, s, key, tkey, cs = (_col(t, c) for c in ("d", "s", "key", "tkey", "cs"))
    ptr, seg_d = _segments(d)
    rows: list[tuple] = []

    def keyed(seg, lo, hi, arr=key, right="left"):
        a, b = int(ptr[seg]), int(ptr[seg + 1])
        i = a + int(np.searchsorted(arr[a:b], lo, "left"))
        j = a + int(np.searchsorted(arr[a:b], hi, right))
        return s[i:j]

    levels = [("burst", llr)] + ([("weak_burst", seed_llr)] if seed_llr < llr else [])
    for kind, level in levels:
        if basis == "time":
            w = S.time_bursts(d, key, ptr, llr=level)
            rows += _burst_rows(kind, w, ptr, seg_d, lambda seg, a, b: (a, b), lambda seg, a, b: keyed(seg, a, b))
        elif basis == "rank":
            w = S.rank_bursts(cs, ptr, llr=level)
            rows += _burst_rows(kind, w, ptr, seg_d,
                                lambda seg, a, b: (int(key[ptr[seg] + a]), int(key[ptr[seg] + b - 1]) + 1),
                                lambda seg, a, b: s[ptr[seg] + a:ptr[seg] + b])
    if basis == "rank":  # bursts on the pseudo-time clock (analysis: old accounts delivered together)
        w = S.time_bursts(d, tkey, ptr, llr=seed_llr)
        rows += _burst_rows("pseudo_time_burst", w, ptr, seg_d, lambda seg, a, b: (a, b),
                            lambda seg, a, b: keyed(seg, a, b - 1, tkey, "right"))
    if not rows:
        return BURSTS_SCHEMA.empty_table()
    k, tg, lo, hi, f = zip(*rows)
    return pa.table({"kind": list(k), "target": list(tg), "lo": list(lo), "hi": list(hi),
                     "followers": [np.sort(x).tolist() for x in f]}, schema=BURSTS_SCHEMA)


def _purchases(batch_size: np.ndarray, min_n: int, min_share: float, t: pa.Table) -> pa.Table:
    """analysis.batch_purchases for the (batch, followee) groups of the chunk."""
    b, d, key = _col(t, "b"), _col(t, "d"), _col(t, "key")
    starts = np.flatnonzero(np.r_[True, (b[1:] != b[:-1]) | (d[1:] != d[:-1])]) if b.size else np.empty(0, np.int64)
    ends = np.r_[starts[1:], b.size]
    out = []
    for s0, e0 in zip(starts.tolist(), ends.tolist()):
        k = e0 - s0
        if k < max(min_n, min_share * batch_size[b[s0]]):
            continue
        ks = key[s0:e0]
        lo_i, hi_i = int(0.02 * (k - 1)), int(np.ceil(0.98 * (k - 1)))
        out.append((int(b[s0]), int(d[s0]), int(ks[lo_i]), int(ks[hi_i]) + 1))
    if not out:
        return PURCHASE_SCHEMA.empty_table()
    bb, dd, lo, hi = zip(*out)
    return pa.table({"b": list(bb), "d": list(dd), "lo": list(lo), "hi": list(hi)}, schema=PURCHASE_SCHEMA)


class FollowData:
    """Follows on the engine, with the aggregates the analysis needs; `close()` drops what it materialised."""

    def __init__(self, engine, acc: Accounts, edges: str, has_time: bool | None = None,
                 has_rank: bool | None = None, counts_query: str | None = None, options: dict | None = None,
                 owned=(), owns_engine: bool = False):
        self.engine = engine
        self.acc = acc
        self.options = dict(options or {})
        self.tag = f"__ff{next(_ids)}"
        self._owned = list(owned)
        self._owns_engine = owns_engine
        n = acc.n
        self.n = n
        if has_time is None:
            c = engine.sql(counts_query).to_pylist()[0]
            m = int(c["n"] or 0)  # the lake's references resolve (ingest checks them): every follow is an edge
            has_time = m > 0 and int(c["nt"]) >= 0.9 * m
            has_rank = m > 0 and int(c["nr"]) >= 0.9 * m
        else:
            m = int(engine.sql(f"SELECT count(*) AS m FROM ({edges}) e").column(0)[0].as_py() or 0)
        self.has_time, self.has_rank = bool(has_time), bool(has_rank)
        self.basis = "time" if self.has_time else ("rank" if self.has_rank else "none")
        self.n_edges = m
        self.table = f"{self.tag}_in"
        clock = {"time": "e.t AS key, e.t AS tkey", "rank": "e.r AS key, CAST(-1 AS BIGINT) AS tkey",
                 "none": "CAST(0 AS BIGINT) AS key, CAST(-1 AS BIGINT) AS tkey"}[self.basis]
        nodes = self._register("nodes", pa.table({"i": pa.array(np.arange(n, dtype=np.int64)),
                                                  "created": pa.array(np.asarray(acc.created, np.int64))}))
        base = f"SELECT e.s, e.d, {clock}, n.created AS cs FROM ({edges}) e JOIN {nodes} n ON n.i = e.s"
        if self.basis == "rank":
            engine.group_apply(base, ["d"], _rank_clock, CLOCK_SCHEMA, order_by=["key", "s"], into=self.table)
        else:
            engine.materialize(self.table, base)
        engine.drop(nodes)
        self.indeg = self._per_account("d")
        self.outdeg = self._per_account("s")
        self.n_edges = int(self.indeg.sum())  # the edges as joined (the same unless the lake is inconsistent)
        self.ptr = np.zeros(n + 1, np.int64)
        np.cumsum(self.indeg, out=self.ptr[1:])

    # --- construction -----------------------------------------------------------------------------------
    @classmethod
    def from_lake(cls, engine, acc: Accounts, options: dict | None = None) -> "FollowData":
        """The lake's follows, numbered like `acc` (load_accounts: account_id order), on `engine`."""
        ids = f"__ffids{next(_ids)}"
        engine.number_rows(ids, "SELECT account_id FROM accounts", ["account_id"], "i")
        edges = (f"SELECT a.i AS s, b.i AS d, coalesce(CAST(epoch(f.followed_at) AS BIGINT), -1) AS t, "
                 f"coalesce(CAST(f.follow_rank AS BIGINT), -1) AS r FROM follows f "
                 f"JOIN {ids} a ON a.account_id = f.follower_id JOIN {ids} b ON b.account_id = f.followee_id")
        counts = "SELECT count(*) AS n, count(followed_at) AS nt, count(follow_rank) AS nr FROM follows"
        try:
            return cls(engine, acc, edges, counts_query=counts, options=options, owned=[ids])
        except BaseException:
            engine.drop(ids)
            raise

    @classmethod
    def from_arrays(cls, acc: Accounts, fol: Follows, options: dict | None = None) -> "FollowData":
        """Follows given as index arrays (tests, evaluations on foreign graphs), on a private DuckDB."""
        import duckdb

        from qinglang.engines.duckdb_engine import DuckDBEngine

        eng = DuckDBEngine.__new__(DuckDBEngine)
        eng.con = duckdb.connect()
        eng.con.execute("SET TimeZone = 'UTC'")
        eng._tables, eng._registered, eng._materialized = set(), set(), set()
        name = "__ff_arrays"
        eng.register(name, pa.table({"s": pa.array(np.asarray(fol.src, np.int64)),
                                     "d": pa.array(np.asarray(fol.dst, np.int64)),
                                     "t": pa.array(np.asarray(fol.t, np.int64)),
                                     "r": pa.array(np.asarray(fol.rank, np.int64))}))
        return cls(eng, acc, f"SELECT s, d, t, r FROM {name}", has_time=fol.has_time, has_rank=fol.has_rank,
                   options=options, owned=[name], owns_engine=True)

    def _register(self, what: str, table: pa.Table) -> str:
        name = f"{self.tag}_{what}{next(_ids)}"
        self.engine.register(name, table)
        return name

    def _per_account(self, col: str) -> np.ndarray:
        t = self.engine.sql(f"SELECT {col} AS i, count(*) AS n FROM {self.table} GROUP BY {col}")
        out = np.zeros(self.n, np.int64)
        out[_col(t, "i")] = _col(t, "n")
        return out

    def close(self) -> None:
        for name in [self.table, *self._owned]:
            self.engine.drop(name)
        if self._owns_engine:
            self.engine.close()

    # --- scans ------------------------------------------------------------------------------------------
    def burst_windows(self, llr: float = 16.0, seed_llr: float = 16.0) -> dict[str, list[tuple[int, int, int, np.ndarray]]]:
        """Per kind (burst, weak_burst, pseudo_time_burst): (target, lo, hi, followers) in (target, lo) order."""
        out: dict[str, list] = {"burst": [], "weak_burst": [], "pseudo_time_burst": []}
        if self.basis == "none" or self.n_edges == 0:
            return out
        t = self.engine.group_apply(f"SELECT d, s, key, tkey, cs FROM {self.table}", ["d"],
                                    functools.partial(_bursts, self.basis, float(llr), float(seed_llr)), BURSTS_SCHEMA,
                                    order_by=["key", "s"])
        t = t.sort_by([("kind", "ascending"), ("target", "ascending"), ("lo", "ascending")])
        kinds, targets, los, his = (t.column(c).to_pylist() for c in ("kind", "target", "lo", "hi"))
        fol = t.column("followers").combine_chunks() if t.num_rows else None
        for i, (k, tg, lo, hi) in enumerate(zip(kinds, targets, los, his)):
            out[k].append((tg, lo, hi, np.asarray(fol[i].values.to_numpy(zero_copy_only=False), np.int64)))
        return out

    def purchase_windows(self, reg_batch: np.ndarray, min_n: int = 5, min_share: float = 0.3) -> list[tuple[int, int, int]]:
        """(target, lo, hi) of purchases seen from registration batches, in (batch, target) order."""
        members = np.flatnonzero(reg_batch >= 0)
        if self.basis == "none" or members.size == 0:
            return []
        batch_size = np.bincount(reg_batch[members])
        name = self._register("batch", pa.table({"i": pa.array(members.astype(np.int64)),
                                                 "b": pa.array(reg_batch[members].astype(np.int64))}))
        try:
            t = self.engine.group_apply(f"SELECT m.b, f.d, f.key, f.s FROM {self.table} f JOIN {name} m ON m.i = f.s",
                                        ["b", "d"], functools.partial(_purchases, batch_size, int(min_n), float(min_share)),
                                        PURCHASE_SCHEMA, order_by=["key", "s"])
        finally:
            self.engine.drop(name)
        t = t.sort_by([("b", "ascending"), ("d", "ascending")])
        return list(zip(t.column("d").to_pylist(), t.column("lo").to_pylist(), t.column("hi").to_pylist()))

    # --- lookups ----------------------------------------------------------------------------------------
    def _spans(self, spans, cond: str, cols: str) -> pa.Table:
        name = self._register("spans", pa.table({"j": pa.array(np.arange(len(spans), dtype=np.int64)),
                                                 "t": pa.array([int(x[0]) for x in spans], pa.int64()),
                                                 "lo": pa.array([int(x[1]) for x in spans], pa.int64()),
                                                 "hi": pa.array([int(x[2]) for x in spans], pa.int64())}))
        try:
            return self.engine.sql(f"SELECT w.j, {cols} FROM {self.table} f JOIN {name} w ON f.d = w.t AND {cond} "
                                   f"ORDER BY w.j, f.s")
        finally:
            self.engine.drop(name)

    @staticmethod
    def _split(t: pa.Table, n: int, *cols: str) -> list:
        j = _col(t, "j")
        bounds = np.searchsorted(j, np.arange(n + 1), "left")
        arrays = [_col(t, c) for c in cols]
        return [tuple(a[bounds[i]:bounds[i + 1]] for a in arrays) for i in range(n)]

    def windows_key(self, spans: list[tuple[int, int, int]]) -> list[np.ndarray]:
        """Followers of t whose key lies in [lo, hi), for each (t, lo, hi) (sorted by follower)."""
        if not spans:
            return []
        t = self._spans(spans, "f.key >= w.lo AND f.key < w.hi", "f.s")
        return [x[0] for x in self._split(t, len(spans), "s")]

    def windows_tkey(self, spans: list[tuple[int, int, int]]) -> list[tuple[np.ndarray, np.ndarray]]:
        """(followers, their keys) of t whose tkey lies in [lo, hi], for each (t, lo, hi)."""
        if not spans:
            return []
        t = self._spans(spans, "f.tkey >= w.lo AND f.tkey <= w.hi", "f.s, f.key")
        return self._split(t, len(spans), "s", "key")

    def window_counts(self, spans: list[tuple[int, int, int]]) -> np.ndarray:
        """How many followers of t have a key in [lo, hi), for each (t, lo, hi)."""
        if not spans:
            return np.zeros(0, np.int64)
        t = self._spans(spans, "f.key >= w.lo AND f.key < w.hi", "f.s")
        return np.bincount(_col(t, "j"), minlength=len(spans)).astype(np.int64)

    def member_follows(self, members: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(followee, key, tkey) of the members' follows of the targets, ordered by (followee, key, follower)."""
        return self.member_follows_many([(members, targets)])[0]

    def member_follows_many(self, pairs: list[tuple[np.ndarray, np.ndarray]]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """`member_follows` of each (members, targets) pair (several groups at once), with one query."""
        if not pairs:
            return []
        uniq = [(np.unique(np.asarray(m, np.int64)), np.unique(np.asarray(t, np.int64))) for m, t in pairs]
        g_m = np.concatenate([np.full(m.size, j, np.int64) for j, (m, _) in enumerate(uniq)])
        g_t = np.concatenate([np.full(t.size, j, np.int64) for j, (_, t) in enumerate(uniq)])
        m = self._register("m", pa.table({"j": pa.array(g_m), "i": pa.array(np.concatenate([u[0] for u in uniq]))}))
        g = self._register("t", pa.table({"j": pa.array(g_t), "i": pa.array(np.concatenate([u[1] for u in uniq]))}))
        try:
            t = self.engine.sql(f"SELECT a.j, f.d, f.key, f.tkey FROM {self.table} f JOIN {m} a ON a.i = f.s "
                                f"JOIN {g} b ON b.i = f.d AND b.j = a.j ORDER BY a.j, f.d, f.key, f.s")
        finally:
            self.engine.drop(m)
            self.engine.drop(g)
        return self._split(t, len(pairs), "d", "key", "tkey")

    def out_follows(self, accounts: np.ndarray) -> pa.Table:
        """(s, d, tkey) of the accounts' follows, ordered by (follower, followee)."""
        m = self._register("o", pa.table({"i": pa.array(np.unique(np.asarray(accounts, np.int64)))}))
        try:
            return self.engine.sql(f"SELECT f.s, f.d, f.tkey FROM {self.table} f JOIN {m} a ON a.i = f.s "
                                   f"ORDER BY f.s, f.d")
        finally:
            self.engine.drop(m)

    def follow_counts(self, is_head: np.ndarray) -> dict[str, np.ndarray]:
        """Per account: follows made, follows of head accounts, follows made within 30 days of registering."""
        heads = self._register("h", pa.table({"i": pa.array(np.flatnonzero(is_head).astype(np.int64))}))
        try:
            t = self.engine.sql(
                f"SELECT f.s AS i, count(*) AS n, sum(CASE WHEN h.i IS NULL THEN 0 ELSE 1 END) AS head, "
                f"sum(CASE WHEN f.key >= 0 AND f.key - f.cs < {30 * S.DAY} THEN 1 ELSE 0 END) AS young "
                f"FROM {self.table} f LEFT JOIN {heads} h ON h.i = f.d GROUP BY f.s")
        finally:
            self.engine.drop(heads)
        out = {k: np.zeros(self.n) for k in ("out_deg", "to_head", "young")}
        i = _col(t, "i")
        for k, c in (("out_deg", "n"), ("to_head", "head"), ("young", "young")):
            out[k][i] = _col(t, c)
        if not self.has_time:
            out["young"][:] = 0
        return out

    def dense_blocks(self, k: int, weights: np.ndarray, min_rows: int = 5, min_cols: int = 2, progress=None):
        """Up to k dense blocks of the whole follow graph (parallel_peel; exact greedy when it fits)."""
        from qinglang.detect.fakefans.parallel_peel import (DEFAULT_EPS, DEFAULT_EXACT_MAX_EDGES,
                                                            dense_blocks_engine)

        if self.n_edges == 0 or k <= 0:
            return []
        found = dense_blocks_engine(
            self.engine, f"SELECT s AS r, d AS c FROM {self.table}",
            f"SELECT d AS c, 1.0 / ln(count(*) + 5.0) AS w FROM {self.table} GROUP BY d", k,
            eps=float(self.options.get("peel_eps", DEFAULT_EPS)),
            exact_max_edges=int(self.options.get("exact_peel_max_edges", DEFAULT_EXACT_MAX_EDGES)),
            min_rows=min_rows, min_cols=min_cols, exact_weights=weights, progress=progress)
        self.peel_runs = [run for _, run in found]
        return [b for b, _ in found]

    def index(self) -> "EngineFollowIndex":
        return EngineFollowIndex(self)


class EngineFollowIndex(L.FollowIndex):
    """lockstep.FollowIndex over FollowData: per-account arrays here, follows fetched when asked (and kept)."""

    def __init__(self, data: FollowData):
        acc = data.acc
        n = acc.n
        created = acc.created
        c_order = np.argsort(created, kind="stable")
        end = np.full(n, max(acc.snapshot, int(created.max()) if n else 0), np.int64)
        if acc.last_active is not None:
            end = np.where(acc.last_active >= created, acc.last_active, end)
        out_ptr = np.zeros(n + 1, np.int64)
        np.cumsum(data.outdeg, out=out_ptr[1:])
        empty = np.empty(0, np.int64)
        super().__init__(n=n, src=empty, key=empty, tkey=empty, ptr=data.ptr, out_ptr=out_ptr, out_dst=empty,
                         out_tkey=empty, out_deg=data.outdeg, created=created, life_end=end, created_order=c_order,
                         created_sorted=created[c_order])
        self.data = data
        self.real_clock = data.basis == "time"  # tkey is the follow time itself (lockstep.follow_index)
        self._windows: dict[tuple[int, int, int], tuple[np.ndarray, np.ndarray]] = {}
        self._out: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    @property
    def n_edges(self) -> int:
        return self.data.n_edges

    def _fetch_windows(self, spans):
        missing = list(dict.fromkeys((int(t), int(lo), int(hi)) for t, lo, hi in spans
                                     if (int(t), int(lo), int(hi)) not in self._windows))
        if missing:
            for span, got in zip(missing, self.data.windows_tkey(missing)):
                self._windows[span] = got
        return [self._windows[(int(t), int(lo), int(hi))] for t, lo, hi in spans]

    def window(self, t: int, lo: int, hi: int) -> np.ndarray:
        return self._fetch_windows([(t, lo, hi)])[0][0]

    def windows(self, spans):
        return [s for s, _ in self._fetch_windows(spans)]

    def key_range(self, t: int, lo: int, hi: int, members: np.ndarray):
        return self.key_ranges({t: (lo, hi)}, members)[t]

    def key_ranges(self, twindows, members):
        spans = [(t, lo, hi) for t, (lo, hi) in twindows.items()]
        out = {}
        for (t, _, _), (s, k) in zip(spans, self._fetch_windows(spans)):
            sel = np.isin(s, members)
            out[t] = (int(k[sel].min()), int(k[sel].max()) + 1) if sel.any() else None
        return out

    def prefetch_windows(self, spans):
        self._fetch_windows(spans)

    def prefetch_out(self, accounts: np.ndarray) -> None:
        missing = [a for a in np.unique(np.asarray(accounts, np.int64)).tolist() if a not in self._out]
        if missing:
            t = self.data.out_follows(np.array(missing, np.int64))
            s, d, k = _col(t, "s"), _col(t, "d"), _col(t, "tkey")
            bounds = np.searchsorted(s, missing, "left"), np.searchsorted(s, missing, "right")
            for a, i, j in zip(missing, *bounds):
                self._out[a] = (d[i:j], k[i:j])

    def out_follows(self, accounts: np.ndarray):
        accounts = np.asarray(accounts, np.int64)
        self.prefetch_out(accounts)
        if accounts.size == 0:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        parts = [self._out[a] for a in accounts.tolist()]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
