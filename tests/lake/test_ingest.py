"""Ingest: round trips in three formats, upserts, idempotence, hashing of identities."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from qinglang.config import load_settings
from qinglang.lake.ingest import ingest
from qinglang.workspace import Workspace
from tests.lake import snapshot_factory as F

UTC = dt.timezone.utc


def lake_rows(home: Path, table: str) -> list[dict]:
    lake = Workspace(home).lake
    glob = lake.table_glob(table)
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    return con.sql(f"SELECT * FROM read_parquet('{glob}') ORDER BY 1, 2").to_arrow_table().to_pylist()


def tree(home: Path) -> dict[str, bytes]:
    return {str(p.relative_to(home)): p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_every_table_round_trips(tmp_path, home, fmt):
    snap = F.write(tmp_path / "snap", fmt)
    report = ingest(load_settings(home), snap)
    assert report.changed
    assert {t.table: t.total for t in report.tables} == {
        "accounts": 3, "follows": 2, "posts": 2, "interactions": 2, "identities": 2, "enforcements": 1, "reports": 1}

    acc = {r["account_id"]: r for r in lake_rows(home, "accounts")}
    assert acc["u1"]["created_at"] == dt.datetime(2019, 3, 1, 0, 0, tzinfo=UTC)  # +08:00 converted to UTC
    assert acc["u2"]["created_at"] == dt.datetime.fromtimestamp(1600000000, UTC)  # epoch seconds
    assert acc["u3"]["created_at"] == dt.datetime(2018, 1, 1, tzinfo=UTC)  # no offset means UTC
    assert acc["u1"]["bio"] == "演员, 歌手\n新专辑"  # quoted comma and newline survive
    assert acc["u1"]["verified"] is True and acc["u2"]["verified"] is False and acc["u3"]["verified"] is False
    assert acc["u2"]["status"] == "active"  # default
    assert acc["u3"]["status"] == "closed"
    assert acc["u1"]["followers_count"] == 1_200_000 and acc["u2"]["followers_count"] is None
    assert acc["u3"]["avatar_hash"] == "a" * 64

    posts = {r["post_id"]: r for r in lake_rows(home, "posts")}
    assert posts["p1"]["image_hashes"] == ["0123456789abcdef", "fedcba9876543210"]
    assert posts["p2"]["text"] == "" and posts["p2"]["image_hashes"] == []
    assert posts["p2"]["repost_of"] == "p_deleted"  # post references may dangle

    inter = lake_rows(home, "interactions")
    assert {(r["actor_id"], r["post_id"], r["kind"]) for r in inter} == {("u2", "p1", "like"), ("u3", "p_gone", "comment")}
    enf = lake_rows(home, "enforcements")[0]
    assert enf["action"] == "close" and enf["category"] == "rumor" and enf["until"].year == 2027
    rep = lake_rows(home, "reports")[0]
    assert rep["category"] == "abuse" and rep["text"] == "辱骂网友"
    fol = lake_rows(home, "follows")
    assert [r["follow_rank"] for r in fol] == [2, 1]


def test_mixed_formats_in_one_snapshot(tmp_path, home):
    base = F.rows()
    snap = tmp_path / "snap"
    F.write(snap, "csv", {"accounts": base["accounts"]})
    F.write(snap, "jsonl", {"follows": base["follows"]})
    F.write(snap, "parquet", {"posts": base["posts"]})
    report = ingest(load_settings(home), snap)
    assert {t.table: t.file for t in report.tables} == {
        "accounts": "accounts.csv", "follows": "follows.jsonl", "posts": "posts.parquet"}


def test_reingest_changes_nothing(tmp_path, home):
    snap = F.write(tmp_path / "snap", "csv")
    ingest(load_settings(home), snap)
    before = tree(home)
    again = ingest(load_settings(home), snap)
    assert not again.changed and again.version is None
    assert all(t.added == 0 and t.updated == 0 for t in again.tables)
    assert tree(home) == before


def test_newer_snapshot_adds_and_updates_and_keeps_absent_columns(tmp_path, home):
    ingest(load_settings(home), F.write(tmp_path / "v1", "csv"))
    newer = {
        "accounts": [
            {"account_id": "u1", "nickname": "明星甲（新）", "created_at": "2019-03-01T08:00:00+08:00"},
            {"account_id": "u4", "nickname": "新人丁", "created_at": "2026-01-01T00:00:00Z"},
        ],
        "follows": [{"follower_id": "u4", "followee_id": "u1"}],
    }
    report = ingest(load_settings(home), F.write(tmp_path / "v2", "csv", newer))
    t = {r.table: r for r in report.tables}
    assert (t["accounts"].added, t["accounts"].updated, t["accounts"].total) == (1, 1, 4)
    assert (t["follows"].added, t["follows"].total) == (1, 3)
    acc = {r["account_id"]: r for r in lake_rows(home, "accounts")}
    assert acc["u1"]["nickname"] == "明星甲（新）"
    assert acc["u1"]["bio"] == "演员, 歌手\n新专辑"  # the newer file has no bio column: kept
    assert acc["u4"]["status"] == "active"
    assert len(lake_rows(home, "posts")) == 2  # tables absent from the snapshot are carried over


def test_identity_values_are_hashed_and_never_stored_raw(tmp_path, home):
    snap = F.write(tmp_path / "snap", "jsonl")
    ingest(load_settings(home), snap)
    ids = {r["account_id"]: r for r in lake_rows(home, "identities")}
    assert len(ids["u2"]["value"]) == 32
    needles = [F.RAW_PHONE, "13912345678", "1391234", F.RAW_EMAIL, F.RAW_EMAIL.lower(), "star.fan"]
    for p in home.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            for n in needles:
                assert n.encode() not in data, f"raw identity {n!r} found in {p}"


def test_same_identity_written_differently_hashes_alike(tmp_path, home):
    base = F.rows()
    base["identities"] = [
        {"account_id": "u2", "kind": "phone", "value": "+86 139-1234-5678", "first_seen": "", "last_seen": ""},
        {"account_id": "u3", "kind": "phone", "value": "13912345678", "first_seen": "", "last_seen": ""},
        {"account_id": "u1", "kind": "phone", "value": "13912345679", "first_seen": "", "last_seen": ""},
    ]
    ingest(load_settings(home), F.write(tmp_path / "snap", "csv", base))
    ids = {r["account_id"]: r["value"] for r in lake_rows(home, "identities")}
    assert ids["u2"] == ids["u3"] != ids["u1"]


def test_repeated_identity_rows_merge(tmp_path, home):
    base = F.rows()
    base["identities"] = [
        {"account_id": "u2", "kind": "device", "value": "dev-1", "first_seen": "2021-05-01T00:00:00Z", "last_seen": "2021-06-01T00:00:00Z"},
        {"account_id": "u2", "kind": "device", "value": "dev-1", "first_seen": "2021-01-01T00:00:00Z", "last_seen": "2021-03-01T00:00:00Z"},
    ]
    ingest(load_settings(home), F.write(tmp_path / "snap", "csv", base))
    rows = lake_rows(home, "identities")
    assert len(rows) == 1
    assert rows[0]["first_seen"].month == 1 and rows[0]["last_seen"].month == 6
    # a later snapshot extends last_seen, keeps the earliest first_seen
    later = {"identities": [{"account_id": "u2", "kind": "device", "value": "dev-1",
                             "first_seen": "2022-01-01T00:00:00Z", "last_seen": "2022-02-01T00:00:00Z"}]}
    ingest(load_settings(home), F.write(tmp_path / "snap2", "csv", later))
    rows = lake_rows(home, "identities")
    assert len(rows) == 1 and rows[0]["first_seen"].year == 2021 and rows[0]["last_seen"].year == 2022


def test_unknown_columns_are_kept(tmp_path, home):
    base = F.rows()
    for r in base["accounts"]:
        r["region"] = "北京"
    ingest(load_settings(home), F.write(tmp_path / "snap", "csv", base))
    assert {r["region"] for r in lake_rows(home, "accounts")} == {"北京"}


def test_truth_folder_and_other_files_are_ignored_with_a_warning(tmp_path, home):
    snap = F.write(tmp_path / "snap", "csv")
    (snap / "truth").mkdir()
    F.write(snap / "truth", "csv", {"accounts": [{"account_id": "x", "nickname": "n", "created_at": "bad"}]})
    (snap / "notes.txt").write_text("hello")
    report = ingest(load_settings(home), snap)
    assert any("truth" in w for w in report.warnings)
    assert any("notes.txt" in w for w in report.warnings)
    assert len(lake_rows(home, "accounts")) == 3


def test_relative_tiers_rank_by_influence(tmp_path, home):
    accounts = [{"account_id": f"a{i:03d}", "nickname": f"n{i}", "created_at": "2020-01-01T00:00:00Z",
                 "followers_count": str(i * 10), "verified": "false"} for i in range(400)]
    ingest(load_settings(home), F.write(tmp_path / "snap", "csv", {"accounts": accounts}))
    con = duckdb.connect()
    tiers = con.sql(f"SELECT account_id, tier FROM read_parquet('{Workspace(home).lake.table_glob('derived/tiers')}')").fetchall()
    by = {a: t for a, t in tiers}
    # 400 accounts: head = ceil(2) = 2 top accounts, large = up to ceil(20) = 18 more
    assert [a for a, t in sorted(by.items()) if t == "head"] == ["a398", "a399"]
    assert sum(1 for t in by.values() if t == "large") == 18


def test_absolute_tiers_from_configuration(tmp_path, home):
    home.mkdir()
    (home / "qinglang.toml").write_text('[tiers]\nmode = "absolute"\nhead_min_followers = 1000000\nlarge_min_followers = 4000\n')
    ingest(load_settings(home), F.write(tmp_path / "snap", "csv"))
    con = duckdb.connect()
    by = dict(con.sql(f"SELECT account_id, tier FROM read_parquet('{Workspace(home).lake.table_glob('derived/tiers')}')").fetchall())
    assert by == {"u1": "head", "u2": "regular", "u3": "large"}


def test_a_crash_leftover_staging_folder_is_cleaned_and_ignored(tmp_path, home):
    ingest(load_settings(home), F.write(tmp_path / "snap", "csv"))
    lake = Workspace(home).lake
    junk = lake.root / ".staging-deadbeef"
    junk.mkdir()
    (junk / "accounts").mkdir()
    shutil.copy(next(Path(lake.table_dir("accounts")).glob("*.parquet")), junk / "accounts" / "part-0.parquet")
    base = F.rows()
    base["accounts"][0]["nickname"] = "改名"
    ingest(load_settings(home), F.write(tmp_path / "snap2", "csv", base))
    assert not junk.exists()
    assert pq.read_table(lake.table_glob("accounts").replace("*.parquet", "part-0.parquet")).num_rows == 3
