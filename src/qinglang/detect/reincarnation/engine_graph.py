"""The follow graph of reincarnation linking, kept where the follows are (the scan's engine: DuckDB or Spark).

The graph is the part of linking that grows with the edges; here it is one table (follower id,
followee id, whether the follower is a hub: follows more than `hub_following` accounts) and one
of follower counts per account (all, and not hubs), and the linker's two questions are SQL
(account ids as they are: the lake's follows reference known accounts, so no join numbers them):

- co-follow candidates: for each banned account, the accounts its non-hub followers also follow,
  counted per pair, kept from `min_common` up;
- common non-hub followers of given (new, banned) pairs, counted follower-centric: each asked-about
  account's non-hub followers are read once (not once per pair: a banned star in thousands of
  sampled pairs would repeat its whole follower list for each), then the followers that follow
  both sides of a pair are counted per pair.

Same numbers as the in-memory `features.FollowGraph` (tests compare the linking on both).
"""

from __future__ import annotations

import itertools

_ids = itertools.count()


class EngineFollowGraph:
    def __init__(self, engine, hub_following: int = 500):
        self.engine = engine
        tag = f"__rfg{next(_ids)}"
        self.table, self.counts = f"{tag}_f", f"{tag}_c"
        # one pass over the follows: hubs are few, so their list joins cheaply (broadcast on Spark)
        engine.materialize(self.table, (
            f"SELECT f.follower_id AS r, f.followee_id AS e, (h.follower_id IS NOT NULL) AS hub FROM follows f "
            f"LEFT JOIN (SELECT follower_id FROM follows GROUP BY follower_id HAVING count(*) > {int(hub_following)}) h "
            f"ON h.follower_id = f.follower_id"))
        # e: account id; n: its followers; eff: those that are not hubs
        engine.materialize(self.counts, f"SELECT e, count(*) AS n, sum(CASE WHEN hub THEN 0 ELSE 1 END) AS eff "
                                        f"FROM {self.table} GROUP BY e")
        self.n_edges = int(engine.sql(f"SELECT coalesce(sum(n), 0) AS n FROM {self.counts}")["n"][0].as_py())

    def co_follow_sql(self, banned: str, new: str, min_common: int) -> str:
        """(i, bj, c) from tables `banned` (bj, account_id) and `new` (i, account_id): pairs with >= min_common
        common non-hub followers."""
        f = self.table
        return (f"SELECT nl.i, b.bj, count(*) AS c FROM {banned} b JOIN {f} x ON x.e = b.account_id AND NOT x.hub "
                f"JOIN {f} y ON y.r = x.r JOIN {new} nl ON nl.account_id = y.e WHERE y.e <> b.account_id "
                f"GROUP BY nl.i, b.bj HAVING count(*) >= {int(min_common)}")

    def common_fans_sql(self, pairs: str) -> str:
        """(k, c) from table `pairs` (k, a, b: account ids): common non-hub followers of each pair (absent: 0)."""
        f = self.table
        return (f"WITH xa AS (SELECT x.r, x.e AS a FROM {f} x WHERE NOT x.hub AND x.e IN (SELECT a FROM {pairs})), "
                f"xb AS (SELECT x.r, x.e AS b FROM {f} x WHERE NOT x.hub AND x.e IN (SELECT b FROM {pairs})) "
                f"SELECT q.k, count(*) AS c FROM xa JOIN xb ON xb.r = xa.r "
                f"JOIN {pairs} q ON q.a = xa.a AND q.b = xb.b GROUP BY q.k")

    def close(self) -> None:
        self.engine.drop(self.counts)
        self.engine.drop(self.table)
