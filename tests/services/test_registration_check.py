"""The real-time registration check on a small simulated platform: tricks, identities, decoys, ban expiry,
malformed input, and the record of every check."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone

import duckdb
import pytest
from typer.testing import CliRunner

from qinglang.errors import QinglangError
from qinglang.services.registration import RegistrationService, parse_request
from qinglang.text.nickname import nickname_keys


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    from qinglang.bootstrap import build
    from qinglang.lake.ingest import ingest
    from qinglang.sim import SimConfig, simulate

    root = tmp_path_factory.mktemp("regcheck")
    snap = root / "snapshot"
    simulate(SimConfig(out=snap, accounts=5000, seed=3))
    old = os.environ.pop("QINGLANG_SECRET", None)
    try:
        app = build(root / "ws")
        ingest(app.settings, snap)
    finally:
        if old is not None:
            os.environ["QINGLANG_SECRET"] = old
    return snap, app


@pytest.fixture(scope="module")
def svc(platform):
    _, app = platform
    return RegistrationService(app, source="test")


def _banned(snap, where: str = "TRUE"):
    q = f"""
        SELECT a.account_id, a.nickname, a.avatar_hash, e.decided_at, e.until,
               (SELECT count(*) FROM '{snap}/accounts.parquet' x WHERE x.avatar_hash = a.avatar_hash) AS av_users
        FROM '{snap}/accounts.parquet' a JOIN '{snap}/enforcements.parquet' e USING (account_id)
        WHERE e.action = 'close' AND {where} ORDER BY a.account_id"""
    return duckdb.sql(q).fetchall()


def _iso(d: datetime) -> str:
    return d.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _flip(hexhash: str, bits: int) -> str:
    v = int(hexhash, 16)
    for b in range(bits):
        v ^= 1 << (7 * b + 3)
    return f"{v:016x}"


@pytest.fixture(scope="module")
def target(platform):
    """A banned account with a distinctive three-hanzi-or-longer name and its own avatar."""
    snap, _ = platform
    for acc, nick, av, decided, until, users in _banned(snap, "a.avatar_hash IS NOT NULL"):
        k = nickname_keys(nick)
        if users == 1 and k.hanzi >= 3 and k.hanzi == len(k.base) and not k.fan_marker:
            return {"id": acc, "nickname": nick, "avatar": av, "decided": decided, "until": until}
    pytest.skip("no suitable banned account in the test platform")


TRICKS = {
    "homophone": lambda n: n[0] + {"小": "晓", "明": "铭"}.get(n[1], n[1]) + n[2:],
    "traditional": lambda n: __import__("opencc").OpenCC("s2t").convert(n),
    "emoji": lambda n: n + "🌸",
    "symbols": lambda n: "★" + n[0] + "·" + n[1:] + "★",
    "digits": lambda n: n + "666",
    "decorative": lambda n: n + "官方",
    "pinyin": lambda n: "".join(__import__("pypinyin").lazy_pinyin(n)),
    "full_width": lambda n: n + "２０２４",
}


@pytest.mark.parametrize("trick", sorted(TRICKS))
def test_each_trick_with_the_old_avatar_is_stopped(svc, target, trick):
    at = _iso(target["decided"] + timedelta(days=10))
    name = TRICKS[trick](target["nickname"])
    r = svc.check({"nickname": name, "avatar_hash": _flip(target["avatar"], 2), "at": at}, record=False)
    assert r["decision"] in ("block", "review"), (trick, name, r)
    assert r["matches"][0]["banned_account_id"] == target["id"]
    assert r["ban_expired"] is False


def test_checks_work_with_the_core_install_alone(platform, svc, target, monkeypatch):
    """pandas is not a core dependency (only the Spark and test extras bring it): the registry loads and checks
    without it, with the same answer."""
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)  # any import of pandas now fails
    _, app = platform
    req = {"nickname": TRICKS["homophone"](target["nickname"]), "avatar_hash": _flip(target["avatar"], 2),
           "at": _iso(target["decided"] + timedelta(days=10))}
    assert RegistrationService(app, source="test").check(req, record=False) == svc.check(req, record=False)


def test_reused_phone_blocks_with_evidence(platform, svc, target):
    snap, _ = platform
    held = duckdb.sql(f"SELECT kind, value FROM '{snap}/identities.parquet' WHERE account_id = '{target['id']}' "
                      "AND kind IN ('phone', 'device', 'payment')").fetchall()
    if not held:
        pytest.skip("the target holds no phone/device/payment")
    at = _iso(target["decided"] + timedelta(days=3))
    r = svc.check({"nickname": TRICKS["homophone"](target["nickname"]) + "2.0",
                   "identities": [{"kind": k, "value": v} for k, v in held], "at": at}, record=False)
    assert r["decision"] == "block", r
    top = r["matches"][0]
    assert top["banned_account_id"] == target["id"]
    ev = top["evidence"]
    assert ev["shared_identities"] and ev["tier"] == "certain"
    assert sum(w["weight"] for w in ev["waterfall"]) == pytest.approx(ev["match_weight"], abs=0.01)


def test_after_the_ban_ends_the_registration_passes_as_ban_expired(platform, svc):
    snap, _ = platform
    rows = [r for r in _banned(snap, "e.until IS NOT NULL AND a.avatar_hash IS NOT NULL") if r[5] == 1]
    assert rows
    acc, nick, av, decided, until, _ = rows[0]
    during = svc.check({"nickname": nick, "avatar_hash": av, "at": _iso(decided + timedelta(days=2))}, record=False)
    assert during["decision"] in ("block", "review") and during["ban_expired"] is False
    after = svc.check({"nickname": nick, "avatar_hash": av, "at": _iso(until + timedelta(days=2))}, record=False)
    assert after["decision"] == "pass" and after["ban_expired"] is True
    assert after["matches"][0]["banned_account_id"] == acc
    assert after["matches"][0]["evidence"]["tier"] == "ban_expired"


def test_an_innocent_new_account_passes(svc):
    r = svc.check({"nickname": "完全陌生的新朋友", "avatar_hash": "0123456789abcdef",
                   "identities": [{"kind": "phone", "value": "+86 139 0000 0000"}]}, record=False)
    assert r["decision"] == "pass" and not r["ban_expired"]
    assert all(m["score"] < 0.5 for m in r["matches"])


def test_a_common_name_alone_is_never_blocked(platform, svc):
    """The very name of a banned account, if common, is at most queued for review right after the ban."""
    snap, _ = platform
    from qinglang.sim.names import COMMON_NICKNAMES

    common = [r for r in _banned(snap) if r[1] in COMMON_NICKNAMES]
    if not common:
        pytest.skip("no banned account with a common name in the test platform")
    for acc, nick, _, decided, _, _ in common:
        soon = svc.check({"nickname": nick, "at": _iso(decided + timedelta(days=5))}, record=False)
        assert soon["decision"] != "block", soon
        later = svc.check({"nickname": nick, "at": _iso(decided + timedelta(days=400))}, record=False)
        assert later["decision"] == "pass", later


def test_a_shared_campus_ip_alone_is_not_linked(platform, svc):
    snap, _ = platform
    row = duckdb.sql(f"""
        WITH busy AS (SELECT value FROM '{snap}/identities.parquet' WHERE kind = 'ip' GROUP BY value
                      HAVING count(DISTINCT account_id) >= 20)
        SELECT i.value, e.decided_at FROM '{snap}/identities.parquet' i JOIN busy USING (value)
        JOIN '{snap}/enforcements.parquet' e ON e.account_id = i.account_id AND e.action = 'close'
        LIMIT 1""").fetchall()
    if not row:
        pytest.skip("no banned account behind a shared IP in the test platform")
    ip, decided = row[0]
    r = svc.check({"nickname": "一个普通的新用户", "identities": [{"kind": "ip", "value": ip}],
                   "at": _iso(decided + timedelta(days=5))}, record=False)
    assert r["decision"] == "pass", r


def test_a_renamed_banned_account_never_matches_itself(platform, svc, target):
    at = _iso(target["decided"] + timedelta(days=10))
    r = svc.check({"nickname": target["nickname"], "avatar_hash": target["avatar"], "at": at,
                   "account_id": target["id"]}, record=False)
    assert all(m["banned_account_id"] != target["id"] for m in r["matches"])


@pytest.mark.parametrize("payload,message", [
    ("not json", "not valid JSON"),
    ("", "stdin is empty"),
    ('{"avatar_hash": "00ff00ff00ff00ff"}', "'nickname' must be a non-empty string"),
    ('{"nickname": ""}', "'nickname' must be a non-empty string"),
    ('{"nickname": "a", "avatar_hash": "xyz"}', "'avatar_hash' must be 16 (pHash) or 64 (PDQ) hex digits"),
    ('{"nickname": "a", "identities": {"kind": "phone"}}', "'identities' must be a list"),
    ('{"nickname": "a", "identities": [{"kind": "passport", "value": "1"}]}', "identities[0].kind must be one of"),
    ('{"nickname": "a", "identities": [{"kind": "phone", "value": ""}]}', "identities[0].value must be a non-empty"),
    ('{"nickname": "a", "colour": "red"}', "unknown field(s) ['colour']"),
    ('{"nickname": "a", "at": "yesterday"}', "'at' must be an ISO 8601 timestamp"),
    ('[1, 2]', "expected a JSON object"),
])
def test_malformed_input_gives_a_clear_error_and_exit_2(platform, payload, message):
    from qinglang.entrypoints.cli.app import app as cli

    _, app = platform
    res = CliRunner().invoke(cli, ["check-registration", "--json", "--home", str(app.workspace.home)], input=payload)
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert "Traceback" not in res.output


def test_parse_request_hashes_nothing_and_validates():
    nick, av, ids, at, acc = parse_request({"nickname": " 王小明 ", "avatar_hash": "00FF00FF00FF00FF",
                                            "identities": [{"kind": "phone", "value": 13800138000}]})
    assert av == "00ff00ff00ff00ff" and ids == [("phone", "13800138000")] and at is None and acc is None
    with pytest.raises(QinglangError):
        parse_request({"nickname": "x" * 500})


def test_cli_check_prints_the_contract_shape_and_records_it(platform, target):
    from qinglang.entrypoints.cli.app import app as cli

    _, app = platform
    raw_phone = "+86 131 2345 6789"
    req = {"nickname": TRICKS["emoji"](target["nickname"]), "avatar_hash": target["avatar"],
           "identities": [{"kind": "phone", "value": raw_phone}]}
    res = CliRunner().invoke(cli, ["check-registration", "--json", "--home", str(app.workspace.home)],
                             input=json.dumps(req, ensure_ascii=False))
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert set(out) == {"decision", "ban_expired", "matches"}
    assert out["decision"] in ("pass", "review", "block")
    for m in out["matches"]:
        assert set(m) == {"banned_account_id", "score", "evidence"}
    log = app.workspace.path("reincarnation", "checks.jsonl")
    lines = log.read_text(encoding="utf-8").splitlines()
    last = json.loads(lines[-1])
    assert last["decision"] == out["decision"] and last["identity_kinds"] == ["phone"]
    assert raw_phone not in log.read_text(encoding="utf-8") and "13123456789" not in log.read_text(encoding="utf-8")
    # the store's registration log has it too (for the regulator reports)
    with app.governance.store.read() as uow:
        rows = uow.registrations.list()
    assert any(r["decision"] == out["decision"] and r["nickname"] == req["nickname"] for r in rows)
