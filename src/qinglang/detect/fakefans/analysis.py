"""One pass over the lake that every fake-fan detector shares.

load -> registration batches -> follower bursts (time or rank basis) -> purchases seen
from batches -> lockstep groups (events + synchronised FRAUDAR blocks) -> features ->
fake probabilities. Per-account work happens here on arrays; everything that touches the
follows goes through follow_data.FollowData, which keeps them on the engine (per-followee
scans with group_apply, counts in SQL, lookups of only the follows asked for, dense
blocks by parallel peeling), so the same code runs on DuckDB and on a Spark cluster.
Memory here is linear in accounts, not in follows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qinglang.detect.fakefans import features as F
from qinglang.detect.fakefans import lockstep as L
from qinglang.detect.fakefans import signals as S
from qinglang.detect.fakefans.follow_data import FollowData
from qinglang.detect.fakefans.local_follows import LocalFollowData
from qinglang.detect.fakefans.load import Accounts, Follows, load_accounts


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
    fol: FollowData  # the follows, on the engine (closed once the analysis is done)
    key: None  # (kept for compatibility: follows are no longer held here)
    ptr: np.ndarray  # cumulative in-degrees: ptr[t + 1] - ptr[t] followers of t
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


def find_bursts(fd: FollowData, llr: float = 16.0, seed_llr: float = 16.0) -> tuple[list[Burst], dict]:
    """Follower bursts of every followee (time or rank basis), and the candidate windows of the lockstep search:
    weaker ones (`seed_llr`) and, on ranks, bursts on the pseudo-time clock."""
    w = fd.burst_windows(llr=llr, seed_llr=seed_llr)
    bursts = [Burst(t, fd.basis, lo, hi, f, "spike") for t, lo, hi, f in w["burst"]]
    return bursts, w


def batch_purchases(fd: FollowData, reg_batch: np.ndarray, min_n: int = 5, min_share: float = 0.3) -> list[Burst]:
    """Accounts registered in one batch that follow the same account: a delivery seen from the farm's side."""
    spans = fd.purchase_windows(reg_batch, min_n=min_n, min_share=min_share)
    return [Burst(t, fd.basis, lo, hi, f, "batch_purchase") for (t, lo, hi), f in zip(spans, fd.windows_key(spans))]


def merge_bursts(bursts: list[Burst]) -> list[Burst]:
    """One burst per target and overlapping window (followers united once per merged window: a huge account's
    many overlapping windows cost one sort, not one per window)."""
    bursts = sorted(bursts, key=lambda b: (b.target, b.lo))
    out: list[Burst] = []
    parts: list[list[np.ndarray]] = []
    for b in bursts:
        if out and out[-1].target == b.target and b.lo <= out[-1].hi:
            o = out[-1]
            o.hi = max(o.hi, b.hi)
            parts[-1].append(b.followers)
            if b.source not in o.source:
                o.source = f"{o.source}+{b.source}"
        else:
            out.append(Burst(b.target, b.basis, b.lo, b.hi, b.followers, b.source))
            parts.append([b.followers])
    for o, p in zip(out, parts):
        if len(p) > 1:
            o.followers = _union(np.concatenate(p))
    return out


def _union(ids: np.ndarray) -> np.ndarray:
    """Sorted distinct account indices: a mark per account when there are many (no sort), else np.unique."""
    if ids.size < 1 << 16:
        return np.unique(ids)
    mark = np.zeros(int(ids.max()) + 1, np.bool_)
    mark[ids] = True
    return np.flatnonzero(mark).astype(ids.dtype, copy=False)


def group_stats(groups: list[L.Group], acc: Accounts, fd: FollowData, reg_batch: np.ndarray, weights: np.ndarray,
                background: float) -> None:
    """Size, fill, synchrony, purity, creation clustering, density and score of each group (the follows they need
    fetched for all groups at once)."""
    follows = fd.member_follows_many([(g.members, g.targets) for g in groups])
    spans = [(t, *g.windows[t]) for g in groups for t in g.targets.tolist() if t in g.windows]
    counts = iter(fd.window_counts(spans).tolist())
    for g, (d, ks_all, _) in zip(groups, follows):
        win_targets = [t for t in g.targets.tolist() if t in g.windows]
        everyone = {t: next(counts) for t in win_targets}
        _group_stats(g, acc, d, ks_all, everyone, reg_batch, weights, background)


def _group_stats(g: L.Group, acc: Accounts, d: np.ndarray, ks_all: np.ndarray, everyone: dict[int, int],
                 reg_batch: np.ndarray, weights: np.ndarray, background: float) -> None:
    mem = g.members
    lo_d = np.searchsorted(d, g.targets, "left")
    hi_d = np.searchsorted(d, g.targets, "right")
    n_edges = n_inside = 0
    f = 0.0
    purity = []
    for t, a, b in zip(g.targets.tolist(), lo_d.tolist(), hi_d.tolist()):
        ks = ks_all[a:b]
        n_sel = b - a
        n_edges += n_sel
        lo, hi = g.windows.get(t, (0, 0))
        inside = int(((ks >= lo) & (ks < hi)).sum())
        n_inside += inside
        if t in g.windows:
            purity.append(inside / max(1, everyone[t]))
        f += weights[t] * n_sel
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


def set_key_windows(fx: L.FollowIndex, groups: list[L.Group]) -> None:
    """Each group's windows in key units (time, or follow ranks), from its members' follows inside the tkey
    windows (fetched for all groups at once)."""
    fx.prefetch_windows([(t, lo, hi) for g in groups for t, (lo, hi) in g.twindows.items()])
    for g in groups:
        g.windows = {int(t): r for t, r in fx.key_ranges(g.twindows, g.members).items() if r is not None}


def group_hits(groups: list[L.Group], acc: Accounts, fd: FollowData) -> list[np.ndarray]:
    """Per group, per member: how many of the group's windows (follow and creation windows) it is inside."""
    found = iter(fd.windows_key([(t, lo, hi) for g in groups for t, (lo, hi) in g.windows.items()]))
    out = []
    for g in groups:
        cnt = np.zeros(g.members.size)
        for _ in g.windows:
            cnt += np.isin(g.members, next(found))
        c = acc.created[g.members]
        for lo, hi in g.creation_windows:
            cnt += (c >= lo) & (c <= hi)
        out.append(cnt)
    return out


def fraudar_blocks(acc: Accounts, fd: FollowData, fx: L.FollowIndex, basis: str, k: int, weights: np.ndarray,
                   min_sync: float = 0.6, span: int = 2 * S.DAY) -> tuple[list[L.Group], list[dict]]:
    """Dense blocks of the whole follow graph; kept as groups only when synchronised: at least `min_sync` of the
    block's follows of its columns fall, per column, inside one `span`-wide window of the synchrony clock (follow
    times, or the pseudo-time of follow ranks)."""
    if fd.n_edges == 0 or k <= 0:
        return [], []
    blocks = fd.dense_blocks(k, weights, min_rows=5, min_cols=2)
    kept, dropped = [], []
    follows = fd.member_follows_many([(b.rows.astype(np.int64), b.cols) for b in blocks])
    for b, (d, _, tk) in zip(blocks, follows):
        rows = b.rows.astype(np.int64)
        twindows, inside, total = {}, 0, 0
        for t in b.cols.tolist():
            a, e = int(np.searchsorted(d, t, "left")), int(np.searchsorted(d, t, "right"))
            ks = tk[a:e]  # in key order, like the followee's list
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
            kept.append(L.Group(members=np.sort(rows), targets=np.array(sorted(twindows), np.int64), windows={},
                                twindows=twindows, method="fraudar"))
        else:
            dropped.append(info)
    set_key_windows(fx, kept)
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


def follow_data_class(engine) -> type[FollowData]:
    """Follows held here for an engine that runs here (DuckDB: lookups from arrays, no query each), on the
    engine otherwise (Spark: nothing collected)."""
    return LocalFollowData if getattr(engine, "name", "") == "duckdb" else FollowData


def analyse(engine, workspace=None, model=None, fraudar_k: int = 3, progress=None,
            only_followers_of: int | None = None, options: dict | None = None) -> Analysis:
    """The analysis over the lake through `engine`; `options` is the [fakefans] section (peel_eps,
    exact_peel_max_edges)."""
    def report(step, i):
        if progress:
            progress(f"fakefans: {step}", i, 7)

    report("loading accounts", 0)
    acc = load_accounts(engine)
    report("preparing follows", 1)
    fd = follow_data_class(engine).from_lake(engine, acc, options)
    try:
        return analyse_data(acc, fd, workspace=workspace, model=model, fraudar_k=fraudar_k, report=report)
    finally:
        fd.close()


def analyse_arrays(acc: Accounts, fol: Follows, workspace=None, model=None, fraudar_k: int = 3,
                   report=lambda step, i: None, seed_llr: float = 8.0, options: dict | None = None) -> Analysis:
    """The analysis of follows given as index arrays (on a private DuckDB)."""
    fd = LocalFollowData.from_arrays(acc, fol, options)
    try:
        return analyse_data(acc, fd, workspace=workspace, model=model, fraudar_k=fraudar_k, report=report,
                            seed_llr=seed_llr)
    finally:
        fd.close()


def analyse_data(acc: Accounts, fd: FollowData, workspace=None, model=None, fraudar_k: int = 3,
                 report=lambda step, i: None, seed_llr: float = 8.0) -> Analysis:
    from qinglang.detect.fakefans import model as M

    n = acc.n
    basis = fd.basis
    ptr = fd.ptr
    report("registration batches", 2)
    reg_batch, reg_windows = S.registration_batches(acc.created)
    report("follower bursts", 3)
    spikes, windows = find_bursts(fd, seed_llr=seed_llr)
    purchases = batch_purchases(fd, reg_batch)
    bursts = merge_bursts(spikes + purchases)

    report("lockstep groups", 4)
    fx = fd.index()
    events: list[L.Event] = [L.Event("burst", b.target, b.lo, b.hi, b.followers) for b in bursts]
    if seed_llr < 16.0:  # weaker windows only as candidate events: a seed still needs a significant pair
        events += [L.Event("weak_burst", t, lo, hi, f) for t, lo, hi, f in windows["weak_burst"]]
    if basis == "rank":  # bursts on the pseudo-time clock: old accounts delivered together share one pseudo-time
        events += [L.Event("pseudo_time_burst", t, lo, hi, f) for t, lo, hi, f in windows["pseudo_time_burst"]]
    for bi in range(reg_windows.n):
        mem = np.flatnonzero(reg_batch == bi).astype(np.int64)
        events.append(L.Event("registration", -1, int(reg_windows.start[bi]), int(reg_windows.end[bi]), mem))
    reg_spans = list(zip(reg_windows.start.tolist(), reg_windows.end.tolist()))
    groups = L.discover(events, fx, reg_spans, n) if basis != "none" else []
    set_key_windows(fx, groups)
    indeg = fd.indeg
    weights = 1.0 / np.log(indeg + 5.0)
    background = float((weights * indeg).sum() / max(1, n + n)) if fd.n_edges else 0.0
    fr_groups, unsync = fraudar_blocks(acc, fd, fx, basis, fraudar_k, weights)
    groups = L.merge_overlapping(groups + fr_groups)
    groups = [g for g in groups if g.targets.size]
    group_stats(groups, acc, fd, reg_batch, weights, background)
    groups.sort(key=lambda g: (-g.score, -g.size))
    member_group = np.full(n, -1, np.int64)
    member_score = np.zeros(n)
    for gi, g in enumerate(groups):
        better = g.score > member_score[g.members]
        member_group[g.members[better]] = gi
        member_score[g.members[better]] = g.score

    report("features", 5)
    counts = fd.follow_counts(acc.is_head)
    feats = F.account_features(acc, counts=counts)
    feats["group_score"] = member_score
    sync_targets = np.zeros(n)
    strong = [g for g in groups if g.score >= 0.5]
    for g, cnt in zip(strong, group_hits(strong, acc, fd)):
        sync_targets[g.members] = np.maximum(sync_targets[g.members], cnt)
    feats["sync_targets"] = sync_targets
    feats["reg_batch"] = (reg_batch >= 0).astype(np.float64)
    in_burst = np.zeros(n)
    for b in bursts:
        in_burst[b.followers] += 1
    feats["burst_follows"] = in_burst

    report("scoring", 6)
    cand_mask = counts["to_head"] > 0  # followers of head accounts
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
    spans = [(int(t), lo, hi) for g in groups if g.score >= 0.5 for t, (lo, hi) in g.windows.items()]
    delivered = [Burst(t, basis, lo, hi, f, "lockstep") for (t, lo, hi), f in zip(spans, fd.windows_key(spans))]
    bursts = merge_bursts(bursts + delivered)
    for b in bursts:
        score_burst(b, acc, ptr, reg_batch, scores, member_group, groups)
    report("done", 7)
    return Analysis(acc=acc, fol=fd, key=None, ptr=ptr, basis=basis, reg_batch=reg_batch, reg_windows=reg_windows,
                    bursts=bursts, groups=groups, member_group=member_group, unsynchronised_blocks=unsync,
                    feats=feats, candidates=candidates, scores=scores, contributions=contrib, model=mdl)
