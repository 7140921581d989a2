"""features.FollowGraph's answers, computed where the follows are (the scan's engine: DuckDB or Spark).

The follow graph is the part of reincarnation linking that grows with the edges; here it
stays on the engine as one table (follower row, followee row, whether the follower is a
hub), and the linker's three questions are SQL:

- followers per account (all, and those that are not hubs): two aggregates, one array each;
- common non-hub followers of given (new, banned) pairs: a self-join restricted to the pairs;
- co-follow candidates: for each banned account, the accounts its non-hub followers also
  follow, counted per pair, kept from `min_common` up.

Same numbers as the in-memory FollowGraph (tests/engines compare them), in another order
(candidate pairs are sets).
"""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa

_ids = itertools.count()


class EngineFollowGraph:
    def __init__(self, engine, ids_table: str, n_accounts: int, hub_following: int = 500):
        self.engine = engine
        self.n = n_accounts
        self.tag = f"__rfg{next(_ids)}"
        self.table = f"{self.tag}_f"
        # one pass over the follows: hubs are few, so their list joins cheaply (broadcast on Spark)
        engine.materialize(self.table, (
            f"SELECT a.row_idx AS r, b.row_idx AS e, (h.follower_id IS NOT NULL) AS hub FROM follows f "
            f"JOIN {ids_table} a ON f.follower_id = a.account_id JOIN {ids_table} b ON f.followee_id = b.account_id "
            f"LEFT JOIN (SELECT follower_id FROM follows GROUP BY follower_id HAVING count(*) > {int(hub_following)}) h "
            f"ON h.follower_id = f.follower_id"))
        t = engine.sql(f"SELECT e, count(*) AS n, sum(CASE WHEN hub THEN 0 ELSE 1 END) AS eff FROM {self.table} GROUP BY e")
        e = np.asarray(t.column("e").to_numpy(), np.int64)
        self.n_fans = np.zeros(n_accounts, np.int64)
        self.n_fans[e] = np.asarray(t.column("n").to_numpy(), np.int64)
        self._effective = np.zeros(n_accounts, np.int64)
        self._effective[e] = np.asarray(t.column("eff").to_numpy(), np.int64)
        self.n_edges = int(self.n_fans.sum())

    def effective_fans(self, rows: np.ndarray) -> np.ndarray:
        """Followers of each row that are not hubs."""
        rows = np.asarray(rows, np.int64)
        return np.where(rows >= 0, self._effective[np.maximum(rows, 0)], 0)

    def _register(self, what: str, table: pa.Table) -> str:
        name = f"{self.tag}_{what}{next(_ids)}"
        self.engine.register(name, table)
        return name

    def common_fans(self, new_rows: np.ndarray, banned_rows: np.ndarray) -> np.ndarray:
        """Per pair: followers the two have in common, hubs not counted."""
        a = np.asarray(new_rows, np.int64)
        b = np.asarray(banned_rows, np.int64)
        out = np.zeros(a.size, np.int64)
        ok = (a >= 0) & (b >= 0)
        if not ok.any():
            return out
        k = np.flatnonzero(ok)
        pairs = self._register("p", pa.table({"k": pa.array(k), "a": pa.array(a[k]), "b": pa.array(b[k])}))
        try:
            # follower-centric: each asked-about account's non-hub followers are read once (not once per pair: a
            # banned star in thousands of sampled pairs would repeat its whole follower list for each), then the
            # followers that follow both sides of a pair are counted per pair
            f = self.table
            t = self.engine.sql(
                f"WITH xa AS (SELECT x.r, x.e AS a FROM {f} x WHERE NOT x.hub AND x.e IN (SELECT a FROM {pairs})), "
                f"xb AS (SELECT x.r, x.e AS b FROM {f} x WHERE NOT x.hub AND x.e IN (SELECT b FROM {pairs})) "
                f"SELECT p.k, count(*) AS c FROM xa JOIN xb ON xb.r = xa.r "
                f"JOIN {pairs} p ON p.a = xa.a AND p.b = xb.b GROUP BY p.k")
        finally:
            self.engine.drop(pairs)
        out[np.asarray(t.column("k").to_numpy(), np.int64)] = np.asarray(t.column("c").to_numpy(), np.int64)
        return out

    def co_follow_candidates(self, banned_rows: np.ndarray, ok_new: np.ndarray, min_common: int = 2):
        """(new row, index into banned_rows, common followers) for pairs sharing >= min_common fans."""
        banned_rows = np.asarray(banned_rows, np.int64)
        keep = np.flatnonzero(banned_rows >= 0)
        banned = self._register("b", pa.table({"bi": pa.array(keep), "b": pa.array(banned_rows[keep])}))
        new = self._register("n", pa.table({"r": pa.array(np.flatnonzero(ok_new).astype(np.int64))}))
        try:
            t = self.engine.sql(
                f"SELECT y.e AS n, p.bi, count(*) AS c FROM {banned} p "
                f"JOIN {self.table} x ON x.e = p.b AND NOT x.hub JOIN {self.table} y ON y.r = x.r "
                f"JOIN {new} w ON w.r = y.e WHERE y.e <> p.b GROUP BY y.e, p.bi HAVING count(*) >= {int(min_common)} "
                f"ORDER BY p.bi, y.e")
        finally:
            self.engine.drop(banned)
            self.engine.drop(new)
        col = lambda c: np.asarray(t.column(c).to_numpy(), np.int64)  # noqa: E731
        return col("n"), col("bi"), col("c")

    def close(self) -> None:
        self.engine.drop(self.table)
