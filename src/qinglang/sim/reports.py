"""Netizen complaints: genuine reports of violating posts and accounts, mistaken
reports, and abusive mass-reporting campaigns (a few reporters filing many
reports against an innocent account within days).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qinglang.sim import population as P
from qinglang.sim.categories import ABUSE, CATEGORY_NAMES, OTHER, RUMOR, SOFT_PORN
from qinglang.sim.config import DAY, HOUR, SNAPSHOT
from qinglang.sim.enforcement import Enforcements
from qinglang.sim.farms import Farms
from qinglang.sim.posts import Posts

KINDS = ("genuine", "mistaken", "mass_report")
GENUINE, MISTAKEN, MASS = range(3)
FAKE_FANS = len(CATEGORY_NAMES)  # index of "fake_fans" in REPORT_CATEGORIES
REPORT_CATEGORIES = CATEGORY_NAMES + ("fake_fans",)
TEXTS = {
    "heroes_martyrs": ["侮辱英烈，请严肃处理", "该用户诋毁英雄烈士", "歪曲历史，侮辱英烈"],
    "rumor": ["该用户发布谣言", "散布不实信息，造成恐慌", "造谣传谣"],
    "soft_porn": ["发布色情低俗内容", "软色情引流", "内容低俗"],
    "vulgar_marketing": ["恶意营销，引流到站外", "垃圾广告", "刷量刷单"],
    "abuse": ["辱骂他人", "人身攻击", "网络暴力"],
    "illegal_conduct": ["违法广告", "涉嫌赌博诈骗", "违法信息"],
    "other": ["其他问题", "冒充他人", "内容不适"],
    "fake_fans": ["疑似僵尸粉", "买粉刷量", "机器账号"],
}


@dataclass
class Reports:
    reporter: np.ndarray  # int64
    account: np.ndarray  # int64 reported account
    post: np.ndarray  # int64 post index, -1 = none
    category: np.ndarray  # int8 REPORT_CATEGORIES
    created: np.ndarray  # int64
    text: list[str]
    kind: np.ndarray  # int8 KINDS
    campaign: np.ndarray  # int32, -1
    target_violating: np.ndarray  # bool

    @property
    def rows(self) -> int:
        return int(self.reporter.size)


def build(pop: P.Population, farms: Farms, posts: Posts, enf: Enforcements, rng: np.random.Generator) -> Reports:
    n = pop.n
    reporters_pool = np.flatnonzero(((pop.role == P.ACTIVE) | (pop.role == P.CASUAL)) & (pop.closed_at == 0))
    parts = []

    def add(rep, acc, post, cat, t, kind, camp, viol):
        k = rep.size
        parts.append((rep.astype(np.int64), acc.astype(np.int64), np.broadcast_to(post, k).astype(np.int64),
                      np.broadcast_to(cat, k).astype(np.int8), t.astype(np.int64),
                      np.full(k, kind, np.int8), np.broadcast_to(camp, k).astype(np.int32),
                      np.broadcast_to(viol, k).astype(bool)))

    # Genuine reports of violating posts.
    vp = np.flatnonzero(posts.category >= 0)
    vp = vp[rng.random(vp.size) < 0.25]
    k = rng.integers(1, 4, vp.size)
    rp = np.repeat(vp, k)
    t = posts.created[rp] + rng.exponential(DAY, rp.size).astype(np.int64)
    add(reporters_pool[rng.integers(0, reporters_pool.size, rp.size)], posts.author[rp], rp,
        posts.category[rp], t, GENUINE, -1, True)
    # Reports of closed accounts before their closure.
    cl = enf.closed
    k = rng.integers(0, 5, cl.size)
    rc = np.repeat(np.arange(cl.size), k)
    t = pop.closed_at[cl[rc]] - rng.uniform(HOUR, 120 * DAY, rc.size).astype(np.int64)
    add(reporters_pool[rng.integers(0, reporters_pool.size, rc.size)], cl[rc], -1, enf.close_category[rc], t,
        GENUINE, -1, True)
    # Reports of fake accounts.
    fakes = np.flatnonzero(pop.role == P.FAKE)
    ff = fakes[rng.random(fakes.size) < 0.01]
    t = pop.created[ff] + (rng.random(ff.size) * (SNAPSHOT - pop.created[ff])).astype(np.int64)
    add(reporters_pool[rng.integers(0, reporters_pool.size, ff.size)], ff, -1, FAKE_FANS, t, GENUINE, -1, True)
    # Mistaken reports of innocent posts.
    n_mis = max(10, round(0.3 * sum(p[0].size for p in parts)))
    ok_posts = np.flatnonzero(posts.category < 0)
    mp = ok_posts[rng.integers(0, ok_posts.size, n_mis)]
    t = posts.created[mp] + rng.exponential(2 * DAY, n_mis).astype(np.int64)
    cat = rng.choice([ABUSE, RUMOR, SOFT_PORN, OTHER], n_mis)
    add(reporters_pool[rng.integers(0, reporters_pool.size, n_mis)], posts.author[mp], mp, cat, t, MISTAKEN, -1,
        False)
    # Mass-reporting campaigns against innocent accounts.
    innocent = np.flatnonzero((pop.pop_rank < max(100, 0.05 * n)) & (pop.violator < 0) & (pop.closed_at == 0)
                              & (pop.role != P.FAKE) & (pop.created < SNAPSHOT - 90 * DAY))
    n_camp = max(2, n // 20_000)
    by_author = np.argsort(posts.author, kind="stable")
    sorted_auth = posts.author[by_author]
    for c in range(n_camp):
        target = int(innocent[rng.integers(innocent.size)])
        if rng.random() < 0.5 and farms.n:
            mem = farms.members[int(rng.integers(farms.n))]
            crew = rng.choice(mem, min(mem.size, int(rng.integers(3, 11))), replace=False)
        else:
            crew = rng.choice(reporters_pool, int(rng.integers(3, 11)), replace=False)
        k = int(rng.integers(50, 301))
        start = int(rng.uniform(max(pop.created[target], pop.created[crew].max()) + DAY, SNAPSHOT - 4 * DAY))
        t = start + (rng.random(k) * rng.uniform(DAY, 3 * DAY)).astype(np.int64)
        lo, hi = np.searchsorted(sorted_auth, target, "left"), np.searchsorted(sorted_auth, target, "right")
        if hi > lo:
            post = np.where(rng.random(k) < 0.6, by_author[lo + rng.integers(0, hi - lo, k)], -1)
        else:
            post = np.full(k, -1)
        cat = rng.choice([ABUSE, SOFT_PORN, RUMOR, OTHER], k)
        add(crew[rng.integers(0, crew.size, k)], np.full(k, target), post, cat, t, MASS, c, False)

    reporter, account, post, category, created, kind, campaign, viol = (np.concatenate([p[i] for p in parts])
                                                                      for i in range(8))
    # Reports land inside the reporter's life and before the snapshot.
    created = np.maximum(created, pop.created[reporter] + 60)
    created = np.maximum(created, pop.created[account] + 60)
    ok = (created < SNAPSHOT) & (reporter != account)
    ok &= created <= np.maximum(pop.end[account], pop.closed_at[account])
    reporter, account, post, category, created, kind, campaign, viol = (
        x[ok] for x in (reporter, account, post, category, created, kind, campaign, viol))
    o = np.lexsort((reporter, created))
    reporter, account, post, category, created, kind, campaign, viol = (
        x[o] for x in (reporter, account, post, category, created, kind, campaign, viol))
    np.maximum.at(pop.last_active, reporter, np.minimum(created, SNAPSHOT - 1))
    texts = [TEXTS[REPORT_CATEGORIES[c]][int(i) % 3] for c, i in zip(category.tolist(), rng.integers(0, 3, category.size).tolist())]
    return Reports(reporter, account, post, category, created, texts, kind, campaign, viol)
