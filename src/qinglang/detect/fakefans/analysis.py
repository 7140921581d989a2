"""One pass over the lake that every fake-fan detector shares.

load -> registration batches -> follower bursts (time or rank basis) -> purchases seen
from batches -> lockstep groups (events + synchronised FRAUDAR blocks) -> features ->
fake probabilities. Pure functions of the arrays; `analyse(engine, ...)` only adds
the reading. Memory is linear in accounts + follows (about 24 bytes per follow).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qinglang.detect.fakefans import features as F
from qinglang.detect.fakefans import lockstep as L
from qinglang.detect.fakefans import signals as S
from qinglang.detect.fakefans.load import Accounts, Follows, load_accounts, load_follows


@dataclass
class Burst:
    target: int
    basis: str  # time | rank
    lo: int
    hi: int  # exclusive
    followers: np.ndarray  # account indices followed inside the window
    source: str  # spike | batch_purchase | spike+batch_purchase
    group: int = -1
    score: float = 0.0
    evidence: dict = field(default_factory=dict)


@dataclass
class Analysis:
    acc: Accounts
    fol: Follows  # sorted by (dst, key)
    key: np.ndarray  # per follow: time or rank (or 0)
    ptr: np.ndarray  # followee segment offsets into the sorted follows
    basis: str
    reg_batch: np.ndarray
    reg_windows: S.Windows
    bursts: list[Burst]
    groups: list[L.Group]
    member_group: np.ndarray  # per account: group index or -1
    unsynchronised_blocks: list[dict]
    feats: dict[str, np.ndarray]
    candidates: np.ndarray  # account indices scored (followers of heads + group members)
    scores: np.ndarray  # fake probability per account (NaN when not a candidate)
    contributions: np.ndarray | None  # per candidate row x FEATURES
    model: object


def _sort_follows(fol: Follows, n: int):
    key = fol.t if fol.basis == "time" else (fol.rank if fol.basis == "rank" else np.zeros(fol.n, np.int64))
    order = np.lexsort((key, fol.dst))
    fol = Follows(fol.src[order], fol.dst[order], fol.t[order], fol.rank[order], fol.has_time, fol.has_rank)
    key = key[order]
    ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(fol.dst, minlength=n), out=ptr[1:])
    return fol, key, ptr


def _window_followers(fol: Follows, key: np.ndarray, ptr: np.ndarray, target: int, lo: int, hi: int) -> np.ndarray:
    a, b = int(ptr[target]), int(ptr[target + 1])
    i = a + int(np.searchsorted(key[a:b], lo, "left"))
    j = a + int(np.searchsorted(key[a:b], hi, "left"))
    return fol.src[i:j].astype(np.int64)


def find_bursts(acc: Accounts, fol: Follows, key: np.ndarray, ptr: np.ndarray, basis: str,
                llr: float = 16.0) -> list[Burst]:
    out: list[Burst] = []
    if basis == "time":
        w = S.time_bursts(fol.dst, key, ptr, llr=llr)
        for seg, lo, hi in zip(w.seg.tolist(), w.start.tolist(), w.end.tolist()):
            out.append(Burst(seg, "time", lo, hi, _window_followers(fol, key, ptr, seg, lo, hi), "spike"))
    elif basis == "rank":
        created_sorted = acc.created[fol.src]
        w = S.rank_bursts(created_sorted, ptr, llr=llr)
        for seg, a, b in zip(w.seg.tolist(), w.start.tolist(), w.end.tolist()):
            base = int(ptr[seg])
            lo, hi = int(key[base + a]), int(key[base + b - 1]) + 1
            out.append(Burst(seg, "rank", lo, hi, fol.src[base + a:base + b].astype(np.int64), "spike"))
    return out


def batch_purchases(acc: Accounts, fol: Follows, key: np.ndarray, ptr: np.ndarray, reg_batch: np.ndarray,
                    basis: str, min_n: int = 5, min_share: float = 0.3) -> list[Burst]:
    """Accounts registered in one batch that follow the same account: a delivery seen from the farm's side."""
    if basis == "none":
        return []
    b_of = reg_batch[fol.src]
    m = b_of >= 0
    if not m.any():
        return []
    batch_size = np.bincount(reg_batch[reg_batch >= 0])
    bb, dd, kk = b_of[m], fol.dst[m].astype(np.int64), key[m]
    order = np.lexsort((kk, dd, bb))
    bb, dd, kk = bb[order], dd[order], kk[order]
    starts = np.flatnonzero(np.r_[True, (bb[1:] != bb[:-1]) | (dd[1:] != dd[:-1])])
    ends = np.r_[starts[1:], bb.size]
    out: list[Burst] = []
    for s, e in zip(starts.tolist(), ends.tolist()):
        k = e - s
        if k < max(min_n, min_share * batch_size[bb[s]]):
            continue
        ks = kk[s:e]
        lo_i, hi_i = int(0.02 * (k - 1)), int(np.ceil(0.98 * (k - 1)))
        lo, hi = int(ks[lo_i]), int(ks[hi_i]) + 1
        t = int(dd[s])
        out.append(Burst(t, basis, lo, hi, _window_followers(fol, key, ptr, t, lo, hi), "batch_purchase"))
    return out


def merge_bursts(bursts: list[Burst]) -> list[Burst]:
    """One burst per target and overlapping window."""
    bursts = sorted(bursts, key=lambda b: (b.target, b.lo))
    out: list[Burst] = []
    for b in bursts:
        if out and out[-1].target == b.target and b.lo <= out[-1].hi:
            o = out[-1]
            o.hi = max(o.hi, b.hi)
            o.followers = np.union1d(o.followers, b.followers)
            if b.source not in o.source:
                o.source = f"{o.source}+{b.source}"
        else:
            out.append(Burst(b.target, b.basis, b.lo, b.hi, b.followers, b.source))
    return out


def group_stats(g: L.Group, acc: Accounts, fol: Follows, key: np.ndarray, ptr: np.ndarray, reg_batch: np.ndarray,
                weights: np.ndarray, background: float) -> None:
    mem = g.members
    is_mem = np.zeros(acc.n, bool)
    is_mem[mem] = True
    n_edges = n_inside = 0
    f = 0.0
    purity = []
    for t in g.targets.tolist():
        a, b = int(ptr[t]), int(ptr[t + 1])
        sel = is_mem[fol.src[a:b]]
        ks = key[a:b][sel]
        n_edges += int(sel.sum())
        lo, hi = g.windows.get(t, (0, 0))
        inside = int(((ks >= lo) & (ks < hi)).sum())
        n_inside += inside
        if t in g.windows:
            everyone = int(np.searchsorted(key[a:b], hi, "left") - np.searchsorted(key[a:b], lo, "left"))
            purity.append(inside / max(1, everyone))
        f += weights[t] * sel.sum()
    g.size = int(mem.size)
    g.fill = n_edges / max(1, mem.size * g.targets.size)
    g.sync = n_inside / max(1, n_edges)
    g.purity = float(np.median(purity)) if purity else 0.0
    c = acc.created[mem]
    in_cw = np.zeros(mem.size, bool)
    for lo, hi in g.creation_windows:
        in_cw |= (c >= lo) & (c <= hi)
    g.creation = float((in_cw | (reg_batch[mem] >= 0)).mean()) if mem.size else 0.0
    g.creation_span_days = float((np.percentile(c, 75) - np.percentile(c, 25)) / S.DAY) if mem.size else 0.0
    g.standing = float(np.log1p(acc.followers[mem]).mean()) if mem.size else 0.0
    g.density = f / max(1, mem.size + g.targets.size)
    g.background_density = background
    g.score = L.group_score(g)


def key_windows(fx: L.FollowIndex, g: L.Group) -> dict[int, tuple[int, int]]:
    """A group's windows in key units (time, or follow ranks), from its members' follows inside the tkey windows."""
    out = {}
    for t, (lo, hi) in g.twindows.items():
        r = fx.key_range(t, lo, hi, g.members)
        if r is not None:
            out[int(t)] = r
    return out


def group_hits(g: L.Group, acc: Accounts, fol: Follows, key: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    """Per member: how many of the group's windows (follow and creation windows) it is inside."""
    cnt = np.zeros(g.members.size)
    for t, (lo, hi) in g.windows.items():
        w = _window_followers(fol, key, ptr, t, lo, hi)
        cnt += np.isin(g.members, w)
    c = acc.created[g.members]
    for lo, hi in g.creation_windows:
        cnt += (c >= lo) & (c <= hi)
    return cnt


def fraudar_blocks(acc: Accounts, fol: Follows, fx: L.FollowIndex, basis: str, k: int, weights: np.ndarray,
                   min_sync: float = 0.6, span: int = 2 * S.DAY) -> tuple[list[L.Group], list[dict]]:
    """Dense blocks of the whole follow graph; kept as groups only when synchronised: at least `min_sync` of the
    block's follows of its columns fall, per column, inside one `span`-wide window of the synchrony clock (follow
    times, or the pseudo-time of follow ranks)."""
    from qinglang.detect.fakefans.graph import from_edges
    from qinglang.detect.fakefans.peel import dense_blocks

    if fol.n == 0 or k <= 0:
        return [], []
    g = from_edges(fol.src, fol.dst, acc.n, acc.n)
    blocks = dense_blocks(g, k, weights=weights, min_rows=5, min_cols=2)
    del g
    kept, dropped = [], []
    for b in blocks:
        rows = b.rows.astype(np.int64)
        is_mem = np.zeros(acc.n, bool)
        is_mem[rows] = True
        twindows, inside, total = {}, 0, 0
        for t in b.cols.tolist():
            a, e = int(fx.ptr[t]), int(fx.ptr[t + 1])
            sel = is_mem[fx.src[a:e]]
            ks = fx.tkey[a:e][sel]
            total += ks.size
            ks = ks[ks >= 0]
            if ks.size == 0 or basis == "none":
                continue
            j = np.searchsorted(ks, ks + span, "right")
            best = int(np.argmax(j - np.arange(ks.size)))
            inside += int(j[best] - best)
            twindows[int(t)] = (int(ks[best]), int(ks[j[best] - 1]))
        sync = inside / max(1, total)
        info = {"rows": int(rows.size), "cols": int(b.cols.size), "density": round(b.score, 4), "synchrony": round(sync, 3),
                "members": rows}
        if sync >= min_sync and twindows:
            grp = L.Group(members=np.sort(rows), targets=np.array(sorted(twindows), np.int64), windows={},
                          twindows=twindows, method="fraudar")
            grp.windows = key_windows(fx, grp)
            kept.append(grp)
        else:
            dropped.append(info)
    return kept, dropped


def score_burst(b: Burst, acc: Accounts, ptr: np.ndarray, reg_batch: np.ndarray, scores: np.ndarray,
                member_group: np.ndarray, groups: list[L.Group]) -> None:
    """How sure we are that a burst is a purchase: how fake its followers look (and how many were registered in
    batches), or, when a lockstep group delivered at least 5 of its followers, that group's score if higher."""
    p = scores[b.followers]
    p = np.where(np.isnan(p), 0.0, p)
    fake_share = float((p >= 0.5).mean()) if p.size else 0.0
    gids = member_group[b.followers]
    gids = gids[gids >= 0]
    delivered = 0
    if gids.size:
        vals, cnts = np.unique(gids, return_counts=True)
        b.group = int(vals[np.argmax(cnts)])
        delivered = int(cnts.max())
    c = acc.created[b.followers]
    in_batch = float((reg_batch[b.followers] >= 0).mean()) if b.followers.size else 0.0
    iqr = float((np.percentile(c, 75) - np.percentile(c, 25)) / S.DAY) if c.size else 0.0
    total = max(1, int(ptr[b.target + 1] - ptr[b.target]))
    signals = {"fake_share": 9.0 * fake_share, "creation_in_batches": 1.5 * in_batch, "bias": -3.0}
    b.score = float(1.0 / (1.0 + np.exp(-sum(signals.values()))))
    by_group = groups[b.group].score if b.group >= 0 and delivered >= 5 else 0.0
    b.score = max(b.score, by_group)
    b.evidence = {
        "fake_share": round(fake_share, 4), "fake_followers": int((p >= 0.5).sum()),
        "creation_in_batches": round(in_batch, 4), "creation_iqr_days": round(iqr, 2),
        "share_of_all_followers": round(b.followers.size / total, 4), "source": b.source,
        "delivered_by_lockstep_group": delivered,
        "signals": {k: round(v, 3) for k, v in signals.items()},
    }
    if by_group:
        b.evidence["lockstep_group_score"] = round(by_group, 4)


def analyse(engine, workspace=None, model=None, fraudar_k: int = 3, progress=None,
            only_followers_of: int | None = None) -> Analysis:
    def report(step, i):
        if progress:
            progress(f"fakefans: {step}", i, 7)

    report("loading accounts", 0)
    acc = load_accounts(engine)
    report("loading follows", 1)
    fol = load_follows(engine, acc.n)
    return analyse_arrays(acc, fol, workspace=workspace, model=model, fraudar_k=fraudar_k, report=report)


def analyse_arrays(acc: Accounts, fol: Follows, workspace=None, model=None, fraudar_k: int = 3,
                   report=lambda step, i: None, seed_llr: float = 8.0) -> Analysis:
    from qinglang.detect.fakefans import model as M

    n = acc.n
    basis = fol.basis
    fol, key, ptr = _sort_follows(fol, n)
    report("registration batches", 2)
    reg_batch, reg_windows = S.registration_batches(acc.created)
    report("follower bursts", 3)
    spikes = find_bursts(acc, fol, key, ptr, basis)
    purchases = batch_purchases(acc, fol, key, ptr, reg_batch, basis)
    bursts = merge_bursts(spikes + purchases)

    report("lockstep groups", 4)
    fx = L.follow_index(n, fol.src, fol.dst, key, ptr, basis, acc.created, acc.last_active, acc.snapshot)
    events: list[L.Event] = [L.Event("burst", b.target, b.lo, b.hi, b.followers) for b in bursts]
    if seed_llr < 16.0:  # weaker windows only as candidate events: a seed still needs a significant pair
        events += [L.Event("weak_burst", b.target, b.lo, b.hi, b.followers)
                   for b in find_bursts(acc, fol, key, ptr, basis, llr=seed_llr)]
    if basis == "rank":  # bursts on the pseudo-time clock: old accounts delivered together share one pseudo-time
        w = S.time_bursts(fol.dst, fx.tkey, ptr, llr=seed_llr)
        events += [L.Event("pseudo_time_burst", t, lo, hi, fx.window(t, lo, hi - 1))
                   for t, lo, hi in zip(w.seg.tolist(), w.start.tolist(), w.end.tolist())]
    for bi in range(reg_windows.n):
        mem = np.flatnonzero(reg_batch == bi).astype(np.int64)
        events.append(L.Event("registration", -1, int(reg_windows.start[bi]), int(reg_windows.end[bi]), mem))
    reg_spans = list(zip(reg_windows.start.tolist(), reg_windows.end.tolist()))
    groups = L.discover(events, fx, reg_spans, n) if basis != "none" else []
    for g in groups:
        g.windows = key_windows(fx, g)
    indeg = np.bincount(fol.dst, minlength=n)
    weights = 1.0 / np.log(indeg + 5.0)
    background = float(weights[fol.dst].sum() / max(1, n + n)) if fol.n else 0.0
    fr_groups, unsync = fraudar_blocks(acc, fol, fx, basis, fraudar_k, weights)
    groups = L.merge_overlapping(groups + fr_groups)
    groups = [g for g in groups if g.targets.size]
    for g in groups:
        group_stats(g, acc, fol, key, ptr, reg_batch, weights, background)
    groups.sort(key=lambda g: (-g.score, -g.size))
    member_group = np.full(n, -1, np.int64)
    member_score = np.zeros(n)
    for gi, g in enumerate(groups):
        better = g.score > member_score[g.members]
        member_group[g.members[better]] = gi
        member_score[g.members[better]] = g.score

    report("features", 5)
    feats = F.account_features(acc, fol)
    feats["group_score"] = member_score
    sync_targets = np.zeros(n)
    for g in groups:
        if g.score < 0.5:
            continue
        cnt = group_hits(g, acc, fol, key, ptr)
        sync_targets[g.members] = np.maximum(sync_targets[g.members], cnt)
    feats["sync_targets"] = sync_targets
    feats["reg_batch"] = (reg_batch >= 0).astype(np.float64)
    in_burst = np.zeros(n)
    for b in bursts:
        in_burst[b.followers] += 1
    feats["burst_follows"] = in_burst

    report("scoring", 6)
    is_head_edge = acc.is_head[fol.dst]
    cand_mask = np.zeros(n, bool)
    cand_mask[fol.src[is_head_edge]] = True
    cand_mask[member_group >= 0] = True
    candidates = np.flatnonzero(cand_mask)
    mdl = model if model is not None else (M.load(workspace) if workspace is not None else M.UnsupervisedModel())
    scores = np.full(n, np.nan)
    X = F.matrix(feats, candidates)
    contrib = None
    if candidates.size:
        scores[candidates] = mdl.predict(X)
        contrib = mdl.contributions(X)

    # a lockstep group's deliveries are purchase windows too (a slow drip into a star's follower list does not
    # show in its follower curve); they join the bursts of the same account when the windows overlap
    delivered = [Burst(int(t), basis, lo, hi, _window_followers(fol, key, ptr, int(t), lo, hi), "lockstep")
                 for g in groups if g.score >= 0.5 for t, (lo, hi) in g.windows.items()]
    bursts = merge_bursts(bursts + delivered)
    for b in bursts:
        score_burst(b, acc, ptr, reg_batch, scores, member_group, groups)
    report("done", 7)
    return Analysis(acc=acc, fol=fol, key=key, ptr=ptr, basis=basis, reg_batch=reg_batch, reg_windows=reg_windows,
                    bursts=bursts, groups=groups, member_group=member_group, unsynchronised_blocks=unsync,
                    feats=feats, candidates=candidates, scores=scores, contributions=contrib, model=mdl)
