"""The governance commands as scripts use them: JSON shapes, exit codes, the scan → cases path."""

import json
import sqlite3

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from qinglang.bootstrap import build
from qinglang.domain.findings import Finding, FindingKind, findings_table
from qinglang.domain.vocab import Category
from qinglang.entrypoints.cli.app import app as cli

runner = CliRunner()


def run(*args, code=0):
    r = runner.invoke(cli, [str(a) for a in args])
    assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr if r.stderr_bytes is not None else "")
    return r


@pytest.fixture()
def ws(home, tmp_path, monkeypatch):
    """A workspace with a tiny lake (a head account, its followers, a regular account) and findings."""
    monkeypatch.setenv("QINGLANG_ACTOR", "tester")
    snap = tmp_path / "snap"
    snap.mkdir()
    rows = ["account_id,nickname,created_at"] + [f"u{i},user{i},2024-01-01T00:00:00Z" for i in range(200)]
    (snap / "accounts.csv").write_text("\n".join(rows) + "\n")
    follows = ["follower_id,followee_id"] + [f"u{i},u0" for i in range(1, 200)] + ["u2,u1"]
    (snap / "follows.csv").write_text("\n".join(follows) + "\n")
    reports = ["report_id,reporter_id,account_id,category,created_at"] + [
        f"r{i},u{10 + i},u1,abuse,2024-05-0{1 + i % 5}T00:00:00Z" for i in range(6)]
    (snap / "reports.csv").write_text("\n".join(reports) + "\n")
    run("ingest", snap, "--home", home)
    app = build(home)
    # findings as detectors would write them: a violating post by the head account, 60 fake followers of it
    app.findings.replace("content_test", findings_table([
        Finding(FindingKind.CONTENT_VIOLATION, "p1", 0.93, Category.RUMOR, {"author": "u0", "spans": []}, account_id="u0")]))
    app.findings.replace("fake_account", findings_table([
        Finding(FindingKind.FAKE_ACCOUNT, f"u{i}", 0.9, Category.FAKE_FANS, {}) for i in range(100, 160)]))
    return home


def test_scan_hook_opens_cases_and_cases_list_prints_a_json_list(ws):
    app = build(ws)
    summary = app.on_findings(["content_test", "fake_account"])
    assert summary["cases_opened"] == 2  # u0 rumor, u0 fake_fans (60 of its 199 followers are fake)
    assert summary["complaints_received"] == 6 and summary["cases_opened_by_complaints"] == 1  # u1, 6 reporters
    again = app.on_findings(["content_test", "fake_account"])
    assert again["cases_opened"] == 0 and again["complaints_received"] == 0
    rows = json.loads(run("cases", "list", "--json", "--home", ws).stdout)
    assert isinstance(rows, list) and len(rows) == 3
    assert {(r["account_id"], r["category"]) for r in rows} == {("u0", "rumor"), ("u0", "fake_fans"), ("u1", "abuse")}
    assert {r["tier"] for r in rows if r["account_id"] == "u0"} == {"head"}


def test_claim_next_decide_standing_audit_through_the_cli(ws):
    build(ws).on_findings(["content_test", "fake_account"])
    c = json.loads(run("cases", "claim", "--next", "--reviewer", "alice", "--json", "--home", ws).stdout)
    assert isinstance(c, dict) and c["case_id"] and c["claimed_by"] == "alice"
    r = run("cases", "decide", c["case_id"], "--reviewer", "alice", "--action", "warning", "--reason", "checked",
            "--json", "--home", ws)
    d = json.loads(r.stdout)
    assert d["status"] == "resolved" and d["outcome"] == "sanctioned"
    s = json.loads(run("standing", d["account_id"], "--json", "--home", ws).stdout)
    assert s["active_strike_points"] == 1 and s["credit_score"] < 100
    v = run("audit", "verify", "--home", ws)
    assert "intact" in v.stdout
    events = [json.loads(line) for line in run("outbox", "pull", "--home", ws).stdout.splitlines()]
    assert any(e["type"] == "sanction.applied" for e in events)
    run("outbox", "ack", *[e["event_id"] for e in events], "--home", ws)
    assert json.loads(run("outbox", "status", "--json", "--home", ws).stdout)["pending"] == 0


def test_fake_fan_decision_cleans_the_followers_found_in_the_lake(ws):
    build(ws).on_findings(["content_test", "fake_account"])
    rows = json.loads(run("cases", "list", "--json", "--category", "fake_fans", "--home", ws).stdout)
    cid = rows[0]["case_id"]
    run("cases", "claim", cid, "--reviewer", "alice", "--home", ws)
    d = json.loads(run("cases", "decide", cid, "--reviewer", "alice", "--action", "warning", "--reason", "bought",
                       "--json", "--home", ws).stdout)
    assert d["decision"]["followers_removed"] == 60
    cleanup = [json.loads(x) for x in run("outbox", "pull", "--limit", "500", "--home", ws).stdout.splitlines()]
    [ev] = [e for e in cleanup if e["type"] == "audience.cleanup"]
    assert sorted(ev["remove_followers"]) == sorted(f"u{i}" for i in range(100, 160))
    assert ev["displayed_followers_count"] == 199 - 60


def test_audit_verify_exits_1_naming_the_tampered_entry(ws):
    build(ws).on_findings(["content_test"])
    db = sqlite3.connect(ws / "store.sqlite")
    db.execute("DROP TRIGGER audit_log_no_update")
    db.execute("UPDATE audit_log SET actor = 'nobody' WHERE seq = 1")
    db.commit()
    db.close()
    r = run("audit", "verify", "--home", ws, code=1)
    assert "first bad entry #1" in r.stderr
    j = json.loads(run("audit", "verify", "--json", "--home", ws, code=1).stdout)
    assert j["ok"] is False and j["first_bad"]["seq"] == 1


def test_bad_input_exits_2_with_a_reason(ws):
    r = run("cases", "decide", "1", "--reviewer", "alice", "--action", "warning", "--reason", "x", "--home", ws, code=2)
    assert "no case 1" in r.stderr
    build(ws).on_findings(["content_test"])
    r = run("cases", "decide", "1", "--reviewer", "alice", "--action", "warning", "--reason", "x", "--home", ws, code=2)
    assert "not claimed" in r.stderr
    r = run("cases", "claim", "--reviewer", "alice", "--home", ws, code=2)
    assert "CASE_ID or --next" in r.stderr
    r = run("cases", "open", "u5", "--category", "gossip", "--reason", "x", "--home", ws, code=2)
    assert "--category must be one of" in r.stderr


def test_detector_inputs_carry_qinglangs_own_bans(ws):
    app = build(ws)
    app.on_findings(["content_test"])
    run("cases", "claim", "--next", "--reviewer", "alice", "--home", ws)
    [c] = json.loads(run("cases", "list", "--json", "--status", "claimed", "--home", ws).stdout)
    run("cases", "decide", c["case_id"], "--reviewer", "alice", "--action", "suspend", "--days", "15", "--reason", "x",
        "--home", ws)
    bans = build(ws).detector_inputs()["bans"]
    assert isinstance(bans, pa.Table) and bans.column_names == ["account_id", "action", "category", "decided_at", "until"]
    assert bans.to_pylist()[0]["action"] == "suspend"


def test_complaints_guidance_appeals_figures_and_policy_commands(ws, tmp_path):
    r = json.loads(run("complaints", "add", "u7", "--reporter", "u8", "--category", "abuse", "--text", "骂人",
                       "--json", "--home", ws).stdout)
    assert r["status"] == "received"
    g = json.loads(run("guidance", "add", "u0", "--kind", "interview", "--text", "约谈", "--json", "--home", ws).stdout)
    assert g["kind"] == "interview"
    build(ws).on_findings(["content_test"])
    c = json.loads(run("cases", "claim", "--next", "--reviewer", "alice", "--json", "--home", ws).stdout)
    d = json.loads(run("cases", "decide", c["case_id"], "--reviewer", "alice", "--action", "warning", "--reason", "x",
                       "--json", "--home", ws).stdout)
    sid = d["sanctions"][0]["sanction_id"]
    a = json.loads(run("appeals", "file", sid, "--text", "unfair", "--by", "u0", "--json", "--home", ws).stdout)
    r = run("appeals", "decide", a["appeal_id"], "--outcome", "overturned", "--reason", "x", "--reviewer", "alice",
            "--home", ws, code=2)
    assert "took part" in r.stderr
    run("appeals", "decide", a["appeal_id"], "--outcome", "upheld", "--reason", "fine", "--reviewer", "bob", "--home", ws)
    f = json.loads(run("figures", "--from", "2000-01-01", "--to", "2100-01-01", "--period", "year", "--json",
                       "--home", ws).stdout)
    assert f["totals"]["sanctions"] == 1 and f["totals"]["appeals_upheld"] == 1 and f["totals"]["guidance_actions"] == 1
    pol = tmp_path / "bad.yaml"
    pol.write_text("tiers:\n  head:\n    auto:\n      rumor: {min_score: 0.9, max_action: close}\n")
    r = run("cases", "policy", "--check", pol, "--home", ws, code=1)
    assert "never closed automatically" in r.stderr
    assert json.loads(run("store", "info", "--json", "--home", ws).stdout)["dialect"] == "sqlite"
    out = tmp_path / "audit.jsonl"
    run("audit", "export", "--out", out, "--home", ws)
    assert "intact" in run("audit", "verify", "--file", out, "--home", ws).stdout
