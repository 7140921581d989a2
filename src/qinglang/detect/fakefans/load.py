"""Reading what the fake-fan detectors need from the lake, as compact arrays.

Accounts get a dense index 0..n-1 in account_id order; follows become int32
index pairs with the follow time (epoch seconds, -1 when absent) and the follow
rank (-1 when absent). Aggregation happens in SQL; only bounded arrays come back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from qinglang.errors import QinglangError

IDS_CTE = "ids AS (SELECT account_id, (row_number() OVER (ORDER BY account_id) - 1) AS i FROM accounts)"


@dataclass
class Accounts:
    ids: pa.Array  # account_id strings, index order
    created: np.ndarray  # int64 epoch seconds
    last_active: np.ndarray  # int64 epoch seconds, -1 unknown
    verified: np.ndarray  # bool
    followers: np.ndarray  # int64 (profile count or derived)
    following: np.ndarray  # int64
    posts: np.ndarray  # int64
    engagement: np.ndarray  # int64 engagement received
    is_head: np.ndarray  # bool
    nickname: pa.Array
    bio: pa.Array
    avatar: pa.Array
    snapshot: int  # epoch seconds: the latest time seen in the data
    index: dict = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return len(self.ids)

    def idx(self, account_id: str) -> int:
        if not self.index:
            self.index = {a: i for i, a in enumerate(self.ids.to_pylist())}
        return self.index.get(account_id, -1)


@dataclass
class Follows:
    src: np.ndarray  # int32 follower index
    dst: np.ndarray  # int32 followee index
    t: np.ndarray  # int64 epoch seconds, -1 when absent
    rank: np.ndarray  # int64 follow_rank, -1 when absent
    has_time: bool
    has_rank: bool

    @property
    def n(self) -> int:
        return int(self.src.size)

    @property
    def basis(self) -> str:
        """`time` when follow times are known for most follows, else `rank` when ranks are, else `none`."""
        return "time" if self.has_time else ("rank" if self.has_rank else "none")


def _np(col, dtype, fill) -> np.ndarray:
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    return np.asarray(pc.fill_null(col, fill).to_numpy(zero_copy_only=False), dtype=dtype)


def load_accounts(engine) -> Accounts:
    tables = engine.tables()
    tiers = "tiers" in tables
    tier_cols = ("t.followers, t.following, t.posts, t.engagement, (t.tier = 'head') AS is_head" if tiers else
                 "coalesce(a.followers_count, 0) AS followers, coalesce(a.following_count, 0) AS following, "
                 "coalesce(a.posts_count, 0) AS posts, 0 AS engagement, false AS is_head")
    join = "LEFT JOIN tiers t ON t.account_id = a.account_id" if tiers else ""
    q = (f"SELECT a.account_id, a.nickname, a.bio, a.avatar_hash, coalesce(a.verified, false) AS verified, "
         f"CAST(epoch(a.created_at) AS BIGINT) AS created, CAST(epoch(a.last_active_at) AS BIGINT) AS last_active, "
         f"{tier_cols} FROM accounts a {join} ORDER BY a.account_id")
    t = engine.sql(q)
    snap_parts = ["SELECT max(created_at) AS m FROM accounts", "SELECT max(last_active_at) AS m FROM accounts"]
    if "follows" in tables:
        snap_parts.append("SELECT max(followed_at) AS m FROM follows")
    if "posts" in tables:
        snap_parts.append("SELECT max(created_at) AS m FROM posts")
    snap = engine.sql(f"SELECT CAST(epoch(max(m)) AS BIGINT) AS s FROM ({' UNION ALL '.join(snap_parts)}) x")
    snapshot = snap.column(0)[0].as_py() or 0
    return Accounts(
        ids=t.column("account_id").combine_chunks(),
        created=_np(t.column("created"), np.int64, 0),
        last_active=_np(t.column("last_active"), np.int64, -1),
        verified=_np(t.column("verified"), bool, False),
        followers=_np(t.column("followers"), np.int64, 0),
        following=_np(t.column("following"), np.int64, 0),
        posts=_np(t.column("posts"), np.int64, 0),
        engagement=_np(t.column("engagement"), np.int64, 0),
        is_head=_np(t.column("is_head"), bool, False),
        nickname=t.column("nickname").combine_chunks(),
        bio=t.column("bio").combine_chunks(),
        avatar=t.column("avatar_hash").combine_chunks(),
        snapshot=int(snapshot),
    )


def load_follows(engine, n_accounts: int, where: str = "") -> Follows:
    """All follows (or those matching `where` over f.*) as index arrays, streamed in batches."""
    if "follows" not in engine.tables():
        return Follows(*(np.empty(0, d) for d in (np.int32, np.int32, np.int64, np.int64)), False, False)
    cond = f"WHERE {where}" if where else ""
    total = engine.sql(f"SELECT count(*) AS n, count(f.followed_at) AS nt, count(f.follow_rank) AS nr "
                       f"FROM follows f {cond}").to_pylist()[0]
    n = int(total["n"])
    src = np.empty(n, np.int32)
    dst = np.empty(n, np.int32)
    t = np.empty(n, np.int64)
    rank = np.empty(n, np.int64)
    q = (f"WITH {IDS_CTE} SELECT a.i AS s, b.i AS d, CAST(epoch(f.followed_at) AS BIGINT) AS t, f.follow_rank AS r "
         f"FROM follows f JOIN ids a ON a.account_id = f.follower_id JOIN ids b ON b.account_id = f.followee_id {cond}")
    at = 0
    for batch in engine.batches(q, 2_000_000):
        k = batch.num_rows
        if at + k > n:
            raise QinglangError("the follows table changed while it was being read; run the scan again")
        src[at:at + k] = _np(batch.column(0), np.int64, -1)
        dst[at:at + k] = _np(batch.column(1), np.int64, -1)
        t[at:at + k] = _np(batch.column(2), np.int64, -1)
        rank[at:at + k] = _np(batch.column(3), np.int64, -1)
        at += k
    src, dst, t, rank = src[:at], dst[:at], t[:at], rank[:at]
    # time (or rank) is the basis only when most follows carry it
    return Follows(src, dst, t, rank, has_time=at > 0 and total["nt"] >= 0.9 * at,
                   has_rank=at > 0 and total["nr"] >= 0.9 * at)
