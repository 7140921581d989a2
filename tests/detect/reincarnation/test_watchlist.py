"""The watch list: entries hashed at load, linked to accounts by the same matcher, clear errors."""

from __future__ import annotations

import json

import duckdb
import pytest
from typer.testing import CliRunner

from qinglang.detect.base import DetectContext
from qinglang.detect.reincarnation.detectors import run_watchlist
from qinglang.entrypoints.cli.app import app as cli
from qinglang.services.watchlist import watchlist_path


def _run(app):
    engine = app.engine()
    try:
        ctx = DetectContext(engine=engine, settings=app.settings, workspace=app.workspace, extra={})
        t = run_watchlist(ctx)
    finally:
        engine.close()
    return [dict(r, ev=json.loads(r["evidence"])) for r in t.to_pylist()]


@pytest.fixture(scope="module")
def listed(rein_platform, tmp_path_factory):
    snap, app = rein_platform
    doc_acc, doc = duckdb.sql(f"SELECT account_id, value FROM '{snap}/identities.parquet' "
                              "WHERE kind = 'id_document' ORDER BY account_id LIMIT 1").fetchall()[0]
    unique = duckdb.sql(f"""
        SELECT account_id, nickname FROM '{snap}/accounts.parquet'
        WHERE nickname IN (SELECT nickname FROM '{snap}/accounts.parquet' GROUP BY nickname HAVING count(*) = 1)
          AND length(nickname) >= 4 ORDER BY account_id""").fetchall()
    handle_acc, handle = next((a, n) for a, n in unique if all("\u4e00" <= c <= "\u9fff" for c in n))
    d = tmp_path_factory.mktemp("wl")
    f = d / "notice.csv"
    f.write_text(
        "entry_id,name,kind,category,source,handles,id_document\n"
        f"tax-001,某某明星,person,illegal_conduct,税务通报 2026-01,,{doc}\n"
        f"tax-002,另一位艺人,person,illegal_conduct,税务通报 2026-02,{handle},\n"
        "tax-003,查无此人,person,illegal_conduct,通报,,999999999999999999\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["watchlist", "add", str(f), "--json", "--home", str(app.workspace.home)])
    assert res.exit_code == 0, res.output
    return {"app": app, "file": f, "doc_acc": doc_acc, "doc": doc, "handle_acc": handle_acc, "handle": handle,
            "add": json.loads(res.stdout.strip().splitlines()[-1]), "findings": _run(app)}


def test_entries_are_stored_with_hashed_identities(listed):
    assert listed["add"]["added"] == 3 and listed["add"]["entries"] == 3
    raw = watchlist_path(listed["app"].workspace.home).read_bytes()
    assert listed["doc"].encode() not in raw and b"999999999999999999" not in raw


def test_a_shared_real_name_identity_is_a_match(listed):
    hits = [f for f in listed["findings"] if f["related_id"] == "tax-001"]
    assert [f["subject_id"] for f in hits if f["score"] >= 0.5] == [listed["doc_acc"]]
    f = hits[0]
    assert f["kind"] == "watchlist_match" and f["category"] == "illegal_conduct"
    assert "id_document" in f["ev"]["shared_identities"]
    assert sum(w["weight"] for w in f["ev"]["waterfall"]) == pytest.approx(f["ev"]["match_weight"], abs=0.01)


def test_a_known_handle_is_found(listed):
    hits = {f["subject_id"]: f for f in listed["findings"] if f["related_id"] == "tax-002"}
    assert listed["handle_acc"] in hits
    assert hits[listed["handle_acc"]]["ev"]["matched_alias"] == listed["handle"]


def test_an_entry_with_nothing_in_common_finds_nobody(listed):
    assert not [f for f in listed["findings"] if f["related_id"] == "tax-003" and f["score"] >= 0.5]


def test_adding_again_updates_without_duplicates(listed):
    app = listed["app"]
    res = CliRunner().invoke(cli, ["watchlist", "add", str(listed["file"]), "--json", "--home", str(app.workspace.home)])
    rep = json.loads(res.stdout.strip().splitlines()[-1])
    assert rep["added"] == 0 and rep["updated"] == 3 and rep["entries"] == 3
    res = CliRunner().invoke(cli, ["watchlist", "list", "--json", "--home", str(app.workspace.home)])
    rows = json.loads(res.stdout.strip().splitlines()[-1])
    assert sorted(r["entry_id"] for r in rows) == ["tax-001", "tax-002", "tax-003"]
    assert rows[0]["identity_kinds"] == ["id_document"] and "identity_hashes" not in rows[0]


@pytest.mark.parametrize("content,message", [
    ("entry_id,kind\nx,person\n", "no `name` column"),
    ("name,kind\n张三,robot\n", "row 1, column 'kind'"),
    ("name,category\n张三,tax\n", "unknown category 'tax'"),
    ("name,colour\n张三,red\n", "unknown field(s) ['colour']"),
    ("name\n\n", "no entries"),
])
def test_bad_watchlist_files_name_row_and_column(rein_platform, tmp_path, content, message):
    _, app = rein_platform
    f = tmp_path / "bad.csv"
    f.write_text(content, encoding="utf-8")
    before = watchlist_path(app.workspace.home).read_bytes() if watchlist_path(app.workspace.home).exists() else None
    res = CliRunner().invoke(cli, ["watchlist", "add", str(f), "--home", str(app.workspace.home)])
    assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output
    after = watchlist_path(app.workspace.home).read_bytes() if watchlist_path(app.workspace.home).exists() else None
    assert before == after  # nothing of a refused file is kept


def test_jsonl_entries_with_identity_lists(rein_platform, tmp_path):
    from qinglang.lake.identity_hash import IdentityHasher
    from qinglang.services.watchlist import parse_entries

    f = tmp_path / "w.jsonl"
    f.write_text(json.dumps({"name": "某公司", "kind": "entity", "handles": ["某公司官方"],
                             "identities": [{"kind": "payment", "value": "6222 0000 1111"}]}, ensure_ascii=False) + "\n",
                 encoding="utf-8")
    t = parse_entries(f, IdentityHasher(b"k" * 32))
    row = t.to_pylist()[0]
    assert row["kind"] == "entity" and row["handles"] == ["某公司官方"]
    assert row["identity_hashes"][0]["kind"] == "payment" and "6222" not in row["identity_hashes"][0]["value"]
