"""Bad input: exit 2, a message naming file, row and column, and the workspace exactly as before."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.lake import snapshot_factory as F
from tests.lake.test_ingest import tree


def run_cli(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QINGLANG_")}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "qinglang.entrypoints.cli.app", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def _set(rows: list[dict], i: int, **values) -> None:
    rows[i].update(values)


def _mutations():
    """(name, mutate(snapshot_dir, rows) -> None, expected fragments of the error line)."""

    def bad_timestamp(d, r):
        _set(r["accounts"], 1, created_at="yesterday")
        F.write(d, "csv", r)

    def bad_enum(d, r):
        _set(r["enforcements"], 0, action="ban")
        F.write(d, "csv", r)

    def duplicate_key(d, r):
        r["follows"].append(dict(r["follows"][0]))
        F.write(d, "csv", r)

    def dangling(d, r):
        r["follows"].append({"follower_id": "ghost", "followee_id": "u1", "followed_at": "", "follow_rank": ""})
        F.write(d, "csv", r)

    def missing_column(d, r):
        for row in r["follows"]:
            del row["followee_id"]
        F.write(d, "csv", r)

    def missing_value(d, r):
        _set(r["posts"], 1, account_id="")
        F.write(d, "csv", r)

    def negative_count(d, r):
        _set(r["accounts"], 2, followers_count="-5")
        F.write(d, "csv", r)

    def bad_hash(d, r):
        _set(r["accounts"], 0, avatar_hash="not-a-hash")
        F.write(d, "csv", r)

    def non_utf8(d, r):
        F.write(d, "csv", r)
        p = d / "posts.csv"  # the second data row gets GBK bytes
        p.write_bytes(p.read_bytes().replace(b"p_deleted", "旧帖".encode("gbk")))

    def empty_file(d, r):
        F.write(d, "csv", r)
        (d / "reports.csv").write_bytes(b"")

    def truncated_parquet(d, r):
        F.write(d, "parquet", r)
        p = d / "posts.parquet"
        p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])

    def bad_json(d, r):
        F.write(d, "jsonl", r)
        p = d / "follows.jsonl"
        lines = p.read_text(encoding="utf-8").splitlines()
        lines[1] = lines[1][:-3]
        p.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def wrong_field_count(d, r):
        F.write(d, "csv", r)
        p = d / "interactions.csv"
        lines = p.read_text(encoding="utf-8").splitlines()
        lines[2] = lines[2] + ",extra"
        p.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def ambiguous(d, r):
        F.write(d, "csv", r)
        F.write(d, "jsonl", {"posts": r["posts"]})

    return [
        ("bad timestamp", bad_timestamp, ["accounts.csv", "row 2", "created_at", "yesterday"]),
        ("bad enum", bad_enum, ["enforcements.csv", "row 1", "action", "ban"]),
        ("duplicate key", duplicate_key, ["follows.csv", "row 3", "duplicate key", "first seen at row 1"]),
        ("dangling reference", dangling, ["follows.csv", "row 3", "follower_id", "ghost"]),
        ("missing column", missing_column, ["follows.csv", "followee_id", "missing"]),
        ("missing value", missing_value, ["posts.csv", "row 2", "account_id", "required"]),
        ("negative count", negative_count, ["accounts.csv", "row 3", "followers_count"]),
        ("bad hash", bad_hash, ["accounts.csv", "row 1", "avatar_hash"]),
        ("non-UTF-8", non_utf8, ["posts.csv", "row 2", "UTF-8"]),
        ("empty file", empty_file, ["reports.csv", "empty"]),
        ("truncated parquet", truncated_parquet, ["posts.parquet", "Parquet"]),
        ("bad JSON line", bad_json, ["follows.jsonl", "row 2", "JSON"]),
        ("wrong field count", wrong_field_count, ["interactions.csv", "row 2", "fields"]),
        ("two files for one table", ambiguous, ["posts", "twice"]),
    ]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """A workspace after one good ingest, copied fresh for each case."""
    root = tmp_path_factory.mktemp("baseline")
    home = root / "ws"
    r = run_cli("ingest", str(F.write(root / "good", "csv")), "--home", str(home))
    assert r.returncode == 0, r.stderr
    return home


@pytest.mark.parametrize("name,mutate,expected", _mutations(), ids=[m[0] for m in _mutations()])
def test_bad_input_exits_2_names_the_problem_and_changes_nothing(tmp_path, baseline, name, mutate, expected):
    import shutil

    home = tmp_path / "ws"
    shutil.copytree(baseline, home)
    before = tree(home)
    snap = tmp_path / "bad"
    rows = F.rows()
    rows["accounts"].append({"account_id": "u9", "nickname": "新号", "created_at": "2026-01-01T00:00:00Z", "bio": "",
                             "avatar_hash": "", "verified": "", "status": "", "followers_count": "",
                             "following_count": "", "posts_count": "", "last_active_at": ""})
    mutate(snap, rows)
    r = run_cli("ingest", str(snap), "--home", str(home))
    assert r.returncode == 2, (r.stdout, r.stderr)
    line = r.stderr.strip().splitlines()[-1]
    assert line.startswith("qinglang: error:")
    for frag in expected:
        assert frag.lower() in line.lower(), f"{frag!r} not in {line!r}"
    assert tree(home) == before, "the workspace changed after a failed ingest"


def test_failed_first_ingest_leaves_no_workspace(tmp_path):
    snap = tmp_path / "bad"
    rows = F.rows()
    rows["accounts"][0]["created_at"] = "not a date"
    F.write(snap, "csv", rows)
    home = tmp_path / "ws"
    r = run_cli("ingest", str(snap), "--home", str(home))
    assert r.returncode == 2
    assert not home.exists()


def test_missing_snapshot_dir_is_bad_usage(tmp_path):
    r = run_cli("ingest", str(tmp_path / "nope"), "--home", str(tmp_path / "ws"))
    assert r.returncode == 2 and "does not exist" in r.stderr


def test_home_from_environment(tmp_path):
    snap = F.write(tmp_path / "snap", "csv")
    home = tmp_path / "envhome"
    r = run_cli("ingest", str(snap), env_extra={"QINGLANG_HOME": str(home)})
    assert r.returncode == 0, r.stderr
    r = run_cli("stats", "--json", env_extra={"QINGLANG_HOME": str(home)})
    import json

    s = json.loads(r.stdout)
    assert s["tables"]["accounts"] == 3 and s["tiers"]["head"] == 1
    assert set(s["tiers"]) == {"head", "large", "regular"}


def test_secret_from_environment_is_used_and_no_key_file_written(tmp_path):
    snap = F.write(tmp_path / "snap", "csv")
    home = tmp_path / "ws"
    r = run_cli("ingest", str(snap), "--home", str(home), env_extra={"QINGLANG_SECRET": "a-platform-secret-of-32-chars!!"})
    assert r.returncode == 0, r.stderr
    assert not (home / "secret.key").exists()
    # a different key later is refused: hashes would no longer match
    r = run_cli("ingest", str(snap), "--home", str(home), env_extra={"QINGLANG_SECRET": "another-secret-entirely-0123456"})
    assert r.returncode == 2 and "different identity key" in r.stderr


def test_export_findings_writes_the_header_when_empty(tmp_path):
    snap = F.write(tmp_path / "snap", "csv")
    home = tmp_path / "ws"
    assert run_cli("ingest", str(snap), "--home", str(home)).returncode == 0
    out = tmp_path / "f.csv"
    r = run_cli("export", "findings", "--out", str(out), "--home", str(home))
    assert r.returncode == 0, r.stderr
    assert out.read_text().splitlines()[0].replace('"', "") .startswith("kind,subject_id,related_id,score,category,evidence")


def test_every_command_has_help():
    r = run_cli("--help")
    assert r.returncode == 0
    import re

    commands = re.findall(r"^  (\S+)", r.stdout.split("Commands:")[1], flags=re.M)
    assert {"ingest", "stats", "scan", "export", "demo"} <= set(commands)
    for c in commands:
        h = run_cli(c, "--help")
        assert h.returncode == 0 and "Usage:" in h.stdout, c
