"""Engagement events: organic likes, reposts and comments from followers, and bought
engagement (刷量) delivered by farm members in short synchronised windows.

Fake accounts do not engage organically (a few aged-farm members do, as
camouflage); bought engagement comes from members of one farm within minutes
to hours of each other, usually soon after the post appeared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qinglang.sim import population as P
from qinglang.sim.categories import MARKETING
from qinglang.sim.config import DAY, HOUR, SNAPSHOT, SimConfig
from qinglang.sim.farms import AGED, Farms
from qinglang.sim.graph import Graph
from qinglang.sim.posts import Posts

KINDS = ("like", "repost", "comment")
LIKE, REPOST, COMMENT = range(3)


@dataclass
class Interactions:
    actor: np.ndarray  # int64
    post: np.ndarray  # int64
    kind: np.ndarray  # int8
    at: np.ndarray  # int64
    like_count: np.ndarray  # per post
    repost_count: np.ndarray
    comment_count: np.ndarray
    # Bought engagement, one row per bought post.
    b_post: np.ndarray
    b_farm: np.ndarray
    b_count: np.ndarray
    b_kinds: list[str]
    b_start: np.ndarray
    b_end: np.ndarray
    b_organic: np.ndarray

    @property
    def rows(self) -> int:
        return int(self.actor.size)


def build(
    cfg: SimConfig, pop: P.Population, farms: Farms, posts: Posts, g: Graph, rng: np.random.Generator
) -> Interactions:
    n_posts = posts.n
    author = posts.author
    fc = g.followers_count[author]
    lam = (fc + 1.0) ** 0.6
    lam *= cfg.interactions_per_post * n_posts / max(lam.sum(), 1.0)
    cnt = rng.poisson(lam)
    cnt[fc == 0] = 0
    post = np.repeat(np.arange(n_posts), cnt)
    a = author[post]
    actor = g.follower_csr[g.offsets[a] + (rng.random(post.size) * g.followers_count[a]).astype(np.int64)].astype(np.int64)
    slow = rng.random(post.size) < 0.1
    delay = np.where(slow, rng.exponential(5 * DAY, post.size), rng.exponential(6 * HOUR, post.size)).astype(np.int64)
    at = posts.created[post] + 60 + delay
    hi = np.minimum(np.minimum(pop.last_active[actor], pop.end[actor]), pop.end[a])
    ok = (at >= pop.created[actor]) & (at <= hi) & (at < SNAPSHOT) & (actor != a)
    fake = pop.role[actor] == P.FAKE
    aged = fake & (farms.kind[np.maximum(pop.farm[actor], 0)] == AGED)
    ok &= ~fake | (aged & (rng.random(post.size) < 0.1))
    actor, post, at = actor[ok], post[ok], at[ok]
    kind = rng.choice(3, actor.size, p=[0.75, 0.1, 0.15]).astype(np.int8)

    # Bought engagement; fake accounts leave no organic trace on the posts they were paid to boost.
    bought = _bought(cfg, pop, farms, posts, rng)
    b_actor, b_post_rows, b_kind, b_at, rows = bought
    if rows[0].size:
        boosted = np.zeros(n_posts, bool)
        boosted[rows[0]] = True
        keep = ~(boosted[post] & (pop.role[actor] == P.FAKE))
        actor, post, at, kind = actor[keep], post[keep], at[keep], kind[keep]
    actor = np.concatenate([b_actor, actor])
    post = np.concatenate([b_post_rows, post])
    kind = np.concatenate([b_kind, kind])
    at = np.concatenate([b_at, at])
    is_b = np.concatenate([np.ones(b_actor.size, bool), np.zeros(actor.size - b_actor.size, bool)])
    # One event per (actor, post, kind); bought events come first and win.
    key = (actor * n_posts + post) * 3 + kind
    order = np.argsort(key, kind="stable")
    ks = key[order]
    first = np.ones(ks.size, bool)
    first[1:] = ks[1:] != ks[:-1]
    order = order[first]
    order = order[np.lexsort((actor[order], at[order]))]
    actor, post, kind, at, is_b = actor[order], post[order], kind[order], at[order], is_b[order]
    # Accounts are active when they engage.
    np.maximum.at(pop.last_active, actor, at)

    counts = [np.bincount(post[kind == k], minlength=n_posts) for k in range(3)]
    organic_total = np.bincount(post, minlength=n_posts)
    b_post, b_farm, b_kinds, b_start, b_end = rows
    b_count = np.bincount(post[is_b], minlength=n_posts)[b_post]
    b_organic = organic_total[b_post] - b_count
    return Interactions(
        actor=actor, post=post, kind=kind, at=at,
        like_count=counts[LIKE], repost_count=counts[REPOST], comment_count=counts[COMMENT],
        b_post=b_post, b_farm=b_farm, b_count=b_count, b_kinds=b_kinds, b_start=b_start, b_end=b_end,
        b_organic=b_organic,
    )


def _bought(cfg: SimConfig, pop: P.Population, farms: Farms, posts: Posts, rng: np.random.Generator):
    """Plan and deliver bought engagement. Returns event arrays and one row per bought post."""
    n_buy = max(10, 4 * farms.n)
    # Buyers: accounts that bought fans, and marketing violators.
    fan_buyers = np.unique(farms.p_buyer)
    marketers = np.flatnonzero((pop.violator == MARKETING) & (pop.closed_at == 0))
    buyers = np.concatenate([fan_buyers, marketers])
    has_posts = np.zeros(pop.n, bool)
    has_posts[posts.author] = True
    buyers = buyers[has_posts[buyers]]
    empty = (np.empty(0, np.int64),) * 2 + (np.empty(0, np.int8), np.empty(0, np.int64))
    if buyers.size == 0:
        return (*empty, (np.empty(0, np.int64), np.empty(0, np.int64), [], np.empty(0, np.int64), np.empty(0, np.int64)))
    by_author = np.argsort(posts.author, kind="stable")
    sorted_auth = posts.author[by_author]
    farm_ready = np.array([pop.created[m].max() for m in farms.members])  # all members registered
    farm_gone = np.array([pop.last_active[m].min() for m in farms.members])
    acts, pst, kds, ats = [], [], [], []
    r_post, r_farm, r_kinds, r_start, r_end = [], [], [], [], []
    seen: set[int] = set()
    for _ in range(n_buy * 3):
        if len(r_post) >= n_buy:
            break
        b = int(buyers[rng.integers(buyers.size)])
        lo, hi = np.searchsorted(sorted_auth, b, "left"), np.searchsorted(sorted_auth, b, "right")
        p = int(by_author[lo + rng.integers(hi - lo)])
        if p in seen or posts.category[p] >= 0 and posts.category[p] != MARKETING:
            continue
        t0 = int(posts.created[p])
        start = t0 + int(rng.uniform(5 * 60, 48 * HOUR))
        dur = int(rng.uniform(10 * 60, 3 * HOUR))
        if start + dur >= SNAPSHOT or start + dur >= pop.end[b]:
            continue
        ok_f = np.flatnonzero((farm_ready < t0) & (farm_gone > start - 200 * DAY))
        if ok_f.size == 0:
            continue
        f = int(ok_f[rng.integers(ok_f.size)])
        mem = farms.members[f]
        n_like = int(rng.integers(min(30, mem.size), min(400, mem.size) + 1))
        parts = [(LIKE, n_like)]
        if rng.random() < 0.5:
            parts.append((REPOST, int(rng.integers(max(1, n_like // 6), max(2, n_like // 2)))))
        if rng.random() < 0.4:
            parts.append((COMMENT, int(rng.integers(max(1, n_like // 10), max(2, n_like // 4)))))
        for k, c in parts:
            who = rng.choice(mem, min(c, mem.size), replace=False)
            acts.append(who.astype(np.int64))
            pst.append(np.full(who.size, p, np.int64))
            kds.append(np.full(who.size, k, np.int8))
            ats.append(start + (rng.random(who.size) * dur).astype(np.int64))
        seen.add(p)
        r_post.append(p)
        r_farm.append(f)
        r_kinds.append(";".join(KINDS[k] for k, _ in parts))
        r_start.append(start)
        r_end.append(start + dur)
    if not acts:
        return (*empty, (np.empty(0, np.int64), np.empty(0, np.int64), [], np.empty(0, np.int64), np.empty(0, np.int64)))
    rows = (np.array(r_post, np.int64), np.array(r_farm, np.int64), r_kinds, np.array(r_start, np.int64),
            np.array(r_end, np.int64))
    return np.concatenate(acts), np.concatenate(pst), np.concatenate(kds), np.concatenate(ats), rows
