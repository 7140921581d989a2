"""Lockstep farms: accounts that follow the same targets in the same windows (CopyCatch).

Lockstep = density + time synchrony + creation clustering. The search works in
three steps, none of which needs the accounts to have been registered together:

1. Candidate *events*: follower bursts of one account (signals.time_bursts /
   rank_bursts, also weaker ones than the follower_burst findings report), purchases
   seen from a registration batch (many accounts registered together following the
   same account), and the registration batches themselves.
2. Seeds: pairs of events of different targets that share far more accounts than
   chance allows. The null model is a configuration model (an account that follows a
   lot is expected in many follower windows): E[shared] = a * b * sum(d^2) / (sum d)^2,
   with a, b the event sizes and d the accounts' out-degrees (a * b / N when one event
   is a registration batch); a pair is kept when its Poisson tail is below 1e-3 divided by
   the number of pairs. The accounts the pair shares are a seed; seeds that overlap
   by half are merged. A giant organic window (a viral month of a star) shares with a
   farm's event at most what a purchase inside it put there, so it never glues two
   farms together.
3. Refinement, CopyCatch style, twice. The seed's *targets* are the accounts that at
   least 30% of the seed followed inside one window of at most `max_window` (a
   camouflage follow of a popular account happens at a random moment of a member's
   life, a delivery does not), each window running from the seed's first to its last
   follow inside it. Its *creation windows* are the spans of at most two days in which
   at least max(5, 10%) of the seed registered (farms register members in batches).
   The *members* are then the accounts inside at least one follow window and at least
   two windows in all whose pattern is improbable by chance. An account's evidence is the
   sum of -log p over the windows it is in: for a follow window of target t, p = P(it
   follows t at all: 1 - exp(-d indeg(t) / E), d its out-degree, E all follows) times
   P(that follow lands in the window: the window's length over the account's own life,
   registration to last activity, at most 1 — so a new account following stars during
   its onboarding weeks gains nothing from windows covering them — and never less than
   the window's share of the target's follower list); for a creation window c,
   p = |R_c| / N. With follow times, a window an account registered in (or within two
   days before) is not counted for it at all: new users follow the platform's stars as
   they join. The threshold is the smallest for which the expected number of
   accounts reaching it by chance stays below max(0.5, 1% of the seed), computed exactly
   over all window patterns per out-degree under the plain model (each follow window j
   hit with probability 1 - exp(-d |W_j| / E)).

Dense blocks found by FRAUDAR peeling over the whole follow graph are added by the
caller only when synchronised: a dense but unsynchronised organic core (heavy
followers of popular accounts) never becomes a group.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.stats import poisson

DAY = 86_400
#: most windows enumerated exactly in the chance model (the most populated are kept)
MAX_WINDOWS = 12
#: follows an account makes within this long of registering are onboarding, not coordination
ONBOARDING = 2 * DAY


@dataclass
class Event:
    kind: str  # burst | weak_burst | batch_purchase | registration
    target: int  # followee index, -1 for a registration batch
    lo: int  # window start (key units)
    hi: int  # window end, exclusive
    followers: np.ndarray  # int64 account indices in the window


@dataclass
class Group:
    members: np.ndarray  # int64 account indices, sorted
    targets: np.ndarray  # int64 followee indices
    windows: dict[int, tuple[int, int]]  # target -> (lo, hi) in key units (time or rank), hi exclusive
    method: str  # events | fraudar | events+fraudar
    twindows: dict[int, tuple[int, int]] = field(default_factory=dict)  # target -> [lo, hi] on the tkey clock
    creation_windows: list[tuple[int, int]] = field(default_factory=list)  # [lo, hi] registration spans
    hits: np.ndarray | None = None  # per member: windows (follow and creation) it is inside
    evidence_bits: np.ndarray | None = None  # per member: -log chance of its window pattern
    threshold: float = 0.0  # the membership threshold on evidence_bits
    size: int = 0
    fill: float = 0.0  # share of member x target pairs that are follows
    sync: float = 0.0  # share of member -> target follows inside the windows
    purity: float = 0.0  # median over windows of the share of the window's followers that are members
    creation: float = 0.0  # share of members registered inside the creation windows (or detected batches)
    creation_span_days: float = 0.0  # interquartile range of members' registration dates
    standing: float = 0.0  # mean log(1 + followers) of the members themselves
    density: float = 0.0  # FRAUDAR objective of members x targets (log-weighted)
    background_density: float = 0.0
    score: float = 0.0

    @property
    def n_windows(self) -> int:
        return int(len(self.windows) or len(self.twindows)) + len(self.creation_windows)


@dataclass
class FollowIndex:
    """The follows twice: by followee (sorted by follow key within each followee) and by follower.

    `tkey` is the synchrony clock: follow times in seconds, or, when only follow_rank is
    known, a pseudo-time (the latest registration among the followee's followers up to
    that rank: a follow happens after every earlier follower registered). It is
    non-decreasing within each followee's list, like the key itself.
    """

    n: int
    src: np.ndarray  # int32 follower, sorted by (dst, key)
    key: np.ndarray  # int64 time or rank
    tkey: np.ndarray  # int64 seconds (time or pseudo-time), -1 unknown
    ptr: np.ndarray  # int64 followee offsets
    out_ptr: np.ndarray  # int64 follower offsets
    out_dst: np.ndarray  # int32 followee of each follow, by follower
    out_tkey: np.ndarray  # int64
    out_deg: np.ndarray  # int64
    created: np.ndarray  # int64 registration time per account
    life_end: np.ndarray  # int64 last activity (or the snapshot when unknown)
    created_order: np.ndarray  # accounts sorted by registration time
    created_sorted: np.ndarray  # their registration times
    real_clock: bool = False  # tkey is the follow time itself (basis time), not the pseudo-time of a rank

    @property
    def n_edges(self) -> int:
        return int(self.src.size)

    def window(self, t: int, lo: int, hi: int) -> np.ndarray:
        """Followers of t whose tkey lies in [lo, hi]."""
        a, b = int(self.ptr[t]), int(self.ptr[t + 1])
        seg = self.tkey[a:b]
        i = a + int(np.searchsorted(seg, lo, "left"))
        j = a + int(np.searchsorted(seg, hi, "right"))
        return self.src[i:j].astype(np.int64)

    def registered(self, lo: int, hi: int) -> np.ndarray:
        """Accounts registered in [lo, hi]."""
        i = int(np.searchsorted(self.created_sorted, lo, "left"))
        j = int(np.searchsorted(self.created_sorted, hi, "right"))
        return self.created_order[i:j].astype(np.int64)

    def key_range(self, t: int, lo: int, hi: int, members: np.ndarray) -> tuple[int, int] | None:
        """Key range (rank or time, hi exclusive) of the members' follows of t inside [lo, hi] of tkey."""
        a, b = int(self.ptr[t]), int(self.ptr[t + 1])
        seg = self.tkey[a:b]
        i = a + int(np.searchsorted(seg, lo, "left"))
        j = a + int(np.searchsorted(seg, hi, "right"))
        sel = np.isin(self.src[i:j], members)
        if not sel.any():
            return None
        ks = self.key[i:j][sel]
        return int(ks.min()), int(ks.max()) + 1

    # batched forms: the engine-backed index (follow_data.EngineFollowIndex) answers each with one query
    def windows(self, spans: list[tuple[int, int, int]]) -> list[np.ndarray]:
        """`window(t, lo, hi)` for each (t, lo, hi)."""
        return [self.window(t, lo, hi) for t, lo, hi in spans]

    def key_ranges(self, twindows: dict[int, tuple[int, int]], members: np.ndarray) -> dict[int, tuple[int, int] | None]:
        """`key_range(t, lo, hi, members)` for each target's [lo, hi]."""
        return {t: self.key_range(t, lo, hi, members) for t, (lo, hi) in twindows.items()}

    # prefetching: callers that are about to ask for many windows or many accounts' follows say so first; the
    # engine-backed index then fetches them all with one query (arrays here answer each at once: nothing to do)
    def prefetch_windows(self, spans: list[tuple[int, int, int]]) -> None:
        """The (t, lo, hi) windows `windows`/`key_ranges` will be asked for."""

    def prefetch_out(self, accounts: np.ndarray) -> None:
        """The accounts `out_follows` will be asked about."""

    def out_follows(self, accounts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Followees (int64) and tkeys of the accounts' follows, account by account."""
        starts, ends = self.out_ptr[accounts], self.out_ptr[accounts + 1]
        lens = ends - starts
        idx = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens) + np.arange(int(lens.sum()))
        return self.out_dst[idx].astype(np.int64), self.out_tkey[idx]


def follow_index(n: int, src: np.ndarray, dst: np.ndarray, key: np.ndarray, ptr: np.ndarray, basis: str,
                 created: np.ndarray, last_active: np.ndarray | None = None, snapshot: int = 0) -> FollowIndex:
    """Build the index from follows sorted by (dst, key) with followee offsets ptr."""
    from qinglang.detect.fakefans.signals import running_max

    if basis == "time":
        tkey = key
    elif basis == "rank":
        tkey = running_max(created[src].astype(np.int64), ptr)
    else:
        tkey = np.full(src.size, -1, np.int64)
    order = np.argsort(src, kind="stable")
    out_deg = np.bincount(src, minlength=n).astype(np.int64)
    out_ptr = np.zeros(n + 1, np.int64)
    np.cumsum(out_deg, out=out_ptr[1:])
    c_order = np.argsort(created, kind="stable")
    end = np.full(n, max(snapshot, int(created.max()) if n else 0), np.int64)
    if last_active is not None:
        end = np.where(last_active >= created, last_active, end)
    return FollowIndex(n=n, src=src, key=key, tkey=tkey, ptr=ptr, out_ptr=out_ptr,
                       out_dst=dst[order].astype(np.int32), out_tkey=tkey[order], out_deg=out_deg,
                       created=created, life_end=end, created_order=c_order, created_sorted=created[c_order],
                       real_clock=basis == "time")


# --- 2. seeds from significant event pairs -------------------------------------

def significant_pairs(events: list[Event], n_accounts: int, min_shared: int = 5, min_frac: float = 0.2,
                      alpha: float = 1e-3, out_deg: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, sp.csr_matrix]:
    """Pairs (i, j) of events of different targets sharing more accounts than chance; and the event x account matrix.

    Chance: an account lands in a follower window in proportion to how many follows it makes (out_deg), so two
    windows of sizes a and b share a * b * sum(d^2) / (sum d)^2 accounts on average; an account lands in a
    registration batch whatever it follows (a * b / N). Without out_deg, the accounts' event counts stand in for d.
    """
    sizes = np.array([e.followers.size for e in events], np.int64)
    rows = np.repeat(np.arange(len(events)), sizes)
    cols = np.concatenate([e.followers for e in events]).astype(np.int64) if events else np.empty(0, np.int64)
    m = sp.csr_matrix((np.ones(cols.size, np.float64), (rows, cols)), shape=(len(events), n_accounts))
    m.sum_duplicates()
    m.data[:] = 1.0
    if len(events) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64), m
    sizes = np.diff(m.indptr)
    c = np.asarray(m.sum(axis=0)).ravel() if out_deg is None else np.asarray(out_deg, np.float64)
    total = float(c.sum())
    kappa = float((c * c).sum()) / max(total * total, 1.0)
    co = (m @ m.T).tocoo()
    up = co.row < co.col
    r, q, s = co.row[up], co.col[up], co.data[up]
    tgt = np.array([e.target if e.target >= 0 else -1 - i for i, e in enumerate(events)], np.int64)
    a, b = sizes[r], sizes[q]
    ok = (tgt[r] != tgt[q]) & (s >= min_shared) & (s >= min_frac * np.minimum(a, b))
    r, q, s, a, b = r[ok], q[ok], s[ok], a[ok], b[ok]
    n_pairs = max(1.0, len(events) * (len(events) - 1) / 2)
    follow_pair = (tgt[r] >= 0) & (tgt[q] >= 0)
    logp = poisson.logsf(s - 1, a * b * np.where(follow_pair, kappa, 1.0 / max(n_accounts, 1)))
    keep = logp <= np.log(alpha / n_pairs)
    return r[keep].astype(np.int64), q[keep].astype(np.int64), m


def seeds_from_pairs(r: np.ndarray, q: np.ndarray, m: sp.csr_matrix, min_size: int = 5,
                     merge_frac: float = 0.5) -> list[np.ndarray]:
    """The accounts each significant pair shares, merged when two such cores overlap by half."""
    if r.size == 0:
        return []
    cores = m[r].multiply(m[q]).tocsr()
    cores.eliminate_zeros()
    size = np.diff(cores.indptr)
    cores = cores[size >= min_size]
    size = size[size >= min_size]
    if cores.shape[0] == 0:
        return []
    ov = (cores @ cores.T).tocoo()
    ok = ov.data >= merge_frac * np.minimum(size[ov.row], size[ov.col])
    adj = sp.csr_matrix((np.ones(ok.sum(), np.int8), (ov.row[ok], ov.col[ok])), shape=(cores.shape[0],) * 2)
    _, lab = connected_components(adj, directed=False)
    order = np.argsort(lab, kind="stable")
    bounds = np.flatnonzero(np.r_[True, lab[order][1:] != lab[order][:-1], True])
    return [np.unique(cores[order[a:b]].indices).astype(np.int64) for a, b in zip(bounds[:-1], bounds[1:])]


# --- 3. CopyCatch refinement -----------------------------------------------------

def discover_targets(seed: np.ndarray, fx: FollowIndex, min_share: float = 0.3, max_window: int = 42 * DAY,
                     narrow: int = 2 * DAY) -> dict[int, tuple[int, int]]:
    """Accounts at least `min_share` of the seed followed inside one window: target -> [lo, hi] on the tkey clock."""
    need = max(3, int(np.ceil(min_share * seed.size)))
    d, k = fx.out_follows(seed)
    m = k >= 0
    d, k = d[m], k[m]
    windows: dict[int, tuple[int, int]] = {}
    if d.size == 0:
        return windows
    cnt = np.bincount(d)
    cand = np.flatnonzero(cnt >= need)
    if cand.size == 0:
        return windows
    sel = np.isin(d, cand)
    d, k = d[sel], k[sel]
    order = np.lexsort((k, d))
    d, k = d[order], k[order]
    bounds = np.flatnonzero(np.r_[True, d[1:] != d[:-1], True])
    for s0, e0 in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        ks = k[s0:e0]
        best_n, best_i, best_j = 0, 0, 0
        for w in (narrow, max_window):
            j = np.searchsorted(ks, ks + w, "right")
            i = int(np.argmax(j - np.arange(ks.size)))
            if j[i] - i > best_n * 1.25:  # a wider window must add a quarter more to be preferred
                best_n, best_i, best_j = int(j[i] - i), i, int(j[i])
        if best_n >= need:
            windows[int(d[s0])] = (int(ks[best_i]), int(ks[best_j - 1]))
    return windows


def creation_windows(seed: np.ndarray, fx: FollowIndex, reg_windows: list[tuple[int, int]] = (),
                     min_share: float = 0.1, width: int = 2 * DAY, most: int = 3) -> list[tuple[int, int]]:
    """Spans (at most `width`) in which at least max(5, min_share) of the seed registered, plus detected
    registration batches holding as many; disjoint, at most `most` of them, largest first."""
    need = max(5, int(np.ceil(min_share * seed.size)))
    c = np.sort(fx.created[seed])
    spans: list[tuple[int, int, int]] = []
    for lo, hi in reg_windows:
        k = int(np.searchsorted(c, hi, "right") - np.searchsorted(c, lo, "left"))
        if k >= need:
            spans.append((k, int(lo), int(hi)))
    taken = np.zeros(c.size, bool)
    for lo, hi in ((s[1], s[2]) for s in spans):
        taken[(c >= lo) & (c <= hi)] = True
    free = c[~taken]
    while free.size >= need and len(spans) < most:
        j = np.searchsorted(free, free + width, "right")
        i = int(np.argmax(j - np.arange(free.size)))
        if j[i] - i < need:
            break
        lo, hi = int(free[i]), int(free[j[i] - 1])
        spans.append((int(j[i] - i), lo, hi))
        free = np.concatenate([free[:i], free[j[i]:]])
    spans.sort(key=lambda s: -s[0])
    out: list[tuple[int, int]] = []
    for _, lo, hi in spans:
        if all(hi < a or lo > b for a, b in out):
            out.append((lo, hi))
        if len(out) >= most:
            break
    return sorted(out)


def _pattern_table(k: int) -> np.ndarray:
    """All 2^k window patterns as a (2^k, k) boolean matrix."""
    ids = np.arange(1 << k, dtype=np.int64)
    return ((ids[:, None] >> np.arange(k)) & 1).astype(bool)


def chance_threshold(logp_f: np.ndarray, logp_c: np.ndarray, deg_values: np.ndarray, deg_counts: np.ndarray,
                     tolerated: float) -> float:
    """Smallest evidence threshold that fewer than `tolerated` accounts reach by chance.

    logp_f: (n_degrees, k_f) log-probabilities of landing in each follow window per out-degree;
    logp_c: (k_c,) of landing in each creation window (at most one: they are disjoint).
    Counted patterns: at least one follow window and at least two windows in all.
    """
    kf, kc = logp_f.shape[1], logp_c.size
    pats = _pattern_table(kf)
    n_f = pats.sum(1)
    # creation options: none, or exactly one of the kc windows
    c_lp_in = np.r_[0.0, logp_c]  # log P(in that creation window)
    p_c = np.exp(logp_c)
    c_lp_none = np.log1p(-min(p_c.sum(), 1 - 1e-12)) if kc else 0.0
    c_evid = np.r_[0.0, -logp_c]
    c_n = np.r_[0, np.ones(kc, np.int64)]
    c_logprob = np.r_[c_lp_none, c_lp_in[1:]]
    evid_all, prob_all = [], []
    for di in range(deg_values.size):
        lp = logp_f[di]
        l1m = np.log1p(-np.minimum(np.exp(lp), 1 - 1e-12))
        pat_logprob = pats @ lp + (~pats) @ l1m
        pat_evid = -(pats @ lp)
        ev = pat_evid[:, None] + c_evid[None, :]
        lpb = pat_logprob[:, None] + c_logprob[None, :]
        ok = (n_f[:, None] >= 1) & ((n_f[:, None] + c_n[None, :]) >= 2)
        evid_all.append(ev[ok])
        prob_all.append(np.exp(lpb[ok]) * deg_counts[di])
    ev = np.concatenate(evid_all)
    pr = np.concatenate(prob_all)
    order = np.argsort(-ev)
    cum = np.cumsum(pr[order])
    # the threshold is the evidence of the first pattern at which the expected count would exceed `tolerated`
    over = np.flatnonzero(cum > tolerated)
    if over.size == 0:
        return 0.0
    return float(ev[order][over[0]]) + 1e-9


def members_of(twindows: dict[int, tuple[int, int]], cwindows: list[tuple[int, int]], fx: FollowIndex,
               seed_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Members given the windows: accounts whose window pattern is improbable by chance (see the module doc)."""
    targets = sorted(twindows)
    parts = fx.windows([(t, *twindows[t]) for t in targets])
    if len(parts) > MAX_WINDOWS:
        keep = np.argsort([-p.size for p in parts], kind="stable")[:MAX_WINDOWS]
        targets = [targets[i] for i in sorted(keep)]
        parts = [parts[i] for i in sorted(keep)]
    cparts = [fx.registered(lo, hi) for lo, hi in cwindows]
    if not parts or len(parts) + len(cparts) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), 0.0
    e_total = max(fx.n_edges, 1)
    sizes = np.array([p.size for p in parts], np.float64)
    logp_c = np.log(np.maximum(np.array([p.size for p in cparts], np.float64), 1.0) / fx.n)
    cand = np.unique(np.concatenate(parts))
    deg = np.maximum(fx.out_deg[cand], 1).astype(np.float64)
    hit_f = np.column_stack([np.isin(cand, p) for p in parts])
    # an account registered inside a window (or just before it) may have followed the target while joining:
    # new users follow the platform's stars on their first days, so that window says nothing about it
    # (on the follow-time clock only: a rank's pseudo-time is pinned to its own followers' registrations)
    if fx.real_clock:
        los = np.array([twindows[t][0] for t in targets], np.int64)
        hit_f &= fx.created[cand][:, None] < (los - ONBOARDING)[None, :]
    # an account's evidence: it follows the target at all (configuration model) and, doing so, lands in the
    # window although its follows spread over its own life (a brand-new account following stars during
    # onboarding lands in any window covering its first weeks, and that is no evidence)
    indeg = np.array([fx.ptr[t + 1] - fx.ptr[t] for t in targets], np.float64)
    p_follow = -np.expm1(-deg[:, None] * indeg[None, :] / e_total)
    # (the window's length against the life's: its edges were drawn from these very follows, so an edge
    # cutting a short life is no evidence either)
    # and never below the window's share of the target's follower list (a pseudo-time window of a rank can be
    # zero seconds long and still hold a long stretch of the list)
    life = np.maximum(fx.life_end[cand] - fx.created[cand], DAY).astype(np.float64)
    span = np.array([max(twindows[t][1] - twindows[t][0], 3600) for t in targets], np.float64)
    share = np.clip(sizes / np.maximum(indeg, 1.0), 1e-12, 1.0)
    p_time = np.clip(np.maximum(span[None, :] / life[:, None], share[None, :]), 1e-12, 1.0)
    lp_f = np.log(np.clip(p_follow * p_time, 1e-300, 1.0))
    evid = -(hit_f * lp_f).sum(1)
    hits = hit_f.sum(1)
    for j, p in enumerate(cparts):
        inside = np.isin(cand, p)
        evid += inside * -logp_c[j]
        hits += inside
    # the chance model per out-degree (log-binned beyond 64 distinct values; the bin's largest degree, conservatively)
    dv, dc = np.unique(np.maximum(fx.out_deg, 1), return_counts=True)
    if dv.size > 64:
        bins = np.unique(np.round(np.logspace(0, np.log10(dv.max()), 48)).astype(np.int64))
        b = np.searchsorted(bins, dv, "left").clip(0, bins.size - 1)
        dv2 = bins[np.unique(b)]
        dc = np.bincount(b, weights=dc)[np.unique(b)]
        dv = np.maximum(dv2, 1)
    logp_fd = np.log(-np.expm1(-dv[:, None].astype(np.float64) * sizes[None, :] / e_total))
    tau = chance_threshold(logp_fd, logp_c, dv, dc, max(0.5, 0.01 * seed_size))
    keep = (hit_f.any(1)) & (hits >= 2) & (evid >= tau)
    return cand[keep], hits[keep], evid[keep], tau


def refine_many(seeds: list[np.ndarray], fx: FollowIndex, reg_windows: list[tuple[int, int]] = (), rounds: int = 2,
                min_members: int = 5) -> list[Group | None]:
    """Each seed refined on its own (the group it ends in, or None), all seeds a round at a time: a round's follow
    lookups are prefetched together, so an engine-backed index answers a round with two queries, not two per seed."""
    members = list(seeds)
    out: list[Group | None] = [None] * len(members)
    active = list(range(len(members)))
    for _ in range(rounds):
        if not active:
            break
        fx.prefetch_out(np.concatenate([members[i] for i in active]))
        tws = {i: discover_targets(members[i], fx) for i in active}
        cws = {i: creation_windows(members[i], fx, reg_windows) for i in active}
        active = [i for i in active if tws[i] and len(tws[i]) + len(cws[i]) >= 2]
        fx.prefetch_windows([(t, lo, hi) for i in active for t, (lo, hi) in tws[i].items()])
        still = []
        for i in active:
            tw, cw = tws[i], cws[i]
            new, hits, evid, tau = members_of(tw, cw, fx, members[i].size)
            if new.size < min_members:
                continue
            out[i] = Group(members=new, targets=np.array(sorted(tw), np.int64), windows={}, twindows=tw,
                           method="events", creation_windows=cw, hits=hits, evidence_bits=evid, threshold=tau)
            if not np.array_equal(new, members[i]):
                members[i] = new
                still.append(i)
        active = still
    return out


def discover(events: list[Event], fx: FollowIndex, reg_windows: list[tuple[int, int]], n_accounts: int) -> list[Group]:
    """Lockstep groups from candidate events (steps 2 and 3); `twindows` set, `windows` (key units) left to the caller."""
    r, q, m = significant_pairs(events, n_accounts, out_deg=fx.out_deg)
    groups = [g for g in refine_many(seeds_from_pairs(r, q, m), fx, reg_windows) if g is not None]
    return merge_overlapping(groups, fx, reg_windows)


def merge_overlapping(groups: list[Group], fx: FollowIndex | None = None, reg_windows=(),
                      min_overlap: float = 0.5) -> list[Group]:
    """Merge groups whose member sets overlap by half of the smaller (one farm seen from two sides)."""
    if len(groups) < 2:
        return groups
    n = len(groups)
    rows = np.repeat(np.arange(n), [g.members.size for g in groups])
    cols = np.concatenate([g.members for g in groups])
    mat = sp.csr_matrix((np.ones(cols.size, np.float64), (rows, cols)), shape=(n, int(cols.max()) + 1))
    ov = (mat @ mat.T).tocoo()
    sizes = np.array([g.members.size for g in groups])
    ok = (ov.row != ov.col) & (ov.data >= min_overlap * np.minimum(sizes[ov.row], sizes[ov.col]))
    adj = sp.csr_matrix((np.ones(ok.sum(), np.int8), (ov.row[ok], ov.col[ok])), shape=(n, n))
    _, lab = connected_components(adj, directed=False)
    comps = [np.flatnonzero(lab == comp) for comp in np.unique(lab)]
    joint = [np.unique(np.concatenate([groups[i].members for i in idx])) for idx in comps if idx.size > 1]
    refined = iter(zip(joint, refine_many(joint, fx, reg_windows, rounds=1) if fx is not None else [None] * len(joint)))
    out = []
    for idx in comps:
        if idx.size == 1:
            out.append(groups[idx[0]])
            continue
        parts = [groups[i] for i in idx]
        members, merged = next(refined)
        if merged is None:
            windows: dict[int, tuple[int, int]] = {}
            twindows: dict[int, tuple[int, int]] = {}
            for g in parts:
                for src, dst in ((g.windows, windows), (g.twindows, twindows)):
                    for t, (lo, hi) in src.items():
                        a, b = dst.get(t, (lo, hi))
                        dst[t] = (min(a, lo), max(b, hi))
            merged = Group(members=members, targets=np.array(sorted(set(windows) | set(twindows)), np.int64),
                           windows=windows, twindows=twindows, method=parts[0].method,
                           creation_windows=sorted({w for g in parts for w in g.creation_windows}))
        methods = [m for g in parts for m in g.method.split("+")] + merged.method.split("+")
        merged.method = "+".join(sorted(set(methods), key=["events", "fraudar"].index))
        out.append(merged)
    return out


def sigmoid(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-x)))


#: log-odds weights of the group score (documented in docs/fakefans.md)
GROUP_WEIGHTS = {"windows": 1.5, "creation_clustering": 2.0, "purity": 3.0, "size": 0.5, "members_followers": -1.5}
GROUP_BIAS = -4.0


def group_signals(g: Group) -> dict[str, float]:
    """Log-odds contributions: windows shared beyond two (two can be an organic coincidence, e.g. fans of a star
    following its fan club as it opens), counted in full only where the members make up at least a tenth of the
    window's new followers (a dozen heavy users inside a month of a star's arrivals is no delivery), registration
    clustering, how much of each window the members make up,
    size, and the members' own standing: fans who migrate together to a comeback account or a fan club have
    followers of their own (mean log(1 + followers) above 0.5 counts against), bought accounts rarely do."""
    return {"windows": GROUP_WEIGHTS["windows"] * (min(g.n_windows, 6) - 2) * min(1.0, g.purity / 0.1),
            "creation_clustering": GROUP_WEIGHTS["creation_clustering"] * g.creation,
            "purity": GROUP_WEIGHTS["purity"] * g.purity,
            "size": GROUP_WEIGHTS["size"] * min(float(np.log(max(g.size, 1))), 4.5),
            "members_followers": GROUP_WEIGHTS["members_followers"] * max(0.0, g.standing - 0.5),
            "bias": GROUP_BIAS}


def group_score(g: Group) -> float:
    """How sure we are that a group is a farm (weights set by hand on the development seed; see docs/fakefans.md).

    Density alone (an organic core) cannot reach 0.5: synchronised windows are required to be a group at all.
    """
    return sigmoid(sum(group_signals(g).values()))
