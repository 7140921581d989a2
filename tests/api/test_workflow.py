"""Review work over the API: every write is in the audit log with the token's owner; second review needs a senior;
evidence comes side by side; identity values never leave the API."""

from __future__ import annotations

import json

import duckdb

from tests.api.platform_support import bearer


def _actors(app, entity_type: str, entity_id) -> list[tuple[str, str]]:
    with app.store.read() as uow:
        return [(e["action"], e["actor"]) for e in uow.audit_log.entity_history(entity_type, str(entity_id))]


def test_claim_decide_note_are_audited_with_the_token_owner(platform_app, client, tokens):
    rv = bearer(tokens["reviewer"])
    r = client.post("/api/cases/claim-next", headers=rv, json={})
    assert r.status_code == 200 and r.json()["claimed"], r.text
    case = r.json()["case"]
    cid = case["case_id"]
    assert case["claimed_by"] == "reviewer" and case["stage"] == "review"
    r = client.post(f"/api/cases/{cid}/notes", headers=bearer(tokens["analyst"]), json={"text": "看过原帖"})
    assert r.status_code == 201
    r = client.post(f"/api/cases/{cid}/decide", headers=rv, json={"action": "warning", "reason": "首次违规，警示"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "resolved" and r.json()["decided_by"] == "reviewer"
    acts = _actors(platform_app, "case", cid)
    assert ("case.claimed", "reviewer") in acts and ("case.note", "analyst") in acts and ("case.decided", "reviewer") in acts
    sid = r.json()["decision"]["sanction_id"]
    assert _actors(platform_app, "sanction", sid)[0] == ("sanction.applied", "reviewer")
    # the read-only auditor sees it all, changes nothing
    au = bearer(tokens["auditor"])
    assert client.get(f"/api/cases/{cid}", headers=au).json()["status"] == "resolved"
    assert client.post(f"/api/cases/{cid}/notes", headers=au, json={"text": "x"}).status_code == 403


def test_appeal_filed_and_overturned_by_a_senior_is_audited_and_reverses_the_sanction(platform_app, client, tokens):
    rv = bearer(tokens["reviewer"])
    cid = client.post("/api/cases/claim-next", headers=rv, json={}).json()["case"]["case_id"]
    sid = client.post(f"/api/cases/{cid}/decide", headers=rv,
                      json={"action": "warning", "reason": "r"}).json()["decision"]["sanction_id"]
    a = client.post("/api/appeals", headers=bearer(tokens["analyst"]), json={"sanction_id": sid, "text": "我没有违规"})
    assert a.status_code == 201, a.text
    aid = a.json()["appeal_id"]
    # the reviewer who sanctioned may not judge the appeal, and lacks the permission anyway
    assert client.post(f"/api/appeals/{aid}/decide", headers=rv, json={"outcome": "overturned", "reason": "x"}).status_code == 403
    sr = bearer(tokens["senior_reviewer"])
    r = client.post(f"/api/appeals/{aid}/decide", headers=sr, json={"outcome": "overturned", "reason": "证据不足"})
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "overturned"
    assert client.get(f"/api/sanctions/{sid}", headers=sr).json()["status"] == "reversed"
    assert _actors(platform_app, "appeal", aid) == [("appeal.filed", "analyst"), ("appeal.decided", "senior-reviewer")]


def test_a_closure_of_a_head_account_needs_a_second_review_by_a_senior(platform_app, client, tokens):
    rv = bearer(tokens["reviewer"])
    with platform_app.store.read() as uow:
        head = [c for c in uow.cases.list(status=["open"], tier="head") if c.stage == "review"]
    assert head, "the simulated platform has open cases about head accounts"
    cid = head[0].case_id
    assert client.post(f"/api/cases/{cid}/claim", headers=rv).status_code == 200
    r = client.post(f"/api/cases/{cid}/decide", headers=rv, json={"action": "close", "reason": "严重违规"})
    assert r.status_code == 200 and r.json()["stage"] == "second_review" and r.json()["status"] == "open", r.text
    # another plain reviewer cannot take it; a plain reviewer's claim-next skips it
    other = client.post("/api/users", headers=bearer(tokens["admin"]), json={"name": "rv2", "role": "reviewer"}).json()
    assert client.post(f"/api/cases/{cid}/claim", headers=bearer(other["token"])).status_code == 403
    nxt = client.post("/api/cases/claim-next", headers=bearer(other["token"]), json={}).json()
    assert not nxt["claimed"] or nxt["case"]["case_id"] != cid
    # the first reviewer cannot confirm their own decision, even as a senior
    sr = bearer(tokens["senior_reviewer"])
    assert client.post(f"/api/cases/{cid}/claim", headers=sr).status_code == 200
    r = client.post(f"/api/cases/{cid}/decide", headers=sr, json={"confirm": True, "reason": "同意关闭"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["status"] == "resolved" and out["decided_by"] == "reviewer" and out["second_reviewer"] == "senior-reviewer"
    assert ("case.decided", "senior-reviewer") in _actors(platform_app, "case", cid)


def test_a_conflict_is_409_and_a_missing_case_404(client, tokens):
    rv = bearer(tokens["reviewer"])
    cid = client.post("/api/cases/claim-next", headers=rv, json={}).json()["case"]["case_id"]
    r = client.post(f"/api/cases/{cid}/claim", headers=bearer(tokens["senior_reviewer"]))
    assert r.status_code == 409 and "claimed by reviewer" in r.json()["detail"]
    assert client.get("/api/cases/987654", headers=rv).status_code == 404
    r = client.post(f"/api/cases/{cid}/decide", headers=rv, json={"action": "suspend", "reason": "x"})
    assert r.status_code == 400 and "--days" in r.json()["detail"]


def test_case_evidence_puts_posts_accounts_and_audience_side_by_side(platform_app, client, tokens):
    h = bearer(tokens["auditor"])
    with platform_app.store.read() as uow:
        cases = uow.cases.list()
    by_cat = {}
    for c in cases:
        by_cat.setdefault(c.category, c.case_id)
    content_cat = next(c for c in ("abuse", "rumor", "soft_porn", "heroes_martyrs", "vulgar_marketing") if c in by_cat)
    ev = None
    for c in cases:
        if c.category == content_cat:
            ev = client.get(f"/api/cases/{c.case_id}/evidence?audience=false", headers=h).json()
            if ev["content"]:
                break
    post = ev["content"][0]
    assert post["text"] and "".join(s["text"] for s in post["segments"]) == post["text"]
    marked = [s for s in post["segments"] if s.get("category")]
    assert marked and all(s["text"] in post["text"] for s in marked)
    rein = client.get(f"/api/cases/{by_cat['reincarnation']}/evidence", headers=h).json()["reincarnation"][0]
    assert rein["new"]["account_id"] != rein["banned"]["account_id"] and rein["waterfall"]
    assert {"kind", "a_count", "b_count", "shared"} <= set(rein["identities"][0])
    fake = client.get(f"/api/cases/{by_cat['fake_fans']}/evidence", headers=h).json()["fake_fans"]
    assert fake["audit"]["fake_share"] >= 0 and fake["audit"]["growth"] and len(fake["audit"]["score_histogram"]) == 20


def test_identity_values_and_their_hashes_never_appear_in_responses(platform_app, client, tokens):
    h = bearer(tokens["admin"])
    snap = platform_app.workspace.home / "snapshot"
    lake_ids = platform_app.engine().sql("SELECT DISTINCT value FROM identities").column(0).to_pylist()
    raw_ids = [r[0] for r in duckdb.sql(f"SELECT DISTINCT value FROM '{snap}/identities.parquet'").fetchall()]
    secrets = set(lake_ids) | {v for v in raw_ids if len(v) >= 6}
    bodies = []
    cases = client.get("/api/cases?limit=1000&status=open&status=claimed&status=resolved", headers=h).json()["cases"]
    rein = [c for c in cases if c["category"] == "reincarnation"]
    assert rein
    for c in cases[:40] + rein:
        bodies.append(client.get(f"/api/cases/{c['case_id']}", headers=h).text)
    for c in rein:
        ev = client.get(f"/api/cases/{c['case_id']}/evidence?audience=false", headers=h)
        bodies.append(ev.text)
        bodies.append(client.get(f"/api/accounts/{c['account_id']}", headers=h).text)
    bodies.append(client.get("/api/findings?kind=reincarnation&limit=1000&min_score=0", headers=h).text)
    bodies.append(client.get("/api/findings?limit=1000&min_score=0", headers=h).text)
    bodies.append(client.get("/api/audit?limit=1000", headers=h).text)
    text = "\n".join(bodies)
    leaked = [s for s in secrets if s in text]
    assert not leaked, leaked[:5]
    assert json.loads(bodies[-3])["findings"], "the crawl saw reincarnation findings"
