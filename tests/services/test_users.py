"""Users and tokens on both databases: hashes only, expiry, revocation, disabling, audit entries with the actor."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from qinglang.errors import Conflict, NotFound, QinglangError
from qinglang.services import users as U
from qinglang.store import open_store


@pytest.fixture()
def store(store_url, tmp_path):
    s = open_store(store_url, checkpoint_path=tmp_path / "audit" / "checkpoint.json")
    yield s
    s.close()


def test_a_token_authenticates_its_owner_until_it_expires(store):
    t0 = datetime(2025, 6, 1, tzinfo=timezone.utc)
    res = U.add_user(store, "alice", "reviewer", by="root", expires_days=30, now=t0)
    p = U.authenticate(store, res["token"], now=t0 + timedelta(days=29))
    assert (p.name, p.role, p.token_id) == ("alice", "reviewer", res["token_id"])
    with pytest.raises(U.AuthError, match="expired"):
        U.authenticate(store, res["token"], now=t0 + timedelta(days=30))
    never = U.issue_token(store, "alice", by="root", expires_days=None, now=t0)
    assert U.authenticate(store, never["token"], now=t0 + timedelta(days=3650)).name == "alice"


def test_revocation_disabling_and_unknown_tokens_are_refused(store):
    a = U.add_user(store, "bob", "analyst", by="root")
    b = U.issue_token(store, "bob", by="root")
    assert U.revoke(store, "bob", by="root", token_id=a["token_id"], reason="lost")["revoked_token_ids"] == [a["token_id"]]
    with pytest.raises(U.AuthError, match="revoked"):
        U.authenticate(store, a["token"])
    assert U.authenticate(store, b["token"]).name == "bob"
    with pytest.raises(Conflict, match="already revoked"):
        U.revoke(store, "bob", by="root", token_id=a["token_id"])
    U.disable_user(store, "bob", by="root", reason="left")
    with pytest.raises(U.AuthError, match="disabled"):
        U.authenticate(store, b["token"])
    for bad in (None, "", "Bearer x", "ql_" + "x" * 43):
        with pytest.raises(U.AuthError):
            U.authenticate(store, bad)
    with pytest.raises(NotFound):
        U.revoke(store, "nobody", by="root")


def test_names_and_roles_are_checked(store):
    with pytest.raises(QinglangError, match="--role"):
        U.add_user(store, "c", "root", by="x")
    with pytest.raises(QinglangError, match="reserved"):
        U.add_user(store, "qinglang-policy", "admin", by="x")
    with pytest.raises(QinglangError, match="letters"):
        U.add_user(store, "a b", "admin", by="x")
    U.add_user(store, "张三", "auditor", by="x")
    with pytest.raises(Conflict, match="exists"):
        U.add_user(store, "张三", "auditor", by="x")
    assert U.set_role(store, "张三", "analyst", by="x")["previous_role"] == "auditor"


def test_every_change_is_in_the_audit_log_with_its_actor_and_never_the_token(store):
    a = U.add_user(store, "dan", "admin", by="root")
    U.issue_token(store, "dan", by="erin", label="ci")
    U.set_role(store, "dan", "auditor", by="erin", reason="moved")
    U.revoke(store, "dan", by="frank")
    with store.read() as uow:
        hist = uow.audit_log.entity_history("user", "dan")
    assert [(e["action"], e["actor"]) for e in hist] == [
        ("user.added", "root"), ("user.token_issued", "root"), ("user.token_issued", "erin"),
        ("user.role_changed", "erin"), ("user.token_revoked", "frank")]
    text = str(hist)
    assert a["token"] not in text and U.hash_token(a["token"]) not in text
    listed = U.list_users(store)
    assert [u["name"] for u in listed] == ["dan"] and all(t["state"] == "revoked" for t in listed[0]["tokens"])
