"""Fake-fan farms and the purchases they deliver.

A farm is a set of fake accounts run together. Kinds:
- batch: registered in one to three creation batches (minutes to hours wide)
  days before the first delivery; deliveries are spikes.
- aged: most members registered in batches years before, the rest bought old
  accounts spread over years; profiles look lived-in; deliveries are spikes.
- slow_drip: registered in batches; every delivery is spread over 2-6 weeks.
Each farm serves several buyers (mostly head accounts): the same members follow
the same targets within a window (lockstep). Members also follow popular
accounts at random times (camouflage), and aged-farm members follow each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qinglang.sim import population as P
from qinglang.sim.config import DAY, HOUR, PLATFORM_START, SNAPSHOT, YEAR, SimConfig, exact_count

FARM_KINDS = ("batch", "aged", "slow_drip")
BATCH, AGED, SLOW = 0, 1, 2
PURCHASE_KINDS = ("spike", "slow_drip")
#: Kinds of follow edges made by farm members.
SRC_PURCHASE, SRC_CAMOUFLAGE, SRC_FARM_INTERNAL = range(3)


@dataclass
class Farms:
    kind: np.ndarray  # int8 per farm
    members: list[np.ndarray]  # account indices per farm
    t0: np.ndarray  # int64 first delivery per farm
    # Purchases (one row each).
    p_farm: np.ndarray  # int32
    p_buyer: np.ndarray  # int64
    p_start: np.ndarray  # int64 planned window start
    p_end: np.ndarray  # int64 planned window end
    p_kind: np.ndarray  # int8 PURCHASE_KINDS
    p_members: list[np.ndarray]  # members delivered per purchase

    @property
    def n(self) -> int:
        return int(self.kind.size)

    @property
    def n_purchases(self) -> int:
        return int(self.p_farm.size)


def _sizes(rng: np.random.Generator, n_fake: int, n: int) -> np.ndarray:
    """Farm sizes summing to n_fake: log-normal around n/2000 (40..2000), none tiny."""
    mean = float(np.clip(n / 2000, 40, 2000))
    k = max(3, round(n_fake / mean))
    w = np.clip(rng.lognormal(0.0, 0.5, k), 0.4, 3.0)
    sizes = np.floor(n_fake * w / w.sum()).astype(np.int64)
    sizes[: n_fake - int(sizes.sum())] += 1
    return sizes


def _buyers(pop: P.Population, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = pop.n
    nh = P.n_heads(n)
    ok = (pop.role != P.FAKE) & ~pop.is_slot() & (pop.violator < 0)
    heads = np.flatnonzero(ok & (pop.pop_rank < nh))
    large = np.flatnonzero(ok & (pop.pop_rank >= nh) & (pop.pop_rank < max(0.05 * n, nh + 20)))
    if heads.size == 0 and large.size == 0:
        # Tiny platforms with many closed accounts: any popular enough genuine account.
        large = np.flatnonzero(ok & (pop.pop_rank < 0.3 * n))
    if heads.size == 0 and large.size == 0:
        large = np.flatnonzero(pop.role != P.FAKE)
    return heads, large


def plan(cfg: SimConfig, pop: P.Population, rng: np.random.Generator) -> Farms:
    n = pop.n
    fakes = np.flatnonzero(pop.role == P.FAKE)
    rng.shuffle(fakes)
    sizes = _sizes(rng, fakes.size, n)
    k = sizes.size
    n_aged = exact_count(cfg.aged_farm_share, k)
    n_slow = exact_count(cfg.slow_drip_share, k)
    kinds = np.array([AGED] * n_aged + [SLOW] * n_slow + [BATCH] * max(0, k - n_aged - n_slow), np.int8)[:k]
    rng.shuffle(kinds)
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    members = [np.sort(fakes[bounds[i] : bounds[i + 1]]) for i in range(k)]
    heads, large = _buyers(pop, rng)

    t0 = np.zeros(k, np.int64)
    p_farm, p_buyer, p_start, p_end, p_kind, p_members = [], [], [], [], [], []
    mega_left = 2 if pop.mega >= 0 else 0
    for f in range(k):
        mem = members[f]
        kind = int(kinds[f])
        nb = int(rng.integers(3, 8))
        if kind == SLOW:
            offsets = np.sort(rng.uniform(0, 90 * DAY, nb)).astype(np.int64)
            offsets[0] = 0
            durations = rng.uniform(14 * DAY, 42 * DAY, nb).astype(np.int64)
            span = int((offsets + durations).max())
            start0 = int(rng.uniform(SNAPSHOT - 3 * YEAR, SNAPSHOT - 2 * DAY - span))
        else:
            gaps = rng.uniform(3 * DAY, 60 * DAY, nb).astype(np.int64)
            gaps[0] = 0
            offsets = np.cumsum(gaps)
            durations = rng.uniform(1 * HOUR, 30 * HOUR, nb).astype(np.int64)
            span = int((offsets + durations).max())
            lo = SNAPSHOT - (2 if kind == AGED else 3) * YEAR
            start0 = int(rng.uniform(lo, SNAPSHOT - 2 * DAY - span))
        t0[f] = start0

        # Registration of the members.
        created = np.empty(mem.size, np.int64)
        if kind == AGED:
            batched = rng.random(mem.size) < 0.6
            nbat = int(rng.integers(1, 4))
            ws = rng.uniform(PLATFORM_START + 180 * DAY, start0 - YEAR, nbat).astype(np.int64)
            width = rng.uniform(HOUR, 2 * DAY, nbat).astype(np.int64)
            which = rng.integers(0, nbat, batched.sum())
            created[batched] = ws[which] + (rng.random(batched.sum()) * width[which]).astype(np.int64)
            spread = ~batched
            created[spread] = rng.uniform(PLATFORM_START, start0 - 200 * DAY, spread.sum()).astype(np.int64)
        else:
            nbat = int(rng.integers(1, 4))
            lead = (20 if kind == BATCH else 120) * DAY
            ws = (start0 - rng.uniform(DAY, lead, nbat)).astype(np.int64)
            width = rng.uniform(0.5 * HOUR, 10 * HOUR, nbat).astype(np.int64)
            which = rng.integers(0, nbat, mem.size)
            created[:] = ws[which] + (rng.random(mem.size) * width[which]).astype(np.int64)
        created = np.minimum(created, start0 - HOUR)
        pop.created[mem] = created
        pop.farm[mem] = f

        last_end = start0 + span
        la = last_end + rng.integers(0, 20 * DAY, mem.size)
        cap = SNAPSHOT - rng.integers(60, 3 * DAY, mem.size)
        pop.last_active[mem] = np.maximum(np.where(la > cap, cap, la), last_end + 60)

        for j in range(nb):
            s = start0 + int(offsets[j])
            e = s + int(durations[j])
            if mega_left and (mega_left == 2 or kind == SLOW or f == k - 1):
                buyer = pop.mega
                mega_left -= 1
            else:
                pool = heads if (rng.random() < 0.6 and heads.size) or not large.size else large
                if pool.size == 0:
                    continue
                buyer = -1
                for _ in range(30):
                    b = int(pool[rng.integers(pool.size)])
                    if pop.created[b] < s - 30 * DAY and b not in p_buyer[-nb:]:
                        buyer = b
                        break
                if buyer < 0:
                    continue
            share = rng.uniform(0.6, 1.0)
            chosen = np.sort(rng.choice(mem, max(5, int(round(share * mem.size))), replace=False))
            p_farm.append(f)
            p_buyer.append(buyer)
            p_start.append(s)
            p_end.append(e)
            p_kind.append(1 if kind == SLOW else 0)
            p_members.append(chosen)

    return Farms(
        kind=kinds,
        members=members,
        t0=t0,
        p_farm=np.array(p_farm, np.int32),
        p_buyer=np.array(p_buyer, np.int64),
        p_start=np.array(p_start, np.int64),
        p_end=np.array(p_end, np.int64),
        p_kind=np.array(p_kind, np.int8),
        p_members=p_members,
    )


CAMOUFLAGE_MEAN = {BATCH: 8.0, AGED: 28.0, SLOW: 12.0}


def edges(pop: P.Population, farms: Farms, sample_followees, rng: np.random.Generator):
    """Follow edges made by farm members: deliveries, camouflage, and follows among aged members.

    Returns (follower, followee, t, src, purchase_id) arrays; src is one of SRC_*.
    """
    fs, es, ts, srcs, pids = [], [], [], [], []
    for p in range(farms.n_purchases):
        mem = farms.p_members[p]
        s, e = int(farms.p_start[p]), int(farms.p_end[p])
        if farms.p_kind[p] == 1:
            t = s + (rng.random(mem.size) * (e - s)).astype(np.int64)
        else:
            t = s + (rng.beta(1.0, 2.0, mem.size) * (e - s)).astype(np.int64)
        fs.append(mem)
        es.append(np.full(mem.size, farms.p_buyer[p], np.int64))
        ts.append(t)
        srcs.append(np.full(mem.size, SRC_PURCHASE, np.int8))
        pids.append(np.full(mem.size, p, np.int32))
    # Camouflage: popular accounts, any time in the member's life.
    allm = np.concatenate(farms.members)
    kind_of = farms.kind[pop.farm[allm]]
    mean = np.vectorize(CAMOUFLAGE_MEAN.get)(kind_of)
    cnt = rng.poisson(mean)
    f = np.repeat(allm, cnt)
    e = sample_followees(f.size)
    lo = np.maximum(pop.created[f], pop.created[e])
    hi = np.minimum(pop.last_active[f], pop.end[e])
    ok = (hi > lo + 60) & (f != e)
    f, e, lo, hi = f[ok], e[ok], lo[ok], hi[ok]
    fs.append(f)
    es.append(e)
    ts.append(lo + (rng.random(f.size) * (hi - lo)).astype(np.int64))
    srcs.append(np.full(f.size, SRC_CAMOUFLAGE, np.int8))
    pids.append(np.full(f.size, -1, np.int32))
    # Aged members follow a few of each other, so they have some followers.
    for fi in np.flatnonzero(farms.kind == AGED):
        mem = farms.members[fi]
        c = rng.integers(0, 5, mem.size)
        f = np.repeat(mem, c)
        e = mem[rng.integers(0, mem.size, f.size)]
        lo = np.maximum(pop.created[f], pop.created[e])
        hi = np.minimum(pop.last_active[f], pop.last_active[e])
        ok = (hi > lo + 60) & (f != e)
        f, e, lo, hi = f[ok], e[ok], lo[ok], hi[ok]
        fs.append(f)
        es.append(e)
        ts.append(lo + (rng.random(f.size) * (hi - lo)).astype(np.int64))
        srcs.append(np.full(f.size, SRC_FARM_INTERNAL, np.int8))
        pids.append(np.full(f.size, -1, np.int32))
    return (
        np.concatenate(fs).astype(np.int64),
        np.concatenate(es).astype(np.int64),
        np.concatenate(ts).astype(np.int64),
        np.concatenate(srcs),
        np.concatenate(pids),
    )
