"""Real-time endpoints answer with the CLI's JSON fields, never echo identity values, and are recorded."""

from __future__ import annotations

import json
import time

import duckdb
from typer.testing import CliRunner

from tests.api.platform_support import bearer


def _banned_request(app) -> tuple[str, dict]:
    """A closed account with a ban that never ends, as a new registration with its own nickname, avatar, identities."""
    snap = app.workspace.home / "snapshot"
    aid, nick, avatar = duckdb.sql(
        f"SELECT a.account_id, a.nickname, a.avatar_hash FROM '{snap}/accounts.parquet' a "
        f"JOIN '{snap}/enforcements.parquet' e USING (account_id) WHERE e.action = 'close' AND e.until IS NULL "
        f"ORDER BY a.account_id LIMIT 1").fetchall()[0]
    ids = duckdb.sql(f"SELECT kind, value FROM '{snap}/identities.parquet' WHERE account_id = '{aid}' "
                     f"ORDER BY kind, value").fetchall()
    assert ids, "the simulated banned account has identities"
    return aid, {"nickname": nick, "avatar_hash": avatar, "identities": [{"kind": k, "value": v} for k, v in ids]}


def test_registration_check_matches_the_cli_and_never_returns_identity_values(platform_app, client, tokens):
    from qinglang.entrypoints.cli.app import app as cli

    banned, req = _banned_request(platform_app)
    r = client.post("/api/realtime/registration-check", headers=bearer(tokens["analyst"]), json=req)
    assert r.status_code == 200, r.text
    got = r.json()
    assert set(got) >= {"decision", "ban_expired", "matches"}
    assert got["decision"] in ("review", "block") and got["ban_expired"] is False
    assert got["matches"][0]["banned_account_id"] == banned
    assert set(got["matches"][0]) >= {"banned_account_id", "score", "evidence"}
    body = r.text
    for ident in req["identities"]:
        assert ident["value"] not in body
    res = CliRunner().invoke(cli, ["check-registration", "--json", "--home", str(platform_app.workspace.home)],
                             input=json.dumps(req, ensure_ascii=False))
    assert res.exit_code == 0, res.output
    cli_out = json.loads(res.output.strip().splitlines()[-1])
    assert cli_out["decision"] == got["decision"] and cli_out["ban_expired"] == got["ban_expired"]
    assert [(m["banned_account_id"], m["score"]) for m in cli_out["matches"]] == \
           [(m["banned_account_id"], m["score"]) for m in got["matches"]]


def test_a_clean_registration_passes_and_checks_are_recorded_for_the_report(platform_app, client, tokens):
    h = bearer(tokens["analyst"])
    _, banned = _banned_request(platform_app)
    ok = client.post("/api/realtime/registration-check", headers=h,
                     json={"nickname": "一个从未出现过的名字xyz", "identities": [{"kind": "phone", "value": "+86 100 0000 0000"}]})
    assert ok.status_code == 200 and ok.json() == {"decision": "pass", "ban_expired": False, "matches": []}
    hit = client.post("/api/realtime/registration-check", headers=h, json=banned).json()
    client.api.state.runtime.recorder.flush()
    with platform_app.store.read() as uow:
        rows = uow.registrations.list(limit=10)
    decisions = sorted(r["decision"] for r in rows if r["source"] == "registration")
    assert decisions == sorted(["pass", hit["decision"]])
    assert all(r["actor"] == "analyst" for r in rows)
    for r in rows:
        assert "+86 100" not in json.dumps(r, default=str)


def test_rename_check_takes_the_account_and_bad_requests_name_the_field(client, tokens):
    h = bearer(tokens["reviewer"])
    r = client.post("/api/realtime/rename-check", headers=h, json={"account_id": "u00000001", "nickname": "新名字"})
    assert r.status_code == 200 and r.json()["decision"] in ("pass", "review", "block")
    r = client.post("/api/realtime/registration-check", headers=h, json={"nickname": "x", "avatar_hash": "zz"})
    assert r.status_code == 422 and "avatar_hash" in r.text
    r = client.post("/api/realtime/registration-check", headers=h,
                    json={"nickname": "x", "identities": [{"kind": "passport", "value": "1"}]})
    assert r.status_code == 422 and "kind" in r.text


def test_screening_returns_the_cli_fields_with_spans_in_the_original_text(platform_app, client, tokens):
    from qinglang.services.screening import screen

    texts = ["彭雪枫要是活到现在也就是个炒作出来的，哈哈哈", "今天天气不错，出去走走"]
    r = client.post("/api/realtime/screen", headers=bearer(tokens["analyst"]), json={"texts": texts})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    expected = [x.as_dict(signals=False) for x in screen(platform_app, texts)]
    assert [(x["index"], x["decision"], x["categories"]) for x in results] == \
           [(x["index"], x["decision"], x["categories"]) for x in expected]
    assert results[0]["decision"] in ("review", "block") and results[1]["decision"] == "pass"
    for s in results[0]["spans"]:
        assert texts[0][s["start"]:s["end"]] == s["matched"]
    one = client.post("/api/realtime/screen", headers=bearer(tokens["analyst"]), json={"text": texts[0], "signals": True})
    assert one.json()["results"][0]["categories"] == results[0]["categories"] and "signals" in one.json()["results"][0]
    bad = client.post("/api/realtime/screen", headers=bearer(tokens["analyst"]), json={"texts": texts, "text": "x"})
    assert bad.status_code == 400 and "either" in bad.json()["detail"]


def test_complaint_intake_is_idempotent_by_report_id_and_audited(platform_app, client, tokens):
    h = bearer(tokens["analyst"])
    body = {"reporter_id": "u00000002", "account_id": "u00000003", "category": "abuse", "text": "辱骂网友",
            "report_id": "api-r-1"}
    first = client.post("/api/complaints", headers=h, json=body)
    assert first.status_code == 201, first.text
    c = first.json()
    assert c["status"] == "received" and c["account_id"] == "u00000003"
    again = client.post("/api/complaints", headers=h, json=body).json()
    assert again["duplicate"] is True and again["complaint_id"] == c["complaint_id"]
    with platform_app.store.read() as uow:
        hist = uow.audit_log.entity_history("complaint", str(c["complaint_id"]))
    assert [e["actor"] for e in hist] == ["analyst"]


def test_metrics_count_requests_by_route_and_show_the_queue(client, tokens):
    h = bearer(tokens["auditor"])
    for _ in range(3):
        client.get("/api/cases/queue", headers=h)
    client.get("/api/audit", headers=bearer(tokens["analyst"]))  # 403
    time.sleep(0.05)
    text = client.get("/metrics", headers=h).text
    assert 'qinglang_http_requests_total{method="GET",route="/api/cases/queue",status="200"} 3.0' in text
    assert 'qinglang_auth_failures_total{status="403"} 1.0' in text
    with client.api.state.runtime.store.read() as uow:
        open_n = len(uow.cases.list(status=["open", "claimed"]))
    gauge = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith("qinglang_open_cases{"))
    assert gauge == open_n > 0
    assert client.get("/metrics").status_code == 401


def test_health_is_public_and_reports_the_store_and_lake(client):
    r = client.get("/api/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and r.json()["store"] is True and r.json()["lake_version"]


def test_a_closure_decided_over_the_api_reaches_the_registration_check(platform_app, client, tokens):
    snap = platform_app.workspace.home / "snapshot"
    h = bearer(tokens["analyst"])
    with platform_app.store.read() as uow:
        open_ = [c for c in uow.cases.list(status=["open"], tier="regular") if c.stage == "review"]
    closed = {r[0] for r in duckdb.sql(f"SELECT account_id FROM '{snap}/enforcements.parquet'").fetchall()}
    case = next(c for c in open_ if c.account_id not in closed)
    aid = case.account_id
    nick, avatar = duckdb.sql(f"SELECT nickname, avatar_hash FROM '{snap}/accounts.parquet' "
                              f"WHERE account_id = '{aid}'").fetchall()[0]
    ids = duckdb.sql(f"SELECT kind, value FROM '{snap}/identities.parquet' WHERE account_id = '{aid}'").fetchall()
    req = {"nickname": nick, "identities": [{"kind": k, "value": v} for k, v in ids]}
    if avatar:
        req["avatar_hash"] = avatar
    before = client.post("/api/realtime/registration-check", headers=h, json=req).json()
    assert aid not in [m["banned_account_id"] for m in before["matches"]]
    rv = bearer(tokens["reviewer"])
    assert client.post(f"/api/cases/{case.case_id}/claim", headers=rv).status_code == 200
    r = client.post(f"/api/cases/{case.case_id}/decide", headers=rv,
                    json={"action": "close", "ban_days": 0, "reason": "多次严重违规，关闭并永久禁止注册"})
    assert r.status_code == 200 and r.json()["status"] == "resolved", r.text
    deadline = time.time() + 240
    while time.time() < deadline:
        after = client.post("/api/realtime/registration-check", headers=h, json=req).json()
        if aid in [m["banned_account_id"] for m in after["matches"]]:
            break
        time.sleep(1)
    else:
        raise AssertionError("the new ban never reached the registration check")
    assert after["decision"] in ("review", "block")
