"""The reincarnation linker's follow-graph questions answered on the engine (EngineFollowGraph) give the same
numbers as the in-memory FollowGraph: followers, non-hub followers, common followers of pairs, co-follow candidates."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from qinglang.detect.reincarnation.engine_graph import EngineFollowGraph
from qinglang.detect.reincarnation.features import FollowGraph


def _graph(seed=11, n=2000, m=40_000, hub_following=60):
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, m)
    dst = (rng.zipf(1.5, m) * 7) % n  # a few accounts with long follower lists
    hubs = rng.choice(n, 15, replace=False)  # follow-back bots: far more than hub_following follows each
    src = np.concatenate([src, np.repeat(hubs, 120)])
    dst = np.concatenate([dst, rng.integers(0, n, hubs.size * 120)])
    e = np.unique(np.stack([src, dst], 1), axis=0)
    e = e[e[:, 0] != e[:, 1]]
    return n, e[:, 0].astype(np.int64), e[:, 1].astype(np.int64), hub_following, rng


def test_engine_follow_graph_answers_like_the_in_memory_graph(duck):
    n, src, dst, hub, rng = _graph()
    ids = [f"u{i:05d}" for i in range(n)]
    duck.register("follows", pa.table({"follower_id": pa.array([ids[i] for i in src]),
                                       "followee_id": pa.array([ids[i] for i in dst])}))
    duck.register("__ids", pa.table({"account_id": pa.array(ids), "row_idx": pa.array(np.arange(n, dtype=np.int64))}))
    mem = FollowGraph(src, dst, n, hub)
    eng = EngineFollowGraph(duck, "__ids", n, hub)
    try:
        assert eng.n_edges == src.size
        np.testing.assert_array_equal(eng.n_fans, mem.n_fans)
        rows = np.r_[np.arange(n), -1]
        np.testing.assert_array_equal(eng.effective_fans(rows), mem.effective_fans(rows))
        # pairs as the linker asks: random ones, the most followed account paired with many, a missing row
        star = int(np.argmax(mem.n_fans))
        a = np.r_[rng.integers(0, n, 3000), rng.integers(0, n, 500), 5]
        b = np.r_[rng.integers(0, n, 3000), np.full(500, star), -1]
        got, want = eng.common_fans(a, b), mem.common_fans(a, b)
        np.testing.assert_array_equal(got, want)
        assert got[3000:3500].sum() > 0  # the star shares followers with its partners: the counts are exercised
        banned = rng.choice(n, 40, replace=False)
        ok_new = rng.random(n) < 0.5
        g = eng.co_follow_candidates(banned, ok_new, 2)
        w = mem.co_follow_candidates(banned, ok_new, 2)
        key = lambda t: sorted(zip(*(np.asarray(x, np.int64).tolist() for x in t)))  # noqa: E731
        assert key(g) == key(w) and len(key(g)) > 0
    finally:
        eng.close()
