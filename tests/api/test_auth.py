"""API tokens: stored only as hashes, expire, can be revoked (at once, by CLI or API); disabled users are out."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import datetime, timedelta, timezone

from typer.testing import CliRunner

from qinglang.services import users as U
from tests.api.platform_support import bearer


def test_cli_users_add_prints_the_token_on_its_last_line_and_the_api_accepts_it(platform_app, client):
    from qinglang.entrypoints.cli.app import app as cli

    home = str(platform_app.workspace.home)
    res = CliRunner().invoke(cli, ["users", "add", "wang.li", "--role", "reviewer", "--by", "root", "--home", home])
    assert res.exit_code == 0, res.output
    token = res.output.strip().splitlines()[-1]
    assert token.startswith("ql_") and len(token) > 40
    me = client.get("/api/me", headers=bearer(token))
    assert me.status_code == 200 and me.json()["name"] == "wang.li" and me.json()["role"] == "reviewer"
    # a second token for the same user, then revoke all: both refused
    res2 = CliRunner().invoke(cli, ["users", "token", "wang.li", "--by", "root", "--home", home])
    token2 = res2.output.strip().splitlines()[-1]
    assert client.get("/api/me", headers=bearer(token2)).status_code == 200
    res3 = CliRunner().invoke(cli, ["users", "revoke", "wang.li", "--by", "root", "--home", home, "--reason", "left"])
    assert res3.exit_code == 0, res3.output
    U.clear_cache()  # another process would see it within a second; this one shares the cache
    for tk in (token, token2):
        r = client.get("/api/me", headers=bearer(tk))
        assert r.status_code == 401 and "revoked" in r.json()["detail"]


def test_cli_refuses_bad_roles_and_duplicate_names_with_exit_2(platform_app):
    from qinglang.entrypoints.cli.app import app as cli

    home = str(platform_app.workspace.home)
    r = CliRunner().invoke(cli, ["users", "add", "x", "--role", "superuser", "--by", "root", "--home", home])
    assert r.exit_code == 2 and "--role must be one of" in r.output
    CliRunner().invoke(cli, ["users", "add", "x", "--role", "analyst", "--by", "root", "--home", home])
    r = CliRunner().invoke(cli, ["users", "add", "x", "--role", "analyst", "--by", "root", "--home", home])
    assert r.exit_code == 2 and "exists" in r.output
    r = CliRunner().invoke(cli, ["users", "add", "qinglang-policy", "--role", "admin", "--by", "root", "--home", home])
    assert r.exit_code == 2 and "reserved" in r.output


def test_tokens_are_stored_only_as_hashes(platform_app):
    res = U.add_user(platform_app.store, "zhao", "analyst", by="root")
    token = res["token"]
    db = platform_app.workspace.sqlite_path
    platform_app.store.close()
    raw = b""
    for p in (db, db.with_name(db.name + "-wal")):
        if p.exists():
            raw += p.read_bytes()
    assert token.encode() not in raw
    con = sqlite3.connect(db)
    hashes = [r[0] for r in con.execute("SELECT token_hash FROM api_tokens")]
    audit = " ".join(r[0] + r[1] for r in con.execute("SELECT before, after FROM audit_log WHERE entity_type = 'user'"))
    con.close()
    assert hashlib.sha256(token.encode()).hexdigest() in hashes
    assert token not in audit and hashlib.sha256(token.encode()).hexdigest() not in audit


def test_an_expired_token_is_refused(platform_app, client):
    long_ago = datetime.now(timezone.utc) - timedelta(days=10)
    res = U.add_user(platform_app.store, "old", "analyst", by="root", expires_days=1, now=long_ago)
    r = client.get("/api/cases", headers=bearer(res["token"]))
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    fresh = U.issue_token(platform_app.store, "old", by="root", expires_days=1)
    assert client.get("/api/cases", headers=bearer(fresh["token"])).status_code == 200
    listed = {tk["token_id"]: tk["state"] for tk in U.show_user(platform_app.store, "old")["tokens"]}
    assert listed == {res["token_id"]: "expired", fresh["token_id"]: "active"}


def test_a_revoked_token_is_refused_at_once_and_others_keep_working(client, tokens, platform_app):
    a = U.issue_token(platform_app.store, "reviewer", by="root", label="laptop")
    b = U.issue_token(platform_app.store, "reviewer", by="root", label="desk")
    assert client.get("/api/me", headers=bearer(a["token"])).status_code == 200
    r = client.post("/api/users/reviewer/revoke", headers=bearer(tokens["admin"]),
                    json={"token_id": a["token_id"], "reason": "laptop lost"})
    assert r.status_code == 200 and r.json()["revoked_token_ids"] == [a["token_id"]]
    r = client.get("/api/me", headers=bearer(a["token"]))
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    assert client.get("/api/me", headers=bearer(b["token"])).status_code == 200
    assert client.get("/api/me", headers=bearer(tokens["reviewer"])).status_code == 200


def test_a_disabled_user_is_refused_and_a_role_change_takes_effect(client, tokens):
    admin = bearer(tokens["admin"])
    assert client.get("/api/audit", headers=bearer(tokens["analyst"])).status_code == 403
    r = client.post("/api/users/analyst/role", headers=admin, json={"role": "senior_reviewer", "reason": "promoted"})
    assert r.status_code == 200 and r.json()["previous_role"] == "analyst"
    assert client.get("/api/audit", headers=bearer(tokens["analyst"])).status_code == 200
    assert client.post("/api/users/analyst/disable", headers=admin, json={"reason": "left"}).status_code == 200
    r = client.get("/api/me", headers=bearer(tokens["analyst"]))
    assert r.status_code == 401 and "disabled" in r.json()["detail"]


def test_admin_creates_a_user_over_the_api_and_the_token_is_shown_once(client, tokens):
    admin = bearer(tokens["admin"])
    r = client.post("/api/users", headers=admin, json={"name": "li.na", "role": "auditor", "expires_days": 30})
    assert r.status_code == 201
    new = r.json()
    assert new["token"].startswith("ql_") and new["role"] == "auditor"
    listed = client.get("/api/users", headers=admin).json()
    assert "ql_" not in str(listed) and new["token"] not in str(listed)
    assert client.get("/api/me", headers=bearer(new["token"])).json()["name"] == "li.na"
    r = client.post("/api/users", headers=admin, json={"name": "li.na", "role": "auditor"})
    assert r.status_code == 409


def test_an_admin_cannot_lock_themselves_out(client, tokens):
    admin = bearer(tokens["admin"])
    r = client.post("/api/users/admin/role", headers=admin, json={"role": "auditor"})
    assert r.status_code == 409 and "another administrator" in r.json()["detail"]
    assert client.post("/api/users/admin/disable", headers=admin, json={}).status_code == 409
    assert client.get("/api/me", headers=admin).json()["role"] == "admin"
