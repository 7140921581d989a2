"""What a reviewer looks at: a case's evidence side by side, and a head account's dossier.

Read-only assembly of what detectors found (findings attached to the case), what the lake
holds (posts, profiles, identities, follows) and what governance recorded (standing,
sanctions, appeals, complaints). It computes no signal: scores, spans, waterfalls and
audience figures come from the detectors' findings and the audience service.

Identity values never appear: for two accounts compared, each identity kind gives the
number of values each holds and how many they share (computed on the keyed hashes).
"""

from __future__ import annotations

from typing import Any, Iterable

from qinglang.errors import NotFound, QinglangError
from qinglang.services.governance import jsonable

PROFILE_COLUMNS = ("account_id", "nickname", "created_at", "bio", "avatar_hash", "verified", "status",
                   "followers_count", "following_count", "posts_count", "last_active_at")


def _lit_list(values: Iterable[str]) -> str:
    from qinglang.lake.validate import lit

    return ", ".join(lit(str(v)) for v in values)


def _has_lake(app) -> bool:
    return app.workspace.lake.exists()


def lake_accounts(app, account_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    ids = sorted({a for a in account_ids if a})
    if not ids or not _has_lake(app):
        return {}
    eng = app.engine()
    try:
        names = eng.tables()
        cols = set(eng.sql("SELECT * FROM accounts LIMIT 0").column_names)
        pick = [f"a.{c}" for c in PROFILE_COLUMNS if c in cols]
        tier = ", t.tier, t.followers AS tier_followers" if "tiers" in names else ""
        join = "LEFT JOIN tiers t ON t.account_id = a.account_id" if "tiers" in names else ""
        rows = eng.sql(f"SELECT {', '.join(pick)}{tier} FROM accounts a {join} "
                       f"WHERE a.account_id IN ({_lit_list(ids)})").to_pylist()
    finally:
        eng.close()
    return {r["account_id"]: jsonable(r) for r in rows}


def lake_posts(app, post_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    ids = sorted({p for p in post_ids if p})
    if not ids or not _has_lake(app):
        return {}
    eng = app.engine()
    try:
        if "posts" not in eng.tables():
            return {}
        cols = set(eng.sql("SELECT * FROM posts LIMIT 0").column_names)
        pick = [c for c in ("post_id", "account_id", "created_at", "text", "repost_of", "like_count", "repost_count",
                            "comment_count") if c in cols]
        rows = eng.sql(f"SELECT {', '.join(pick)} FROM posts WHERE post_id IN ({_lit_list(ids)})").to_pylist()
    finally:
        eng.close()
    return {r["post_id"]: jsonable(r) for r in rows}


def identity_comparison(app, a: str, b: str) -> list[dict[str, Any]]:
    """Per identity kind: how many values each account has and how many they share (no values)."""
    if not _has_lake(app):
        return []
    eng = app.engine()
    try:
        if "identities" not in eng.tables():
            return []
        rows = eng.sql(f"SELECT account_id, kind, value FROM identities WHERE account_id IN ({_lit_list([a, b])})").to_pylist()
    finally:
        eng.close()
    sets: dict[tuple[str, str], set] = {}
    for r in rows:
        sets.setdefault((r["account_id"], r["kind"]), set()).add(r["value"])
    kinds = sorted({k for _, k in sets})
    return [{"kind": k, "a_count": len(sets.get((a, k), ())), "b_count": len(sets.get((b, k), ())),
             "shared": len(sets.get((a, k), set()) & sets.get((b, k), set()))} for k in kinds]


def avatar_bits(h: str | None) -> list[int] | None:
    if not h:
        return None
    try:
        n = int(h, 16)
    except ValueError:
        return None
    width = len(h) * 4
    return [(n >> (width - 1 - i)) & 1 for i in range(width)]


def avatar_comparison(ha: str | None, hb: str | None) -> dict[str, Any]:
    a, b = avatar_bits(ha), avatar_bits(hb)
    out: dict[str, Any] = {"a_bits": a, "b_bits": b, "distance": None, "side": None}
    if a is not None:
        out["side"] = int(len(a) ** 0.5)
    if a is not None and b is not None and len(a) == len(b):
        out["distance"] = sum(x != y for x, y in zip(a, b))
        out["bits"] = len(a)
    return out


def segments(text: str, spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The text cut into runs, each marked with the span (category, term, matched) covering it, if any.

    Span offsets are code points of the original text (Python string indices), end exclusive;
    where spans overlap, the earlier-starting one marks the run.
    """
    n = len(text)
    mark: list[int | None] = [None] * n
    order = sorted(range(len(spans)), key=lambda i: (spans[i].get("start", 0), -(spans[i].get("end", 0))))
    for i in order:
        s = spans[i]
        lo, hi = max(0, int(s.get("start", 0))), min(n, int(s.get("end", 0)))
        for k in range(lo, hi):
            if mark[k] is None:
                mark[k] = i
    out: list[dict[str, Any]] = []
    k = 0
    while k < n:
        j = k
        while j < n and mark[j] == mark[k]:
            j += 1
        seg: dict[str, Any] = {"text": text[k:j]}
        if mark[k] is not None:
            s = spans[mark[k]]
            seg.update(category=s.get("category"), term=s.get("term"), matched=s.get("matched"))
        out.append(seg)
        k = j
    return out


def _content(app, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    posts = lake_posts(app, [f["subject_id"] for f in findings])
    out = []
    for f in findings:
        ev = f.get("evidence") if isinstance(f.get("evidence"), dict) else {}
        spans = ev.get("spans") or []
        p = posts.get(f["subject_id"])
        text = p.get("text") if p else None
        out.append({
            "post_id": f["subject_id"], "category": f["category"], "score": f["score"], "author": ev.get("author"),
            "decision": ev.get("decision"), "created_at": p.get("created_at") if p else None,
            "text": text, "segments": segments(text, spans) if text is not None else None, "spans": spans,
            "signals": ev.get("signals"), "engagement": {k: p.get(k) for k in ("like_count", "repost_count", "comment_count")}
            if p else None,
            "note": None if p else "post not in the lake (deleted or outside the export) 原帖不在数据中",
        })
    return out


def _reincarnation(app, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = {f["subject_id"] for f in findings} | {f["related_id"] for f in findings}
    profiles = lake_accounts(app, ids)
    out = []
    for f in findings:
        ev = f.get("evidence") if isinstance(f.get("evidence"), dict) else {}
        new, old = f["subject_id"], f["related_id"]
        pa_, pb = profiles.get(new, {}), profiles.get(old, {})
        out.append({
            "new": {**(ev.get("new") or {}), **{k: pa_.get(k) for k in ("nickname", "created_at", "bio", "status",
                                                                       "followers_count", "verified", "avatar_hash")},
                    "account_id": new},
            "banned": {**(ev.get("banned") or {}), **{k: pb.get(k) for k in ("nickname", "created_at", "bio", "status",
                                                                            "followers_count", "verified", "avatar_hash")},
                       "account_id": old},
            "score": f["score"], "match_probability": ev.get("match_probability"), "match_weight": ev.get("match_weight"),
            "waterfall": ev.get("waterfall") or [], "details": ev.get("details") or {},
            "ban_expired": ev.get("ban_expired"), "violation": ev.get("violation"),
            "proposed_action": ev.get("proposed_action"),
            "identities": identity_comparison(app, new, old),
            "avatar": avatar_comparison(pa_.get("avatar_hash"), pb.get("avatar_hash")),
        })
    return out


def audience_summary(app, account_id: str, sample: int = 50_000) -> dict[str, Any]:
    """The audience audit (services/audience.py) of the account, or why there is none."""
    from qinglang.services import audience

    try:
        rep = audience.audit(app, account_id, sample=sample)
    except (NotFound, QinglangError) as e:
        return {"error": str(e)}
    return rep


def case_evidence(app, case: dict[str, Any], with_audience: bool = True) -> dict[str, Any]:
    """Evidence of a case (from show_case) grouped for display: content, reincarnation, fake fans, other."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for f in case.get("findings", []):
        by_kind.setdefault(f["kind"], []).append(f)
    out: dict[str, Any] = {"case_id": case["case_id"], "account_id": case["account_id"], "category": case["category"]}
    out["account"] = lake_accounts(app, [case["account_id"]]).get(case["account_id"])
    out["content"] = _content(app, by_kind.pop("content_violation", []))
    out["reincarnation"] = _reincarnation(app, by_kind.pop("reincarnation", []))
    fake = {k: by_kind.pop(k) for k in ("fake_followers", "follower_burst", "lockstep_group", "fake_account")
            if k in by_kind}
    if fake or case["category"] == "fake_fans":
        out["fake_fans"] = {"findings": fake,
                            "audit": audience_summary(app, case["account_id"]) if with_audience and _has_lake(app) else None}
    else:
        out["fake_fans"] = None
    out["other"] = [f for fs in by_kind.values() for f in fs]
    out["complaints"] = case.get("complaints", [])
    return jsonable(out)


def linked_accounts(app, account_id: str) -> list[dict[str, Any]]:
    """Accounts the detectors link to this one: reincarnation (both ways), lockstep groups, watch-list entries."""
    import json

    if not app.findings.detectors():
        return []
    from qinglang.lake.validate import lit

    out = []
    import duckdb

    paths = [str(app.findings.path(d)) for d in app.findings.detectors()]
    con = duckdb.connect()
    try:
        files = ", ".join(lit(p) for p in paths)
        a = lit(account_id)
        rows = con.sql(
            f"SELECT kind, subject_id, related_id, score, category, evidence FROM read_parquet([{files}], union_by_name=true) "
            f"WHERE (kind = 'reincarnation' AND (subject_id = {a} OR related_id = {a})) "
            f"OR (kind = 'watchlist_match' AND subject_id = {a}) "
            f"OR (kind = 'lockstep_group' AND contains(evidence, {lit(json.dumps(account_id))})) "
            f"ORDER BY score DESC LIMIT 200").to_arrow_table().to_pylist()
    finally:
        con.close()
    for r in rows:
        ev = json.loads(r["evidence"]) if r["evidence"] else {}
        if r["kind"] == "reincarnation":
            other = r["related_id"] if r["subject_id"] == account_id else r["subject_id"]
            role = "continues closed account" if r["subject_id"] == account_id else "continued by new account"
            out.append({"kind": "reincarnation", "account_id": other, "relation": role, "score": r["score"],
                        "ban_expired": ev.get("ban_expired")})
        elif r["kind"] == "watchlist_match":
            out.append({"kind": "watchlist_match", "entry": r["related_id"], "score": r["score"]})
        else:
            if account_id in (ev.get("targets") or []):
                out.append({"kind": "lockstep_group", "group_id": r["subject_id"], "score": r["score"],
                            "relation": "its followers include this farm", "size": ev.get("size")})
            elif account_id in (ev.get("members") or []):
                out.append({"kind": "lockstep_group", "group_id": r["subject_id"], "score": r["score"],
                            "relation": "member of this farm", "size": ev.get("size")})
    return out


def prior_enforcements(app, account_id: str) -> list[dict[str, Any]]:
    if not _has_lake(app):
        return []
    from qinglang.lake.validate import lit

    eng = app.engine()
    try:
        if "enforcements" not in eng.tables():
            return []
        rows = eng.sql(f"SELECT * FROM enforcements WHERE account_id = {lit(account_id)} ORDER BY decided_at").to_pylist()
    finally:
        eng.close()
    return jsonable(rows)


def account_dossier(app, account_id: str, with_audience: bool = False) -> dict[str, Any]:
    """A head account's file: profile, tier, standing, cases, sanctions, appeals, complaints, audits, links."""
    from qinglang.services.cases import list_cases
    from qinglang.services.complaints import list_complaints
    from qinglang.services.standing import account_standing

    gov = app.governance
    profile = lake_accounts(app, [account_id]).get(account_id)
    cases = list_cases(gov, account_id=account_id, limit=500)
    if profile is None and not cases:
        raise NotFound(f"no account {account_id!r} in the workspace's data or cases")
    out: dict[str, Any] = {
        "account_id": account_id, "profile": profile, "standing": account_standing(gov, account_id),
        "cases": cases, "complaints": list_complaints(gov, account_id=account_id, limit=200),
        "prior_enforcements": prior_enforcements(app, account_id), "linked": linked_accounts(app, account_id),
        "history": jsonable(_history(gov, account_id, [c["case_id"] for c in cases])),
    }
    out["audience"] = audience_summary(app, account_id) if with_audience and _has_lake(app) else None
    return out


def _history(gov, account_id: str, case_ids: list[int]) -> list[dict[str, Any]]:
    """Audit entries about the account and its cases, newest first (at most 300)."""
    import sqlalchemy as sa

    from qinglang.store.sql import tables as T

    c = T.audit_log.c
    conds = [sa.and_(c.entity_type == "account", c.entity_id == account_id)]
    if case_ids:
        conds.append(sa.and_(c.entity_type == "case", c.entity_id.in_([str(i) for i in case_ids])))
    with gov.store.read() as uow:
        rows = uow.conn.execute(sa.select(c.seq, c.at, c.actor, c.action, c.entity_type, c.entity_id, c.reason,
                                          c.automated).where(sa.or_(*conds)).order_by(c.seq.desc()).limit(300))
        return [dict(r._mapping) for r in rows]
