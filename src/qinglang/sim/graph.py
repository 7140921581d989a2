"""The follow graph: organic power-law follows plus farm deliveries, fan migration,
fan-club follows and the optional mega account.

Organic follows: each genuine account follows a log-normal number of accounts
drawn by Zipf popularity; each follow happens at a time inside both accounts'
lives, shaped by the followee's growth curve (more followers later for rising
accounts), by Beijing-time daily rhythm, by the followee's organic viral days
(real, organic bursts) and, for newly registered casual users, by the rush of
following stars right after registering. Everything is vectorised; edges are
deduplicated (farm deliveries win over organic follows of the same pair),
sorted by followee and time, and ranked (follow_rank 1 = oldest follower).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qinglang.sim import population as P
from qinglang.sim.config import DAY, HOUR, PLATFORM_START, SimConfig
from qinglang.sim.farms import SRC_PURCHASE, Farms
from qinglang.sim.farms import edges as farm_edges
from qinglang.sim.reincarnation import FAN_CLUB, Comebacks, Decoys

# Edge tags kept through dedupe: >= 0 purchase id; TAG_* otherwise; <= TAG_VIRAL0 - k: organic viral event k.
TAG_NONE, TAG_MIGRATION, TAG_FANCLUB = -1, -2, -3
TAG_VIRAL0 = -10

#: Mean organic out-degree by role (before dropping follows outside both lives).
OUT_DEGREE = {P.HEAD: 60.0, P.ACTIVE: 30.0, P.CASUAL: 16.0, P.DORMANT: 12.0}
#: Beijing-time hourly activity weights, 0h..23h.
BEIJING_HOURS = np.array(
    [3, 2, 1.2, 0.8, 0.6, 0.7, 1.2, 2.5, 4, 4.5, 5, 5.5, 6, 5.5, 5, 5, 5, 5.5, 6, 7, 8, 8.5, 7.5, 5], float
)
BLOCK = 50_000


class FolloweeSampler:
    """Draws followees with probability proportional to popularity.

    Inverse-CDF sampling with a lookup table of 2^22 uniform bins: a bin gives the
    first candidate index, and a few vectorised steps finish the search. This is
    several times faster than a binary search over a million-entry CDF.
    """

    BINS = 1 << 22

    def __init__(self, popularity: np.ndarray, rng: np.random.Generator):
        c = np.cumsum(popularity, dtype=np.float64)
        self.cdf = c / c[-1]
        self.cdf[-1] = 1.0
        grid = np.arange(self.BINS + 1, dtype=np.float64) / self.BINS
        self.table = np.searchsorted(self.cdf, grid, side="right").astype(np.int64)
        self.rng = rng

    def __call__(self, k: int) -> np.ndarray:
        u = self.rng.random(k)
        idx = self.table[(u * self.BINS).astype(np.int64)]
        last = self.cdf.size - 1
        np.minimum(idx, last, out=idx)
        # Move right while cdf[idx] <= u (the answer is the first index with cdf > u).
        todo = np.flatnonzero(self.cdf[idx] <= u)
        while todo.size:
            idx[todo] += 1
            np.minimum(idx, last, out=idx)
            todo = todo[(self.cdf[idx[todo]] <= u[todo]) & (idx[todo] < last)]
        return idx


@dataclass
class ViralEvents:
    owner: np.ndarray  # int64 account
    at: np.ndarray  # int64 start
    start: np.ndarray  # int64 per account: first event index
    count: np.ndarray  # int64 per account
    share: np.ndarray  # float per account: share of organic follows pulled into its events


@dataclass
class Graph:
    n_edges: int
    # Sorted by (followee, followed_at); released after writing.
    follower: np.ndarray | None  # int32
    followee: np.ndarray | None  # int32
    t: np.ndarray | None  # int32 seconds since PLATFORM_START
    rank: np.ndarray | None  # int32
    # Kept.
    followers_count: np.ndarray  # int64 per account
    following_count: np.ndarray  # int64 per account
    offsets: np.ndarray  # int64 n+1: followers of account a are follower_csr[offsets[a]:offsets[a+1]]
    follower_csr: np.ndarray  # int32
    # Truth.
    delivered: np.ndarray  # per purchase
    p_first: np.ndarray  # int64 per purchase (epoch seconds)
    p_last: np.ndarray
    p_rank_lo: np.ndarray
    p_rank_hi: np.ndarray
    migrated: np.ndarray  # per comeback: old fans now following
    old_fans: np.ndarray  # per comeback: followers of the banned account
    fanclub_fans: np.ndarray  # per decoy
    events: ViralEvents
    event_followers: np.ndarray  # per viral event

    def release(self) -> None:
        self.follower = self.followee = self.t = self.rank = None


def _viral_events(pop: P.Population, rng: np.random.Generator) -> ViralEvents:
    n = pop.n
    nh = P.n_heads(n)
    # Head accounts trend now and then (hot searches, new shows); large accounts sometimes.
    lam = np.where(pop.pop_rank < nh, 2.5, np.where(pop.pop_rank < 0.05 * n, 0.8, 0.05))
    lam[pop.role == P.FAKE] = 0.0
    count = rng.poisson(lam)
    owner = np.repeat(np.arange(n), count)
    lo = pop.created[owner] + 30 * DAY
    hi = np.minimum(pop.end[owner], pop.last_active[owner]) - DAY
    ok = hi > lo
    owner, lo, hi = owner[ok], lo[ok], hi[ok]
    at = (lo + rng.random(owner.size) * (hi - lo)).astype(np.int64)
    count = np.bincount(owner, minlength=n)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    share = np.where(count > 0, rng.uniform(0.04, 0.2, n), 0.0)
    return ViralEvents(owner=owner, at=at, start=start, count=count, share=share)


def _hour_table() -> np.ndarray:
    """1024 UTC hours distributed like Beijing-time activity (a lookup for fast sampling)."""
    p = BEIJING_HOURS / BEIJING_HOURS.sum()
    counts = np.floor(p * 1024).astype(np.int64)
    counts[np.argsort(-(p * 1024 - counts))[: 1024 - counts.sum()]] += 1
    return ((np.repeat(np.arange(24), counts) - 8) % 24 * HOUR).astype(np.int64)


_HOURS = _hour_table()


def _diurnal(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """Keep the day of t, move the time of day to a Beijing-time activity rhythm."""
    r = rng.integers(0, 1024 * HOUR, t.size)
    return t - t % DAY + _HOURS[r // HOUR] + r % HOUR


def _organic_times(pop, ev: ViralEvents, growth, f, e, lo, hi, rng):
    u = rng.random(f.size) ** (1.0 / growth[e])
    t = lo + (u * (hi - lo)).astype(np.int64)
    t = _diurnal(rng, t)
    # New casual users follow stars right after registering.
    rush = (pop.role[f] == P.CASUAL) & (pop.created[f] >= pop.created[e]) & (rng.random(f.size) < 0.3)
    t = np.where(rush, lo + rng.exponential(2 * DAY, f.size).astype(np.int64), t)
    t = np.clip(t, lo, hi)
    tag = np.full(f.size, TAG_NONE, np.int32)
    # Organic viral days.
    has = (ev.count[e] > 0) & (rng.random(f.size) < ev.share[e])
    idx = np.flatnonzero(has)
    if idx.size:
        k = ev.start[e[idx]] + (rng.random(idx.size) * ev.count[e[idx]]).astype(np.int64)
        tv = ev.at[k] + rng.exponential(10 * HOUR, idx.size).astype(np.int64)
        okv = (tv >= lo[idx]) & (tv <= hi[idx])
        t[idx[okv]] = tv[okv]
        tag[idx[okv]] = (TAG_VIRAL0 - k[okv]).astype(np.int32)
    return t, tag


def _pack(f: np.ndarray, e: np.ndarray, t: np.ndarray, tag: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges as (followee << 32 | seconds since PLATFORM_START, follower int32, tag int32): sorting
    the first column orders edges by followee, then time."""
    key2 = (np.asarray(e, np.int64) << 32) | (np.asarray(t, np.int64) - PLATFORM_START)
    return key2, np.asarray(f, np.int32), np.asarray(tag, np.int32)


def build(
    cfg: SimConfig,
    pop: P.Population,
    farms: Farms,
    cb: Comebacks,
    dec: Decoys,
    rng: np.random.Generator,
    progress=None,
) -> Graph:
    n = pop.n
    ev = _viral_events(pop, rng)
    growth = np.where(pop.pop_rank < 0.05 * n, rng.uniform(1.0, 3.0, n), rng.uniform(0.7, 2.0, n))
    sampler = FolloweeSampler(pop.popularity, rng)

    # Out-degrees of genuine accounts, scaled to the requested organic follow count.
    mean = np.zeros(n)
    for r, m in OUT_DEGREE.items():
        mean[pop.role == r] = m
    deg = rng.lognormal(0.0, 0.9, n) * mean
    deg *= cfg.follows_per_account * n * 1.15 / max(deg.sum(), 1.0)
    deg = rng.poisson(deg)
    deg[pop.role == P.FAKE] = 0

    # Accounts whose followers a comeback or fan club inherits.
    is_source = np.zeros(n, bool)
    is_source[cb.banned] = True
    is_source[dec.resembles[dec.kind == FAN_CLUB]] = True

    # Followees whose follower lists get extra edges (comebacks, fan clubs, the mega account):
    # organic edges to them may duplicate those extra edges and are deduplicated with them.
    is_special = np.zeros(n, bool)
    is_special[cb.new] = True
    is_special[dec.account[dec.kind == FAN_CLUB]] = True
    if pop.mega >= 0:
        is_special[pop.mega] = True

    plain: list[tuple[np.ndarray, ...]] = []  # edges that cannot be duplicated
    special: list[tuple[np.ndarray, ...]] = []  # edges deduplicated together (priority: first added wins)
    side: list[tuple[np.ndarray, ...]] = []
    for b0 in range(0, n, BLOCK):
        idx = np.arange(b0, min(n, b0 + BLOCK))
        # Draw followees, drop repeats (sorting packed keys; times are drawn after dedupe).
        key = np.repeat(idx, deg[idx]) * n + sampler(int(deg[idx].sum()))
        key.sort()
        first = np.ones(key.size, bool)
        first[1:] = key[1:] != key[:-1]
        key = key[first]
        f, e = key // n, key % n
        del key
        lo = np.maximum(pop.created[f], pop.created[e])
        hi = np.minimum(np.minimum(pop.last_active[f], pop.end[f]), pop.end[e])
        ok = (hi > lo + 60) & (f != e)
        f, e, lo, hi = f[ok], e[ok], lo[ok], hi[ok]
        t, tag = _organic_times(pop, ev, growth, f, e, lo, hi, rng)
        sp = is_special[e]
        part = _pack(f, e, t, tag)
        plain.append(tuple(x[~sp] for x in part))
        if sp.any():
            special.append(tuple(x[sp] for x in part))
        s = is_source[e]
        side.append((f[s], e[s]))
        if progress:
            progress("follows: organic", min(n, b0 + BLOCK), n)

    # Followers of banned accounts and stars, for migration and fan clubs.
    sf = np.concatenate([x[0] for x in side]) if side else np.empty(0, np.int64)
    se = np.concatenate([x[1] for x in side]) if side else np.empty(0, np.int64)
    del side
    o = np.lexsort((sf, se))
    sf, se = sf[o], se[o]
    old_fans = np.zeros(cb.n, np.int64)

    def inherit(src: int, dst: int, share: float, tag: int):
        """Some followers of src follow dst after dst registered. Returns (followers of src, edges or None)."""
        a, b = np.searchsorted(se, src, "left"), np.searchsorted(se, src, "right")
        allfans = np.unique(sf[a:b])
        lo = np.maximum(pop.created[dst], pop.created[allfans])
        hi = np.minimum(np.minimum(pop.last_active[allfans], pop.end[allfans]), pop.end[dst])
        ok = (hi > lo + 60) & (allfans != dst)
        fans, lo, hi = allfans[ok], lo[ok], hi[ok]
        k = min(fans.size, int(round(share * allfans.size)))
        if k == 0:
            return allfans.size, None
        pick = rng.choice(fans.size, k, replace=False)
        t = lo[pick] + (rng.beta(1.0, 4.0, k) * (hi[pick] - lo[pick])).astype(np.int64)
        return allfans.size, _pack(fans[pick], np.full(k, dst), t, np.full(k, tag, np.int32))

    # Farm deliveries first (they win over any other edge of the same pair), then fan migration.
    ff, fe, ft, fsrc, fpid = farm_edges(pop, farms, sampler, rng)
    fpid = np.where(fsrc == SRC_PURCHASE, fpid, TAG_NONE).astype(np.int32)
    special.insert(0, _pack(ff, fe, ft, fpid))
    inherited: list[tuple[np.ndarray, ...]] = []
    for j in range(cb.n):
        old, got = inherit(int(cb.banned[j]), int(cb.new[j]), float(cb.fan_share[j]), TAG_MIGRATION)
        old_fans[j] = old
        if got is not None:
            inherited.append(got)
    for a, r, k in zip(dec.account.tolist(), dec.resembles.tolist(), dec.kind.tolist()):
        if k == FAN_CLUB:
            _, got = inherit(r, a, float(rng.uniform(0.1, 0.4)), TAG_FANCLUB)
            if got is not None:
                inherited.append(got)
    special[1:1] = inherited
    del sf, se

    # The mega account: uniformly chosen followers over the platform's life.
    if pop.mega >= 0 and cfg.n_mega:
        m = pop.mega
        cand = np.arange(n)
        lo = np.maximum(pop.created, pop.created[m])
        hi = np.minimum(pop.last_active, pop.end)
        ok = (hi > lo + 60) & (cand != m)
        cand, lo, hi = cand[ok], lo[ok], hi[ok]
        k = min(cfg.n_mega, cand.size)
        pick = np.sort(rng.choice(cand.size, k, replace=False))
        f = cand[pick]
        e = np.full(k, m, np.int64)
        t, tag = _organic_times(pop, ev, growth, f, e, lo[pick], hi[pick], rng)
        special.append(_pack(f, e, t, tag))
    if progress:
        progress("follows: dedupe and rank", 0, 1)

    # Deduplicate the special pool (the first occurrence of a pair wins).
    sp_cols = [np.concatenate(c) for c in zip(*special)]
    del special
    key = sp_cols[1].astype(np.int64) * n + (sp_cols[0] >> 32)
    order = np.argsort(key, kind="stable")
    ks = key[order]
    keep = np.ones(ks.size, bool)
    keep[1:] = ks[1:] != ks[:-1]
    order = order[keep]
    del key, ks, keep
    plain.append(tuple(c[order] for c in sp_cols))
    del sp_cols, order

    # All edges, one column at a time (bounded peak memory), sorted by followee then time.
    if progress:
        progress("follows: sort", 0, 1)
    cols = [list(c) for c in zip(*plain)]
    del plain
    key2 = np.concatenate(cols[0])
    cols[0] = None
    order = np.argsort(key2)
    key2.sort()  # in place: same order as key2[order]
    # Both halves fit in int32 (followee < 2^31, seconds since PLATFORM_START < 2^31): read them as views.
    halves = key2.view(np.int32)
    lo_word, hi_word = (0, 1) if np.little_endian else (1, 0)
    e = halves[hi_word::2].copy()
    t = halves[lo_word::2].copy()
    del key2, halves
    f = np.concatenate(cols[1])
    cols[1] = None
    f = f[order]
    tag = np.concatenate(cols[2])
    del cols
    tag = tag[order]
    del order
    if progress:
        progress("follows: rank", 0, 1)
    followers_count = np.bincount(e, minlength=n).astype(np.int64)
    following_count = np.bincount(f, minlength=n).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(followers_count)])
    rank = np.arange(1, f.size + 1, dtype=np.int32)
    rank -= np.repeat(offsets[:-1].astype(np.int32), followers_count)

    # Truth about purchases, migration, fan clubs and viral days.
    npur = farms.n_purchases
    pm = tag >= 0
    pid = tag[pm]
    delivered = np.bincount(pid, minlength=npur)
    p_first = np.full(npur, np.iinfo(np.int64).max)
    p_last = np.zeros(npur, np.int64)
    p_rlo = np.full(npur, np.iinfo(np.int64).max)
    p_rhi = np.zeros(npur, np.int64)
    tp = t[pm].astype(np.int64) + PLATFORM_START
    rp = rank[pm].astype(np.int64)
    np.minimum.at(p_first, pid, tp)
    np.maximum.at(p_last, pid, tp)
    np.minimum.at(p_rlo, pid, rp)
    np.maximum.at(p_rhi, pid, rp)
    migrated_by_dst = np.bincount(e[tag == TAG_MIGRATION], minlength=n)
    fan_by_dst = np.bincount(e[tag == TAG_FANCLUB], minlength=n)
    vm = tag <= TAG_VIRAL0
    event_followers = np.bincount(TAG_VIRAL0 - tag[vm], minlength=ev.owner.size)

    return Graph(
        n_edges=int(f.size),
        follower=f,
        followee=e,
        t=t,
        rank=rank,
        followers_count=followers_count,
        following_count=following_count,
        offsets=offsets,
        follower_csr=f,
        delivered=delivered,
        p_first=p_first,
        p_last=p_last,
        p_rank_lo=p_rlo,
        p_rank_hi=p_rhi,
        migrated=migrated_by_dst[cb.new],
        old_fans=old_fans,
        fanclub_fans=fan_by_dst[dec.account],
        events=ev,
        event_followers=event_followers,
    )
