"""Small hand-made snapshots covering every table and column, writable in the three formats."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

RAW_PHONE = "+86 139-1234-5678"
RAW_EMAIL = "Star.Fan+weibo@Example.com"


def rows() -> dict[str, list[dict]]:
    return {
        "accounts": [
            {"account_id": "u1", "nickname": "明星甲", "created_at": "2019-03-01T08:00:00+08:00", "bio": "演员, 歌手\n新专辑",
             "avatar_hash": "00ff00ff00ff00ff", "verified": "true", "status": "active", "followers_count": "1200000",
             "following_count": "12", "posts_count": "800", "last_active_at": "2026-06-01T00:00:00Z"},
            {"account_id": "u2", "nickname": "粉丝乙", "created_at": "1600000000", "bio": "", "avatar_hash": "",
             "verified": "no", "status": "", "followers_count": "", "following_count": "", "posts_count": "",
             "last_active_at": ""},
            {"account_id": "u3", "nickname": "老号丙", "created_at": "2018-01-01 00:00:00", "bio": "旧账号",
             "avatar_hash": "a" * 64, "verified": "0", "status": "closed", "followers_count": "5000",
             "following_count": "3", "posts_count": "10", "last_active_at": "2020-01-01T00:00:00Z"},
        ],
        "follows": [
            {"follower_id": "u2", "followee_id": "u1", "followed_at": "2021-01-01T00:00:00Z", "follow_rank": "2"},
            {"follower_id": "u3", "followee_id": "u1", "followed_at": "2019-01-01T00:00:00Z", "follow_rank": "1"},
        ],
        "posts": [
            {"post_id": "p1", "account_id": "u1", "created_at": "2026-05-01T10:00:00Z", "text": "新歌上线，多谢支持",
             "image_hashes": "0123456789abcdef;fedcba9876543210", "repost_of": "", "like_count": "100",
             "repost_count": "5", "comment_count": "7"},
            {"post_id": "p2", "account_id": "u2", "created_at": "2026-05-02T10:00:00Z", "text": "",
             "image_hashes": "", "repost_of": "p_deleted", "like_count": "0", "repost_count": "0", "comment_count": "0"},
        ],
        "interactions": [
            {"actor_id": "u2", "post_id": "p1", "kind": "like", "at": "2026-05-01T11:00:00Z"},
            {"actor_id": "u3", "post_id": "p_gone", "kind": "comment", "at": "2026-05-01T12:00:00Z"},
        ],
        "identities": [
            {"account_id": "u2", "kind": "phone", "value": RAW_PHONE, "first_seen": "2021-01-01T00:00:00Z", "last_seen": ""},
            {"account_id": "u3", "kind": "email", "value": RAW_EMAIL, "first_seen": "", "last_seen": "2020-01-01T00:00:00Z"},
        ],
        "enforcements": [
            {"account_id": "u3", "action": "close", "category": "rumor", "decided_at": "2020-02-01T00:00:00Z",
             "until": "2027-02-01T00:00:00Z"},
        ],
        "reports": [
            {"report_id": "r1", "reporter_id": "u2", "account_id": "u1", "post_id": "p1", "category": "abuse",
             "created_at": "2026-05-03T00:00:00Z", "text": "辱骂网友"},
        ],
    }


_LIST_COLUMNS = {"image_hashes"}
_INT_COLUMNS = {"followers_count", "following_count", "posts_count", "follow_rank", "like_count", "repost_count", "comment_count"}
_BOOL_COLUMNS = {"verified"}


def _native(col: str, value: str):
    """The JSONL/Parquet-native form of a CSV text value (empty -> absent)."""
    if value == "":
        return [] if col in _LIST_COLUMNS else None
    if col in _LIST_COLUMNS:
        return value.split(";")
    if col in _INT_COLUMNS:
        return int(value)
    if col in _BOOL_COLUMNS:
        return value.lower() in ("true", "1", "yes")
    return value


def write(dir: Path, fmt: str, tables: dict[str, list[dict]] | None = None) -> Path:
    dir.mkdir(parents=True, exist_ok=True)
    tables = tables if tables is not None else rows()
    for name, rs in tables.items():
        path = dir / f"{name}.{fmt}"
        cols = list(rs[0]) if rs else []
        if fmt == "csv":
            with open(path, "w", newline="", encoding="utf-8") as fh:
                w = csv.DictWriter(fh, fieldnames=cols)
                w.writeheader()
                w.writerows(rs)
        elif fmt == "jsonl":
            with open(path, "w", encoding="utf-8") as fh:
                for r in rs:
                    fh.write(json.dumps({k: _native(k, v) for k, v in r.items()}, ensure_ascii=False) + "\n")
        elif fmt == "parquet":
            data = {c: [_native(c, r[c]) for r in rs] for c in cols}
            arrays = {}
            for c, vals in data.items():
                if c in _LIST_COLUMNS:
                    arrays[c] = pa.array(vals, pa.list_(pa.string()))
                elif c in _INT_COLUMNS:
                    arrays[c] = pa.array(vals, pa.int64())
                elif c in _BOOL_COLUMNS:
                    arrays[c] = pa.array(vals, pa.bool_())
                else:
                    arrays[c] = pa.array(vals, pa.string())
            pq.write_table(pa.table(arrays), path)
        else:
            raise ValueError(fmt)
    return dir
