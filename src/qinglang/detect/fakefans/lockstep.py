"""Lockstep farms: accounts that follow the same targets in the same windows.

Lockstep = density + time synchrony + creation clustering. Candidate *events* are
(a) follower bursts of one account (signals.time_bursts / rank_bursts), (b) purchases
seen from a registration batch (many accounts registered together following the
same account), and (c) the registration batches themselves. Events that share many
followers are the same farm at work (CopyCatch: the same accounts, the same
targets, the same windows), so connected events form a group; its members are the
accounts present in events of at least two different targets (a registration batch
counts as one). Dense blocks found by FRAUDAR peeling over the whole follow graph
are added only when they are synchronised: a dense but unsynchronised organic core
(heavy followers of popular accounts) never becomes a group.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components


@dataclass
class Event:
    kind: str  # burst | batch_purchase | registration
    target: int  # followee index, -1 for a registration batch
    lo: int  # window start (key units)
    hi: int  # window end, exclusive
    followers: np.ndarray  # int64 account indices in the window


@dataclass
class Group:
    members: np.ndarray  # int64 account indices, sorted
    targets: np.ndarray  # int64 followee indices
    windows: dict[int, tuple[int, int]]  # target -> (lo, hi) in key units
    method: str  # events | fraudar
    size: int = 0
    fill: float = 0.0  # share of member x target pairs that are follows
    sync: float = 0.0  # share of member -> target follows inside the windows
    creation: float = 0.0  # share of members registered in registration batches
    creation_span_days: float = 0.0  # interquartile range of members' registration dates
    density: float = 0.0  # FRAUDAR objective of members x targets (log-weighted)
    background_density: float = 0.0
    score: float = 0.0
    signals: dict = field(default_factory=dict)


def link_events(events: list[Event], n_accounts: int, min_shared: int = 4, min_frac: float = 0.25) -> np.ndarray:
    """Component id per event: events sharing >= max(min_shared, min_frac * smaller size) followers."""
    if not events:
        return np.empty(0, np.int64)
    sizes = np.array([e.followers.size for e in events], np.int64)
    rows = np.repeat(np.arange(len(events)), sizes)
    cols = np.concatenate([e.followers for e in events]).astype(np.int64)
    m = sp.csr_matrix((np.ones(cols.size, np.int32), (rows, cols)), shape=(len(events), n_accounts))
    co = (m @ m.T).tocoo()
    keep = co.row != co.col
    r, c, v = co.row[keep], co.col[keep], co.data[keep]
    need = np.maximum(min_shared, min_frac * np.minimum(sizes[r], sizes[c]))
    ok = v >= need
    adj = sp.csr_matrix((np.ones(ok.sum(), np.int8), (r[ok], c[ok])), shape=(len(events), len(events)))
    _, labels = connected_components(adj, directed=False)
    return labels


def groups_from_events(events: list[Event], labels: np.ndarray, min_members: int = 5,
                       min_target_share: float = 0.3) -> list[Group]:
    out: list[Group] = []
    if not events:
        return out
    for comp in np.unique(labels):
        idx = np.flatnonzero(labels == comp)
        if idx.size < 2:
            continue
        # accounts x distinct pseudo-targets (a registration batch is one pseudo-target)
        acc_list, tgt_list = [], []
        for i in idx:
            e = events[i]
            acc_list.append(e.followers)
            tgt_list.append(np.full(e.followers.size, e.target if e.target >= 0 else -1 - i, np.int64))
        acc = np.concatenate(acc_list)
        tgt = np.concatenate(tgt_list)
        if np.unique(tgt).size < 2:
            continue
        pairs = np.unique(np.stack([acc, tgt], 1), axis=0)
        a_ids, counts = np.unique(pairs[:, 0], return_counts=True)
        k = np.unique(tgt).size
        members = a_ids[counts >= max(2, int(np.ceil(0.25 * k)))]
        if members.size < min_members:
            continue
        # targets followed inside the windows by enough of the members
        windows: dict[int, tuple[int, int]] = {}
        tgt_members: dict[int, int] = {}
        mset = members
        for i in idx:
            e = events[i]
            if e.target < 0:
                continue
            inside = np.intersect1d(e.followers, mset, assume_unique=False).size
            lo, hi = windows.get(e.target, (e.lo, e.hi))
            windows[e.target] = (min(lo, e.lo), max(hi, e.hi))
            tgt_members[e.target] = max(tgt_members.get(e.target, 0), inside)
        targets = np.array(sorted(t for t, k in tgt_members.items() if k >= min_target_share * members.size), np.int64)
        if targets.size == 0:
            continue
        out.append(Group(members=np.sort(members), targets=targets,
                         windows={int(t): windows[int(t)] for t in targets}, method="events"))
    return out


def merge_overlapping(groups: list[Group], min_jaccard: float = 0.5) -> list[Group]:
    """Merge groups whose member sets overlap strongly (one farm seen from two sides)."""
    if len(groups) < 2:
        return groups
    n = len(groups)
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owner: dict[int, list[int]] = {}
    for gi, g in enumerate(groups):
        for a in g.members.tolist():
            owner.setdefault(a, []).append(gi)
    shared: dict[tuple[int, int], int] = {}
    for gs in owner.values():
        if len(gs) > 1:
            for i in range(len(gs)):
                for j in range(i + 1, len(gs)):
                    shared[(gs[i], gs[j])] = shared.get((gs[i], gs[j]), 0) + 1
    for (i, j), k in shared.items():
        small = min(groups[i].members.size, groups[j].members.size)
        if k >= min_jaccard * small:
            parent[find(i)] = find(j)
    merged: dict[int, Group] = {}
    for gi, g in enumerate(groups):
        r = find(gi)
        if r not in merged:
            merged[r] = Group(members=g.members, targets=g.targets, windows=dict(g.windows), method=g.method)
        else:
            m = merged[r]
            m.members = np.union1d(m.members, g.members)
            m.targets = np.union1d(m.targets, g.targets)
            for t, (lo, hi) in g.windows.items():
                a, b = m.windows.get(t, (lo, hi))
                m.windows[t] = (min(a, lo), max(b, hi))
            if g.method != m.method:
                m.method = "events+fraudar"
    return list(merged.values())


def sigmoid(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-x)))


def group_score(g: Group) -> float:
    """How sure we are that a group is a farm (calibrated by hand on simulated farms; documented in docs/fakefans.md).

    Synchrony carries most of the weight; creation clustering and fill add to it;
    density alone (an organic core) cannot reach 0.5 without synchrony.
    """
    x = -7.0 + 6.0 * g.sync + 2.5 * g.creation + 2.0 * g.fill + 0.6 * min(np.log(max(g.size, 1)), 4.5)
    return sigmoid(x)
