"""Bursts and registration batches: a planted burst is found, smooth organic growth stays quiet."""

import numpy as np

from qinglang.detect.fakefans import signals as S

DAY = 86_400


def _one(times):
    keys = np.sort(np.asarray(times, np.int64))
    return keys, np.array([0, keys.size], np.int64)


def test_planted_burst_is_found_and_tight():
    rng = np.random.default_rng(1)
    organic = rng.uniform(0, 400 * DAY, 4000)
    t0 = 200 * DAY
    bought = t0 + rng.uniform(0, 5 * 3600, 120)
    keys, ptr = _one(np.concatenate([organic, bought]))
    w = S.time_bursts(np.zeros(keys.size, np.int32), keys, ptr)
    assert w.n >= 1
    hit = [(s, e) for s, e in zip(w.start, w.end) if s <= t0 + 5 * 3600 and e >= t0]
    assert hit, "the purchase window must be found"
    s, e = hit[0]
    assert e - s <= 3 * DAY


def test_smooth_organic_growth_stays_quiet():
    rng = np.random.default_rng(2)
    # growth that accelerates smoothly over two years
    keys, ptr = _one((rng.random(6000) ** 0.5) * 730 * DAY)
    w = S.time_bursts(np.zeros(keys.size, np.int32), keys, ptr)
    assert w.n == 0


def test_registration_batch_is_found():
    rng = np.random.default_rng(3)
    created = np.concatenate([rng.uniform(0, 1000 * DAY, 20000), 500 * DAY + rng.uniform(0, 4 * 3600, 60)])
    batch, w = S.registration_batches(created.astype(np.int64))
    planted = np.arange(20000, 20060)
    assert (batch[planted] >= 0).mean() >= 0.95
    assert (batch[:20000] >= 0).mean() < 0.01


def test_rank_burst_from_young_followers():
    rng = np.random.default_rng(4)
    # followers in rank order: organic ones registered long before they follow; a run of 80 young ones
    n = 3000
    follow_time = np.sort(rng.uniform(1000 * DAY, 2000 * DAY, n))
    created = follow_time - rng.uniform(100 * DAY, 900 * DAY, n)
    created[1500:1580] = follow_time[1500] - rng.uniform(0, 3 * DAY, 80)
    w = S.rank_bursts(created.astype(np.int64), np.array([0, n], np.int64))
    assert any(s <= 1580 and e >= 1500 for s, e in zip(w.start, w.end))
    assert all(e - s < 600 for s, e in zip(w.start, w.end))
