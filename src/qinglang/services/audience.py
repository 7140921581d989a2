"""`qinglang audience ACCOUNT_ID`: the audience audit a brand or a reviewer reads.

Fake scores of the account's followers come from the last scan's fake_account findings
(calibrated probabilities; where a follower has none, it scored below 0.05 and counts as
MISSING_SCORE). Without a scan,
the followers are scored now with the same model and the signals that need no farm
search (profile, activity, registration batches, bursts). Accounts with more than
`sample` followers are audited on a uniform random sample (fixed seed).

fake_share_ci: a 95% normal interval whose variance adds (1) the Bernoulli variance of
the per-follower probabilities, (2) the sampling variance when sampled, and (3) a model
calibration term (5% of the estimate plus 0.5 points), so the interval reflects how far
the model's probabilities may be from the truth, not only counting noise.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from typing import Any

import numpy as np
import pyarrow.compute as pc

from qinglang.errors import NotFound, QinglangError

COMPONENT_WEIGHTS = {"real_followers": 0.5, "organic_growth": 0.2, "no_lockstep": 0.15, "active_followers": 0.15}
#: a follower without a fake_account finding scored below 0.05: it counts as the mean calibrated score of such
#: accounts on the development platform (simulator seed 7: 0.0006; docs/fakefans.md)
MISSING_SCORE = 0.001


def _iso(t: int) -> str:
    return dt.datetime.fromtimestamp(int(t), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def audit(app, account_id: str, sample: int = 200_000, seed: int = 7) -> dict[str, Any]:
    from qinglang.lake.validate import lit

    eng = app.engine()
    try:
        acc = eng.sql(f"SELECT account_id, nickname, CAST(epoch(created_at) AS BIGINT) AS created FROM accounts "
                      f"WHERE account_id = {lit(account_id)}").to_pylist()
        if not acc:
            raise NotFound(f"no account {account_id!r} in the workspace (check the id with `qinglang accounts`)")
        if "follows" not in eng.tables():
            raise QinglangError(f"account {account_id} has no followers: the workspace has no follows table")
        fol = eng.sql(
            f"SELECT f.follower_id, CAST(epoch(f.followed_at) AS BIGINT) AS t, f.follow_rank AS r, "
            f"CAST(epoch(a.created_at) AS BIGINT) AS c, CAST(epoch(a.last_active_at) AS BIGINT) AS la "
            f"FROM follows f JOIN accounts a ON a.account_id = f.follower_id "
            f"WHERE f.followee_id = {lit(account_id)}")
        snap = eng.sql("SELECT CAST(epoch(max(last_active_at)) AS BIGINT) FROM accounts").column(0)[0].as_py() or 0
    finally:
        eng.close()
    n = fol.num_rows
    if n == 0:
        raise QinglangError(f"account {account_id} has no followers in the workspace: nothing to audit")
    followers = fol.column("follower_id").combine_chunks()
    t = np.asarray(pc.fill_null(fol.column("t"), -1).to_numpy(), np.int64)
    r = np.asarray(pc.fill_null(fol.column("r"), -1).to_numpy(), np.int64)
    created = np.asarray(pc.fill_null(fol.column("c"), 0).to_numpy(), np.int64)
    last_active = np.asarray(pc.fill_null(fol.column("la"), -1).to_numpy(), np.int64)
    basis = "time" if (t >= 0).mean() >= 0.9 else ("rank" if (r >= 0).mean() >= 0.9 else "none")

    # scores: findings of the last scan
    findings = app.findings.read(["fake_account"])
    scanned = findings.num_rows > 0
    p = np.full(n, MISSING_SCORE)
    if scanned:
        idx = pc.index_in(followers, value_set=findings["subject_id"].combine_chunks())
        m = np.asarray(pc.fill_null(idx, -1).to_numpy(), np.int64)
        sc = findings["score"].to_numpy()
        p = np.where(m >= 0, sc[np.maximum(m, 0)], MISSING_SCORE)
    sampled = n > sample
    sel = np.arange(n)
    if sampled:
        sel = np.sort(np.random.default_rng(seed).choice(n, sample, replace=False))
    ps = p[sel]
    k = ps.size
    share = float(ps.mean())
    var = float((ps * (1 - ps)).sum()) / k ** 2
    if sampled:
        var += float(ps.var(ddof=1)) / k * (1 - k / n)
    var += (0.05 * share + 0.005) ** 2
    half = 1.96 * math.sqrt(var)
    ci = [max(0.0, share - half), min(1.0, share + half)]

    # bursts and lockstep groups touching the account
    bursts, groups = _burst_and_groups(app, account_id, followers)
    in_burst = 0
    if bursts:
        key = t if basis == "time" else r
        for b in bursts:
            lo, hi = _window_keys(b, basis)
            if lo is not None:
                in_burst += int(((key >= lo) & (key <= hi)).sum())
    lock_members = set()
    for g in groups:
        lock_members.update(g.get("members", []))
    in_lock = int(pc.sum(pc.is_in(followers, value_set=_arr(sorted(lock_members)))).as_py() or 0) if lock_members else 0
    active = float(((last_active >= 0) & (snap - last_active < 90 * 86_400)).mean())
    comps = {
        "real_followers": round(1.0 - share, 4),
        "organic_growth": round(1.0 - min(1.0, in_burst / n * (1.0 if bursts else 0.0)), 4),
        "no_lockstep": round(1.0 - in_lock / n, 4),
        "active_followers": round(active, 4),
    }
    quality = 100.0 * sum(COMPONENT_WEIGHTS[c] * v for c, v in comps.items()) / sum(COMPONENT_WEIGHTS.values())

    # top evidence: the most confident fake followers
    top_i = np.argsort(-p)[:20]
    fo = followers.to_pylist() if n <= 50_000 else None
    top = [{"account_id": (fo[i] if fo else followers[int(i)].as_py()), "score": round(float(p[i]), 4)}
           for i in top_i if p[i] >= 0.5]
    growth = _growth(t if basis == "time" else r, basis)
    hist = np.histogram(ps, bins=20, range=(0, 1))[0].tolist()
    scatter = _scatter(created, t if basis == "time" else r, basis, p)
    return {
        "account_id": account_id, "nickname": acc[0]["nickname"], "followers": n,
        "audited": k, "sampled": sampled, "basis": basis, "scanned": scanned,
        "fake_share": round(share, 4), "fake_share_ci": [round(ci[0], 4), round(ci[1], 4)],
        "fake_followers_estimate": int(round(share * n)),
        "quality_score": round(quality, 1), "components": comps, "component_weights": COMPONENT_WEIGHTS,
        "bursts": bursts, "lockstep_groups": [{k2: v for k2, v in g.items() if k2 != "members"} | {"members_following": len(set(g.get("members", [])))}
                                              for g in groups],
        "top_evidence": top, "growth": growth, "score_histogram": hist, "scatter": scatter,
        "note": None if scanned else "no scan yet: run `qinglang scan --only fakefans` for fake scores 尚未扫描",
    }


def fake_followers(app, account_id: str, threshold: float = 0.5) -> list[str]:
    """The clean-up list governance acts on: ids of the account's followers whose latest fake_account finding
    scores at least `threshold`, most certain first (see detect.fakefans.detectors.fake_followers for scores)."""
    from qinglang.detect.fakefans.detectors import fake_followers as scored

    return [x["account_id"] for x in scored(app, account_id, threshold)]


def _arr(values):
    import pyarrow as pa

    return pa.array(values, pa.string())


def _window_keys(b: dict, basis: str):
    if b.get("basis") != basis:
        return None, None
    if basis == "time":
        f = lambda s: int(dt.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp())  # noqa: E731
        return f(b["start"]), f(b["end"])
    return int(b["start"]), int(b["end"])


def _burst_and_groups(app, account_id: str, followers) -> tuple[list[dict], list[dict]]:
    f = app.findings.read(["follower_burst", "lockstep_group"])
    bursts: list[dict] = []
    groups: list[dict] = []
    if f.num_rows == 0:
        return bursts, groups
    fb = f.filter(pc.and_(pc.equal(f["kind"], "follower_burst"), pc.equal(f["subject_id"], account_id)))
    for ev in fb["evidence"].to_pylist():
        e = json.loads(ev)
        for w in e.get("windows", [e]):
            bursts.append({k: w[k] for k in ("basis", "start", "end", "followers", "score", "fake_share",
                                             "lockstep_group") if k in w})
    lg = f.filter(pc.equal(f["kind"], "lockstep_group"))
    for gid, sc, ev in zip(lg["subject_id"].to_pylist(), lg["score"].to_pylist(), lg["evidence"].to_pylist()):
        e = json.loads(ev)
        if account_id in e.get("targets", []):
            groups.append({"group_id": gid, "score": round(sc, 4), "size": e.get("size"), "synchrony": e.get("synchrony"),
                           "creation_clustering": e.get("creation_clustering"), "window": e.get("target_windows", {}).get(account_id),
                           "members": e.get("members", [])})
    bursts.sort(key=lambda b: str(b.get("start")))
    return bursts, groups


def _growth(key: np.ndarray, basis: str, points: int = 120) -> list[list]:
    """Cumulative followers over time (or rank), at most `points` points."""
    if basis == "none":
        return []
    k = np.sort(key[key >= 0])
    if k.size == 0:
        return []
    qs = np.linspace(0, k.size - 1, min(points, k.size)).astype(np.int64)
    if basis == "time":
        return [[_iso(k[i]), int(i + 1)] for i in qs]
    return [[int(k[i]), int(i + 1)] for i in qs]


def _scatter(created: np.ndarray, key: np.ndarray, basis: str, p: np.ndarray, points: int = 3000) -> list[list]:
    """[follow order (rank or time), follower creation time, fake score] for a sample of followers."""
    n = created.size
    idx = np.arange(n) if n <= points else np.sort(np.random.default_rng(1).choice(n, points, replace=False))
    if basis == "none":
        order = np.arange(n)
    else:
        order = np.argsort(np.argsort(key, kind="stable"), kind="stable") + 1  # follow order 1..n
    return [[int(order[i]), int(created[i]), round(float(p[i]), 3)] for i in idx]


# --- HTML report ----------------------------------------------------------------

def _svg_line(points: list[tuple[float, float]], w=640, h=220, marks=(), label_x="", label_y="") -> str:
    if not points:
        return "<p>No follow times or ranks in the data. 无关注时间数据。</p>"
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x0, x1, y1 = min(xs), max(xs) or 1, max(ys) or 1
    sx = lambda x: 40 + (x - x0) / max(x1 - x0, 1e-9) * (w - 50)  # noqa: E731
    sy = lambda y: h - 30 - y / y1 * (h - 40)  # noqa: E731
    path = " ".join(f"{'M' if i == 0 else 'L'}{sx(x):.1f},{sy(y):.1f}" for i, (x, y) in enumerate(points))
    rects = "".join(f'<rect class="burst" x="{sx(a):.1f}" y="10" width="{max(2.0, sx(b) - sx(a)):.1f}" height="{h - 40}" />'
                    for a, b in marks)
    return (f'<svg class="chart" role="img" viewBox="0 0 {w} {h}" width="{w}" height="{h}">{rects}'
            f'<path d="{path}" fill="none" stroke="#2563eb" stroke-width="2"/>'
            f'<line x1="40" y1="{h - 30}" x2="{w - 10}" y2="{h - 30}" stroke="#999"/>'
            f'<line x1="40" y1="10" x2="40" y2="{h - 30}" stroke="#999"/>'
            f'<text x="{w / 2}" y="{h - 8}" text-anchor="middle">{html.escape(label_x)}</text>'
            f'<text x="12" y="{h / 2}" transform="rotate(-90 12 {h / 2})" text-anchor="middle">{html.escape(label_y)}</text></svg>')


def _svg_hist(counts: list[int], w=640, h=200) -> str:
    m = max(counts) or 1
    bw = (w - 50) / len(counts)
    bars = "".join(
        f'<rect x="{40 + i * bw:.1f}" y="{h - 30 - c / m * (h - 40):.1f}" width="{bw - 2:.1f}" height="{c / m * (h - 40):.1f}" '
        f'fill="{"#dc2626" if i >= len(counts) / 2 else "#16a34a"}"><title>{i / len(counts):.2f}-{(i + 1) / len(counts):.2f}: {c}</title></rect>'
        for i, c in enumerate(counts))
    return (f'<svg class="chart" role="img" viewBox="0 0 {w} {h}" width="{w}" height="{h}">{bars}'
            f'<text x="40" y="{h - 10}">0</text><text x="{w - 20}" y="{h - 10}">1</text>'
            f'<text x="{w / 2}" y="{h - 10}" text-anchor="middle">fake probability 虚假概率</text></svg>')


def _svg_scatter(pts: list[list], w=640, h=260) -> str:
    if not pts:
        return ""
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    sx = lambda x: 40 + (x - x0) / max(x1 - x0, 1) * (w - 50)  # noqa: E731
    sy = lambda y: h - 30 - (y - y0) / max(y1 - y0, 1) * (h - 40)  # noqa: E731
    dots = "".join(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="1.6" fill="{"#dc2626" if s >= 0.5 else "#2563eb"}"/>'
                   for x, y, s in pts)
    return (f'<svg class="chart" role="img" viewBox="0 0 {w} {h}" width="{w}" height="{h}">{dots}'
            f'<text x="{w / 2}" y="{h - 8}" text-anchor="middle">follow order 关注顺序</text>'
            f'<text x="12" y="{h / 2}" transform="rotate(-90 12 {h / 2})" text-anchor="middle">follower registered 注册时间</text></svg>')


def render_html(rep: dict[str, Any]) -> str:
    e = html.escape
    basis = rep["basis"]
    if basis == "time":
        pts = [(dt.datetime.fromisoformat(x.replace("Z", "+00:00")).timestamp(), y) for x, y in rep["growth"]]
        conv = lambda s: dt.datetime.fromisoformat(str(s).replace("Z", "+00:00")).timestamp()  # noqa: E731
    else:
        pts = [(float(x), y) for x, y in rep["growth"]]
        conv = float
    marks = [(conv(b["start"]), conv(b["end"])) for b in rep["bursts"] if b.get("basis") == basis and b.get("score", 0) >= 0.5]
    comp_rows = "".join(f"<tr><td>{e(k)}</td><td>{v:.3f}</td><td>{rep['component_weights'][k]}</td></tr>"
                        for k, v in rep["components"].items())
    burst_rows = "".join(f"<tr><td>{e(str(b.get('start')))}</td><td>{e(str(b.get('end')))}</td><td>{b.get('followers')}</td>"
                         f"<td>{b.get('fake_share', '')}</td><td>{b.get('score')}</td></tr>" for b in rep["bursts"])
    group_rows = "".join(f"<tr><td>{e(g['group_id'])}</td><td>{g.get('size')}</td><td>{g.get('synchrony')}</td>"
                         f"<td>{g.get('creation_clustering')}</td><td>{g.get('score')}</td></tr>" for g in rep["lockstep_groups"])
    top_rows = "".join(f"<tr><td>{e(t['account_id'])}</td><td>{t['score']}</td></tr>" for t in rep["top_evidence"])
    lo, hi = rep["fake_share_ci"]
    note = f"<p class='note'>{e(rep['note'])}</p>" if rep.get("note") else ""
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Audience audit 粉丝审计 — {e(rep['account_id'])}</title>
<style>
body{{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:2rem;color:#111;max-width:760px}}
h1{{font-size:1.4rem}} h2{{font-size:1.1rem;margin-top:2rem}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ddd;padding:4px 8px;font-size:.9rem}} .kpi{{display:flex;gap:2rem}}
.kpi div{{background:#f3f4f6;padding:.8rem 1rem;border-radius:6px}} .kpi b{{font-size:1.4rem;display:block}}
.burst{{fill:#fca5a5;opacity:.5}} .chart text{{font-size:11px;fill:#555}} .note{{color:#b45309}}
</style></head><body>
<h1>Audience audit 粉丝质量审计: {e(str(rep.get('nickname') or ''))} ({e(rep['account_id'])})</h1>
{note}
<div class="kpi"><div>Followers 粉丝<b>{rep['followers']:,}</b></div>
<div>Fake share 虚假粉丝占比<b>{rep['fake_share'] * 100:.1f}%</b>95% CI {lo * 100:.1f}%–{hi * 100:.1f}%</div>
<div>Quality score 质量分<b>{rep['quality_score']:.0f}/100</b></div></div>
<p>Audited {rep['audited']:,} followers{' (uniform sample 随机抽样)' if rep['sampled'] else ''}; follow order basis: {e(basis)}.</p>
<h2>Follower growth 粉丝增长曲线 (bursts shaded 突增已标出)</h2>
{_svg_line(pts, marks=marks, label_x='time 时间' if basis == 'time' else 'follow rank 关注排名', label_y='followers 粉丝数')}
<h2>Fake-score distribution 虚假概率分布</h2>
{_svg_hist(rep['score_histogram'])}
<h2>Registration date vs follow order 注册时间与关注顺序</h2>
{_svg_scatter(rep['scatter'])}
<h2>Quality components 质量分构成</h2>
<table><tr><th>component</th><th>value</th><th>weight</th></tr>{comp_rows}</table>
<h2>Follower bursts 粉丝突增</h2>
<table><tr><th>start</th><th>end</th><th>followers</th><th>fake share</th><th>score</th></tr>{burst_rows}</table>
<h2>Lockstep groups 同步关注团伙</h2>
<table><tr><th>group</th><th>size</th><th>synchrony</th><th>creation clustering</th><th>score</th></tr>{group_rows}</table>
<h2>Top evidence 主要证据 (most likely fake followers)</h2>
<table><tr><th>follower</th><th>fake probability</th></tr>{top_rows}</table>
</body></html>
"""


def write_html(rep: dict[str, Any], path) -> None:
    import os
    import uuid
    from pathlib import Path

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(render_html(rep), encoding="utf-8")
    os.replace(tmp, path)
