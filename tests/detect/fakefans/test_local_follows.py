"""LocalFollowData (lookups from arrays read once) answers exactly as FollowData (a query per lookup)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from qinglang.detect.fakefans.follow_data import FollowData
from qinglang.detect.fakefans.load import Accounts, Follows
from qinglang.detect.fakefans.local_follows import LocalFollowData

DAY = 86_400
SNAP = 1_700_000_000


def _platform(seed=3, n=3000, m=60_000):
    rng = np.random.default_rng(seed)
    pop = rng.zipf(1.6, m) % n  # a few very popular followees (long follower lists) and many small ones
    src = rng.integers(0, n, m)
    keep = src != pop
    e = np.unique(np.stack([src[keep], pop[keep]], 1), axis=0)
    src, dst = e[:, 0].astype(np.int32), e[:, 1].astype(np.int32)
    created = SNAP - rng.integers(10, 2000, n) * DAY
    t = np.maximum(created[src], created[dst]) + rng.integers(0, 5 * DAY, src.size)
    nulls = pa.nulls(n, pa.string())
    acc = Accounts(ids=pa.array([f"a{i:05d}" for i in range(n)]), created=created.astype(np.int64),
                   last_active=np.full(n, SNAP, np.int64), verified=np.zeros(n, bool),
                   followers=np.bincount(dst, minlength=n).astype(np.int64),
                   following=np.bincount(src, minlength=n).astype(np.int64), posts=np.zeros(n, np.int64),
                   engagement=np.zeros(n, np.int64), is_head=np.arange(n) < 30, nickname=nulls, bio=nulls,
                   avatar=nulls, snapshot=SNAP)
    return acc, Follows(src, dst, t.astype(np.int64), np.full(src.size, -1, np.int64), True, False), rng


@pytest.fixture(scope="module")
def both():
    acc, fol, rng = _platform()
    local, remote = LocalFollowData.from_arrays(acc, fol), FollowData.from_arrays(acc, fol)
    yield acc, fol, rng, local, remote
    local.close()
    remote.close()


@pytest.mark.parametrize("n_members,n_targets", [(5, 40), (2000, 3), (300, 300), (0, 5), (50, 0)])
def test_member_follows_identical(both, n_members, n_targets):
    acc, fol, rng, local, remote = both
    members = rng.choice(acc.n, n_members, replace=False)
    popular = np.argsort(-acc.followers)[:n_targets]  # long lists: the member side is the cheaper one
    targets = np.union1d(popular[: n_targets // 2], rng.choice(acc.n, n_targets - n_targets // 2, replace=False))
    a, b = local.member_follows(members, targets), remote.member_follows(members, targets)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(np.asarray(x, np.int64), np.asarray(y, np.int64))
    # and what they return is right: every member -> target follow, once
    want = int((np.isin(fol.src, members) & np.isin(fol.dst, targets)).sum())
    assert a[0].size == want


def test_windows_and_out_follows_identical(both):
    acc, fol, rng, local, remote = both
    t = int(np.argmax(acc.followers))
    lo, hi = int(fol.t.min()), int(np.median(fol.t))
    spans = [(t, lo, hi), (int(rng.integers(acc.n)), lo, int(fol.t.max()) + 1)]
    for x, y in zip(local.windows_key(spans), remote.windows_key(spans)):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(local.window_counts(spans), remote.window_counts(spans))
    accounts = rng.choice(acc.n, 100, replace=False)
    assert local.out_follows(accounts).equals(remote.out_follows(accounts))
