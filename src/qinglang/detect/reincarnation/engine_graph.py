"""The follow graph of reincarnation linking, kept where the follows are (the scan's engine: DuckDB or Spark).

The graph is the part of linking that grows with the edges; here it stays the lake's `follows`,
beside two small tables: the hubs (followers of more than `hub_following` accounts, whose follows
say little about who an account is) and the follower counts per account (all, and not hubs). The
linker's two questions are SQL over account ids as they are (the lake's follows reference known
accounts, so no join numbers them):

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
        self.hubs, self.counts = f"{tag}_h", f"{tag}_c"
        # hubs are few: kept as a table, their follows left out by a join the engines broadcast
        engine.materialize(self.hubs, f"SELECT follower_id FROM follows GROUP BY follower_id "
                                      f"HAVING count(*) > {int(hub_following)}")
        # e: account id; n: its followers; eff: those that are not hubs
        engine.materialize(self.counts, f"SELECT f.followee_id AS e, count(*) AS n, "
                                        f"sum(CASE WHEN h.follower_id IS NULL THEN 1 ELSE 0 END) AS eff FROM follows f "
                                        f"LEFT JOIN {self.hubs} h ON h.follower_id = f.follower_id GROUP BY f.followee_id")
        self.n_edges = int(engine.sql(f"SELECT coalesce(sum(n), 0) AS n FROM {self.counts}")["n"][0].as_py())
        # the follows of non-hub followers (r: follower, e: followee), read where a query needs them (the follows
        # are not copied: filters on e reach the lake's scan)
        self.nonhub = (f"(SELECT f.follower_id AS r, f.followee_id AS e FROM follows f LEFT JOIN {self.hubs} h "
                      f"ON h.follower_id = f.follower_id WHERE h.follower_id IS NULL)")

    def co_follow_sql(self, banned: str, new: str, min_common: int) -> str:
        """(i, bj, c) from tables `banned` (bj, account_id) and `new` (i, account_id): pairs with >= min_common
        common non-hub followers."""
        return (f"SELECT nl.i, b.bj, count(*) AS c FROM {banned} b JOIN {self.nonhub} x ON x.e = b.account_id "
                f"JOIN follows y ON y.follower_id = x.r JOIN {new} nl ON nl.account_id = y.followee_id "
                f"WHERE y.followee_id <> b.account_id GROUP BY nl.i, b.bj HAVING count(*) >= {int(min_common)}")

    def common_fans_sql(self, pairs: str) -> str:
        """(k, c) from table `pairs` (k, a, b: account ids): common non-hub followers of each pair (absent: 0)."""
        f = self.nonhub
        return (f"WITH xa AS (SELECT x.r, x.e AS a FROM {f} x WHERE x.e IN (SELECT a FROM {pairs})), "
                f"xb AS (SELECT x.r, x.e AS b FROM {f} x WHERE x.e IN (SELECT b FROM {pairs})) "
                f"SELECT q.k, count(*) AS c FROM xa JOIN xb ON xb.r = xa.r "
                f"JOIN {pairs} q ON q.a = xa.a AND q.b = xb.b GROUP BY q.k")

    def close(self) -> None:
        self.engine.drop(self.counts)
        self.engine.drop(self.hubs)
