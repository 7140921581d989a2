"""The fake-fan detectors a scan runs: fake_account, follower_burst, lockstep_group, engagement_fraud.

They share one analysis per scan (detect/fakefans/analysis.py), cached in the
context, so the lake is read once. Each returns findings with evidence a reviewer
can read: the signals and how much each weighed.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pyarrow as pa

from qinglang.detect.base import DetectContext, Detector
from qinglang.detect.fakefans import lockstep as L
from qinglang.detect.fakefans.features import FEATURES
from qinglang.domain.findings import MIN_EXPORT_SCORE, conform, group_id
from qinglang.domain.vocab import Category

CACHE_KEY = "fakefans.analysis"


def _settings(ctx: DetectContext) -> dict:
    return ctx.settings.section("fakefans")


def analysis(ctx: DetectContext):
    a = ctx.extra.get(CACHE_KEY)
    if a is None:
        from qinglang.detect.fakefans.analysis import analyse

        cfg = _settings(ctx)
        a = analyse(ctx.engine, ctx.workspace, fraudar_k=int(cfg.get("fraudar_blocks", 3)), progress=ctx.progress,
                    options=cfg)
        ctx.extra[CACHE_KEY] = a
    return a


def iso(t: int) -> str:
    return dt.datetime.fromtimestamp(int(t), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def window_repr(basis: str, lo: int, hi: int) -> dict:
    if basis == "time":
        return {"basis": "time", "start": iso(lo), "end": iso(max(lo, hi - 1))}
    return {"basis": "rank", "start": int(lo), "end": int(max(lo, hi - 1))}


def _table(kind, subject, score, category, evidence, account) -> pa.Table:
    return conform(pa.table({
        "kind": pa.array([kind] * len(subject), pa.string()),
        "subject_id": pa.array(subject, pa.string()),
        "related_id": pa.array([""] * len(subject), pa.string()),
        "score": pa.array(np.asarray(score, np.float64)),
        "category": pa.array([category] * len(subject), pa.string()),
        "evidence": pa.array(evidence, pa.string()),
        "account_id": pa.array(account, pa.string()),
    }))


def lockstep_id(a, g) -> str:
    return group_id(a.acc.ids.take(pa.array(g.members)).to_pylist())


# --- fake_account -----------------------------------------------------------

def run_fake_account(ctx: DetectContext) -> pa.Table:
    a = analysis(ctx)
    cand = a.candidates
    if cand.size == 0:
        return _table("fake_account", [], [], Category.FAKE_FANS, [], [])
    p = a.scores[cand]
    keep = p >= MIN_EXPORT_SCORE
    rows = np.flatnonzero(keep)
    ids = a.acc.ids.take(pa.array(cand[rows])).to_pylist()
    C = a.contributions[rows]
    desc = a.model.describe()
    group_ids = {}
    evidence = []
    for r, i in zip(rows.tolist(), cand[rows].tolist()):
        c = a.contributions[r]
        top = np.argsort(-np.abs(c))[:6]
        signals = {FEATURES[j]: {"value": round(float(a.feats[FEATURES[j]][i]), 4), "weight": round(float(c[j]), 3)}
                   for j in top if abs(c[j]) >= 0.01}
        ev = {"model": desc["model"], "signals": signals}
        gi = int(a.member_group[i])
        if gi >= 0:
            if gi not in group_ids:
                group_ids[gi] = lockstep_id(a, a.groups[gi])
            ev["lockstep_group"] = group_ids[gi]
        if a.reg_batch[i] >= 0:
            b = int(a.reg_batch[i])
            ev["registration_batch"] = {"start": iso(a.reg_windows.start[b]), "end": iso(a.reg_windows.end[b])}
        evidence.append(json.dumps(ev, ensure_ascii=False, sort_keys=True))
    del C
    return _table("fake_account", ids, p[rows], Category.FAKE_FANS, evidence, ids)


# --- follower_burst ---------------------------------------------------------

def run_follower_burst(ctx: DetectContext) -> pa.Table:
    a = analysis(ctx)
    subj, score, evid = [], [], []
    per_target: dict[int, list] = {}
    for b in a.bursts:
        if b.score < MIN_EXPORT_SCORE:
            continue
        per_target.setdefault(b.target, []).append(b)
    for t, bs in per_target.items():
        # one finding per followed account (the contract's key); its windows listed, strongest first
        bs.sort(key=lambda b: -b.score)
        top = bs[0]
        windows = []
        for b in bs:
            w = window_repr(b.basis, b.lo, b.hi)
            w.update({"followers": int(b.followers.size), "score": round(b.score, 4), **b.evidence})
            if b.group >= 0:
                w["lockstep_group"] = lockstep_id(a, a.groups[b.group])
            windows.append(w)
        ev = dict(windows[0])
        ev["windows"] = windows
        ev["bursts"] = len(windows)
        subj.append(a.acc.ids[t].as_py())
        score.append(top.score)
        evid.append(json.dumps(ev, ensure_ascii=False, sort_keys=True))
    return _table("follower_burst", subj, score, Category.FAKE_FANS, evid, subj)


# --- lockstep_group ---------------------------------------------------------

def run_lockstep_group(ctx: DetectContext) -> pa.Table:
    a = analysis(ctx)
    subj, score, evid, acct = [], [], [], []
    for g in a.groups:
        if g.score < MIN_EXPORT_SCORE:
            continue
        members = a.acc.ids.take(pa.array(g.members)).to_pylist()
        targets = a.acc.ids.take(pa.array(g.targets)).to_pylist()
        win = {a.acc.ids[t].as_py(): window_repr(a.basis, lo, hi) for t, (lo, hi) in g.windows.items()}
        los = [lo for lo, _ in g.windows.values()]
        his = [hi for _, hi in g.windows.values()]
        ev = {
            "members": sorted(members), "targets": sorted(targets), "size": g.size, "method": g.method,
            "windows_shared": g.n_windows, "purity": round(g.purity, 4),
            "density": round(g.density, 4), "background_density": round(g.background_density, 4),
            "fill": round(g.fill, 4), "synchrony": round(g.sync, 4), "creation_clustering": round(g.creation, 4),
            "creation_iqr_days": round(g.creation_span_days, 2), "members_mean_log_followers": round(g.standing, 3),
            "target_windows": win,
            "creation_windows": [{"start": iso(lo), "end": iso(hi)} for lo, hi in g.creation_windows],
            "signals": {k: round(v, 3) for k, v in L.group_signals(g).items()},
        }
        if g.evidence_bits is not None:
            ev["membership_threshold_nats"] = round(g.threshold, 2)
        if los:
            ev["window"] = window_repr(a.basis, min(los), max(his))
        gid = group_id(members)
        subj.append(gid)
        score.append(g.score)
        evid.append(json.dumps(ev, ensure_ascii=False, sort_keys=True))
        acct.append(targets[0] if targets else None)
    return _table("lockstep_group", subj, score, Category.FAKE_FANS, evid, acct)


# --- engagement_fraud -------------------------------------------------------

def run_engagement_fraud(ctx: DetectContext) -> pa.Table:
    from qinglang.detect.fakefans.engagement import post_scores
    from qinglang.detect.fakefans.engagement_data import gather

    a = analysis(ctx)
    fake = np.nan_to_num(a.scores, nan=0.0) >= 0.5
    c = gather(ctx.engine, a.acc.ids.filter(pa.array(fake)))  # only posts fake actors touched can reach 0.05
    if c.num_rows == 0:
        return _table("engagement_fraud", [], [], Category.VULGAR_MARKETING, [], [])
    col = lambda name, dt: np.asarray(c.column(name).to_numpy(), dt)  # noqa: E731
    r = post_scores(col("total", np.int64), col("n_fake", np.int64), col("peak", np.int64),
                    col("peak_start", np.int64), col("baseline", np.float64))
    keep = np.flatnonzero(r["score"] >= MIN_EXPORT_SCORE)
    post_ids = c.column("post_id").take(pa.array(keep)).to_pylist()
    authors = c.column("author").take(pa.array(keep)).to_pylist()
    evid = []
    for k, j in enumerate(keep.tolist()):
        ev = {"author": authors[k], "interactions": int(r["total"][j]), "fake_actor_interactions": int(r["fake_actors"][j]),
              "peak_in_window": int(r["peak"][j]), "window_hours": 3,
              "share_in_window": round(float(r["share_in_window"][j]), 4),
              "author_baseline": round(float(r["author_baseline"][j]), 2),
              "signals": {"peak_in_window": round(2.0 * float(np.log1p(r["peak"][j])), 3),
                          "share_in_window": round(3.0 * float(r["share_in_window"][j]), 3),
                          "above_baseline": round(0.3 * float(np.clip(r["excess_log"][j], 0, 5)), 3), "bias": -5.0}}
        if r["peak"][j] > 0:
            ev["window"] = {"start": iso(r["peak_start"][j]), "end": iso(r["peak_start"][j] + 3 * 3600)}
        evid.append(json.dumps(ev, ensure_ascii=False, sort_keys=True))
    return _table("engagement_fraud", post_ids, r["score"][keep], Category.VULGAR_MARKETING, evid, authors)


DETECTORS = [
    Detector("fake_account", "fakefans", run_fake_account, needs=("accounts", "follows")),
    Detector("follower_burst", "fakefans", run_follower_burst, needs=("accounts", "follows")),
    Detector("lockstep_group", "fakefans", run_lockstep_group, needs=("accounts", "follows")),
    Detector("engagement_fraud", "fakefans", run_engagement_fraud, needs=("accounts", "follows", "posts", "interactions")),
]


def fake_followers(app, account_id: str, threshold: float = 0.5) -> list[dict]:
    """Followers of an account judged fake (score >= threshold) in the latest findings: the clean-up list.

    Returns [{account_id, score}] sorted by score (highest first). Reads the lake's follows
    of that account and the fake_account findings; no detector runs.
    """
    import pyarrow.compute as pc

    from qinglang.lake.validate import lit

    findings = app.findings.read(["fake_account"])
    if findings.num_rows == 0:
        return []
    eng = app.engine()
    try:
        fol = eng.sql(f"SELECT follower_id FROM follows WHERE followee_id = {lit(account_id)}").column(0)
    finally:
        eng.close()
    f = findings.filter(pc.and_(pc.is_in(findings["subject_id"], value_set=fol.combine_chunks()),
                                pc.greater_equal(findings["score"], threshold)))
    f = f.sort_by([("score", "descending"), ("subject_id", "ascending")])
    return [{"account_id": s, "score": round(v, 4)} for s, v in zip(f["subject_id"].to_pylist(), f["score"].to_pylist())]
