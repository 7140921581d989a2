"""The lockstep search on hand-made platforms: farms are found without registration batches, while organic
co-following (new users following stars as they join, fans moving to a new account together) is not a farm."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from qinglang.detect.fakefans.analysis import analyse_arrays
from qinglang.detect.fakefans.load import Accounts, Follows
from qinglang.detect.fakefans.model import UnsupervisedModel

DAY = 86_400
SNAP = 1_750_000_000


class Platform:
    """Organic accounts registered over eight years, each following ~15 of 60 popular accounts at random moments
    of its life; farms and organic cohorts are added on top."""

    def __init__(self, n=3000, seed=1, rank=False):
        self.rng = np.random.default_rng(seed)
        self.n = n
        self.rank = rank
        self.created = (SNAP - self.rng.uniform(30, 8 * 365, n) * DAY).astype(np.int64)
        self.created[:60] = SNAP - 9 * 365 * DAY  # the popular accounts are old
        self.src, self.dst, self.t = [], [], []
        pop = 1.0 / (np.arange(60) + 3.0)
        pop /= pop.sum()
        for u in range(60, n):
            k = self.rng.poisson(15)
            for v in np.unique(self.rng.choice(60, k, p=pop)):
                self.follow(u, int(v), self.rng.uniform(self.created[u], SNAP))

    def follow(self, u, v, t):
        self.src.append(u)
        self.dst.append(v)
        self.t.append(int(t))

    def add(self, k, created):
        ids = np.arange(self.n, self.n + k)
        self.n += k
        self.created = np.concatenate([self.created, np.asarray(created, np.int64)])
        return ids

    def arrays(self):
        n = self.n
        src, dst, t = np.array(self.src, np.int32), np.array(self.dst, np.int32), np.array(self.t, np.int64)
        order = np.lexsort((t, dst))
        rank = np.empty(t.size, np.int64)
        ds = dst[order]
        first = np.r_[True, ds[1:] != ds[:-1]]
        seg_start = np.maximum.accumulate(np.where(first, np.arange(ds.size), 0))
        rank[order] = np.arange(ds.size) - seg_start + 1
        nulls = pa.nulls(n, pa.string())
        acc = Accounts(ids=pa.array([f"a{i:05d}" for i in range(n)]), created=self.created,
                       last_active=np.full(n, SNAP, np.int64), verified=np.zeros(n, bool),
                       followers=np.bincount(dst, minlength=n).astype(np.int64),
                       following=np.bincount(src, minlength=n).astype(np.int64), posts=np.zeros(n, np.int64),
                       engagement=np.zeros(n, np.int64), is_head=np.arange(n) < 60, nickname=nulls, bio=nulls,
                       avatar=nulls, snapshot=SNAP)
        if self.rank:
            fol = Follows(src, dst, np.full(t.size, -1, np.int64), rank, False, True)
        else:
            fol = Follows(src, dst, t, np.full(t.size, -1, np.int64), True, False)
        return acc, fol


def add_aged_farm(p, size=40, targets=(20, 30, 40, 50), hours=6):
    """Old accounts registered years apart (no registration batch) that deliver to four accounts together."""
    farm = p.add(size, SNAP - p.rng.uniform(400, 2500, size) * DAY)
    for j, v in enumerate(targets):
        start = SNAP - (200 - 40 * j) * DAY
        for u in farm:
            if p.rng.random() < 0.9:
                p.follow(int(u), v, start + p.rng.uniform(0, hours * 3600))
    for u in farm:  # camouflage: popular accounts at random moments
        for v in p.rng.choice(10, 5, replace=False):
            p.follow(int(u), int(v), p.rng.uniform(p.created[u], SNAP))
    return set(farm.tolist())


def best_group(a, members):
    best, score = 0.0, 0.0
    for g in a.groups:
        s = set(g.members.tolist())
        j = len(s & members) / len(s | members)
        if j > best:
            best, score = j, g.score
    return best, score


@pytest.mark.parametrize("rank", [False, True], ids=["follow times", "follow ranks only"])
def test_aged_farm_without_registration_batch_is_found(rank):
    p = Platform(rank=rank)
    farm = add_aged_farm(p)
    a = analyse_arrays(*p.arrays(), model=UnsupervisedModel())
    jac, score = best_group(a, farm)
    assert jac >= 0.9 and score >= 0.5
    fake = np.nan_to_num(a.scores, nan=0.0) >= 0.5
    idx = np.array(sorted(farm))
    assert fake[idx].mean() >= 0.9
    organic = np.ones(p.n, bool)
    organic[idx] = False
    assert fake[organic].mean() < 0.005


def test_new_users_following_stars_as_they_join_are_not_a_farm():
    p = Platform(seed=2)
    cohort = p.add(80, SNAP - p.rng.uniform(1, 60, 80) * DAY)  # joined in the last two months
    for u in cohort:
        for v in range(6):  # the same six stars, within a day of joining
            p.follow(int(u), v, p.created[u] + p.rng.uniform(0, DAY))
    a = analyse_arrays(*p.arrays(), model=UnsupervisedModel())
    fake = np.nan_to_num(a.scores, nan=0.0) >= 0.5
    assert fake[cohort].mean() < 0.05
    assert all(g.score < 0.5 for g in a.groups if len(set(g.members.tolist()) & set(cohort.tolist())) > 10)


def test_fans_moving_together_to_a_new_account_are_not_a_farm():
    p = Platform(seed=3)
    star = 5
    fans = np.array(sorted(set(p.src[i] for i in range(len(p.src)) if p.dst[i] == star)))[:60]
    comeback, club = p.add(2, [SNAP - 100 * DAY, SNAP - 60 * DAY])
    for u in fans[:40]:
        p.follow(int(u), int(comeback), SNAP - 100 * DAY + p.rng.exponential(4 * DAY))
        p.follow(int(u), int(club), SNAP - 60 * DAY + p.rng.exponential(4 * DAY))
        for _ in range(3):  # fans have followers of their own
            p.follow(int(p.rng.integers(60, 3000)), int(u), p.rng.uniform(p.created[u], SNAP))
    a = analyse_arrays(*p.arrays(), model=UnsupervisedModel())
    fake = np.nan_to_num(a.scores, nan=0.0) >= 0.5
    assert fake[fans[:40]].mean() < 0.05
    assert all(g.score < 0.5 for g in a.groups)


def test_a_dense_organic_core_without_synchrony_raises_nothing():
    """Heavy followers of the same popular accounts, at unrelated moments: dense, but no lockstep."""
    p = Platform(seed=4)
    heavy = p.add(50, SNAP - p.rng.uniform(1000, 2500, 50) * DAY)
    for u in heavy:
        for v in range(20, 45):
            p.follow(int(u), v, p.rng.uniform(p.created[u], SNAP))
    a = analyse_arrays(*p.arrays(), model=UnsupervisedModel(), fraudar_k=3)
    assert any(len(set(b["members"].tolist()) & set(heavy.tolist())) > 25 for b in a.unsynchronised_blocks)
    assert not [g for g in a.groups if g.score >= 0.5]
    assert (np.nan_to_num(a.scores, nan=0.0)[heavy] >= 0.5).mean() == 0.0


def test_seeds_refined_together_match_each_refined_alone_with_one_lookup_per_round():
    """On an engine each lookup is a job over all follows: refining many seeds must cost a query per round, not a
    query per seed, and find exactly the groups each seed finds on its own."""
    from qinglang.detect.fakefans import lockstep as L
    from qinglang.detect.fakefans.follow_data import FollowData

    p = Platform(seed=4)
    farms = [add_aged_farm(p), add_aged_farm(p, size=30, targets=(25, 35, 45)), add_aged_farm(p, targets=(22, 33, 44))]
    acc, fol = p.arrays()
    fd = FollowData.from_arrays(acc, fol)
    try:
        seeds = [np.array(sorted(f))[:25] for f in farms]  # part of each farm
        calls = {"out_follows": 0, "windows_tkey": 0}
        for name in calls:
            def counted(*args, _f=getattr(fd, name), _name=name):
                calls[_name] += 1
                return _f(*args)
            setattr(fd, name, counted)
        together = L.refine_many(seeds, fd.index())
        assert calls["out_follows"] <= 2 and calls["windows_tkey"] <= 2  # two rounds
        alone = [L.refine_many([s], fd.index())[0] for s in seeds]
    finally:
        fd.close()
    for g, h, farm in zip(together, alone, farms):
        assert g is not None and h is not None
        np.testing.assert_array_equal(g.members, h.members)
        assert g.twindows == h.twindows and g.creation_windows == h.creation_windows
        s = set(g.members.tolist())
        assert len(s & farm) / len(s | farm) >= 0.9
