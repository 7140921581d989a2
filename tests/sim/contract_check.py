"""A small, independent checker of a snapshot folder against the data contract.

It deliberately does not use the simulator's own code: it reads the files with
DuckDB (all three formats) and checks required tables/columns, types, enums,
unique keys, references to accounts, timestamps before the snapshot, the
ISO 8601 form of text timestamps, and that profile counts match the tables.
`check_snapshot(dir)` returns a list of problems (empty = valid).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

SNAPSHOT = "2026-06-30 00:00:00+00"
ISO = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"
HEX = r"^[0-9a-f]{16}$|^[0-9a-f]{64}$"

REQUIRED = {
    "accounts": ["account_id", "nickname", "created_at"],
    "follows": ["follower_id", "followee_id"],
    "posts": ["post_id", "account_id", "created_at", "text"],
    "interactions": ["actor_id", "post_id", "kind", "at"],
    "identities": ["account_id", "kind", "value"],
    "enforcements": ["account_id", "action", "category", "decided_at"],
    "reports": ["report_id", "reporter_id", "account_id"],
}
OPTIONAL = {
    "accounts": ["bio", "avatar_hash", "verified", "status", "followers_count", "following_count", "posts_count",
                 "last_active_at"],
    "follows": ["followed_at", "follow_rank"],
    "posts": ["image_hashes", "repost_of", "like_count", "repost_count", "comment_count"],
    "interactions": [],
    "identities": ["first_seen", "last_seen"],
    "enforcements": ["until"],
    "reports": ["post_id", "category", "created_at", "text"],
}
KEYS = {
    "accounts": ["account_id"],
    "follows": ["follower_id", "followee_id"],
    "posts": ["post_id"],
    "interactions": ["actor_id", "post_id", "kind", "at"],
    "identities": ["account_id", "kind", "value"],
    "enforcements": ["account_id", "action", "category", "decided_at"],
    "reports": ["report_id"],
}
REFS = {
    "follows": ["follower_id", "followee_id"],
    "posts": ["account_id"],
    "interactions": ["actor_id"],
    "identities": ["account_id"],
    "enforcements": ["account_id"],
    "reports": ["reporter_id", "account_id"],
}
CATEGORIES = ["fake_fans", "reincarnation", "heroes_martyrs", "rumor", "soft_porn", "vulgar_marketing",
              "illegal_conduct", "abuse", "other"]
ENUMS = {
    ("accounts", "status"): ["active", "restricted", "suspended", "closed"],
    ("interactions", "kind"): ["like", "repost", "comment"],
    ("identities", "kind"): ["phone", "device", "ip", "payment", "id_document", "email"],
    ("enforcements", "action"): ["warning", "restrict", "suspend", "close"],
    ("enforcements", "category"): CATEGORIES,
    ("reports", "category"): CATEGORIES,
}
TIMESTAMPS = {
    "accounts": ["created_at", "last_active_at"],
    "follows": ["followed_at"],
    "posts": ["created_at"],
    "interactions": ["at"],
    "identities": ["first_seen", "last_seen"],
    "enforcements": ["decided_at", "until"],
    "reports": ["created_at"],
}
COUNTS = {
    "accounts": ["followers_count", "following_count", "posts_count"],
    "posts": ["like_count", "repost_count", "comment_count"],
}


def q(c: str) -> str:
    return '"' + c + '"'


def _files(d: Path) -> tuple[dict[str, Path], list[str]]:
    found: dict[str, Path] = {}
    problems = []
    for t in REQUIRED:
        hits = [d / f"{t}{e}" for e in (".csv", ".jsonl", ".parquet") if (d / f"{t}{e}").exists()]
        if len(hits) > 1:
            problems.append(f"{t}: more than one file")
        if hits:
            found[t] = hits[0]
    if "accounts" not in found:
        problems.append("accounts table missing")
    return found, problems


def _view(con, t: str, p: Path) -> str:
    if p.suffix == ".parquet":
        con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{p}')")
        return "parquet"
    if p.suffix == ".csv":
        con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_csv('{p}', header=true, all_varchar=true, quote='\"', "
                    "escape='\"', allow_quoted_nulls=false, strict_mode=true, new_line='\\n')")
        return "csv"
    # JSONL: every value as it is written (no type guessing), lists as VARCHAR[].
    con.execute(f"CREATE TABLE {t}_raw AS SELECT json FROM read_ndjson_objects('{p}')")
    keys = [r[0] for r in con.execute(f"SELECT DISTINCT unnest(json_keys(json)) FROM {t}_raw ORDER BY 1").fetchall()]
    exprs = []
    for k in keys:
        if k == "image_hashes":
            exprs.append(f"from_json(json -> '{k}', '[\"VARCHAR\"]') AS {q(k)}")
        else:
            exprs.append(f"json ->> '{k}' AS {q(k)}")
    con.execute(f"CREATE VIEW {t} AS SELECT {', '.join(exprs)} FROM {t}_raw")
    return "jsonl"


def check_snapshot(d: Path) -> list[str]:
    d = Path(d)
    files, problems = _files(d)
    con = duckdb.connect()
    fmt = {}
    for t, p in files.items():
        fmt[t] = _view(con, t, p)
    for t in files:
        cols = [r[0] for r in con.execute(f"DESCRIBE {t}").fetchall()]
        for c in REQUIRED[t]:
            if c not in cols:
                problems.append(f"{t}: required column {c} missing")
                continue
            bad = con.execute(f"SELECT count(*) FROM {t} WHERE {q(c)} IS NULL").fetchone()[0]
            if bad:
                problems.append(f"{t}.{c}: {bad} null values in a required column")
            if c.endswith("_id") or c == "nickname":
                bad = con.execute(f"SELECT count(*) FROM {t} WHERE trim(CAST({q(c)} AS VARCHAR)) = ''").fetchone()[0]
                if bad:
                    problems.append(f"{t}.{c}: {bad} empty values")
        for c in cols:
            if c not in REQUIRED[t] and c not in OPTIONAL[t]:
                problems.append(f"{t}: unexpected column {c}")
        # Keys.
        key = ", ".join(q(k) for k in KEYS[t])
        dup = con.execute(f"SELECT count(*) FROM (SELECT {key} FROM {t} GROUP BY ALL HAVING count(*) > 1)").fetchone()[0]
        if dup:
            problems.append(f"{t}: {dup} duplicate keys ({key})")
        # Enums.
        for (tt, c), values in ENUMS.items():
            if tt == t and c in cols:
                lst = ", ".join(f"'{v}'" for v in values)
                bad = con.execute(f"SELECT count(*) FROM {t} WHERE {q(c)} IS NOT NULL AND {q(c)} NOT IN ({lst})").fetchone()[0]
                if bad:
                    problems.append(f"{t}.{c}: {bad} values outside the enum")
        # Timestamps: parse, ISO form in text formats, before the snapshot.
        for c in TIMESTAMPS.get(t, []):
            if c not in cols:
                continue
            if fmt[t] != "parquet":
                bad = con.execute(f"SELECT count(*) FROM {t} WHERE {q(c)} IS NOT NULL AND NOT regexp_matches(CAST({q(c)} AS VARCHAR), '{ISO}')").fetchone()[0]
                if bad:
                    problems.append(f"{t}.{c}: {bad} values not in ISO 8601 form")
            bad = con.execute(f"SELECT count(*) FROM {t} WHERE {q(c)} IS NOT NULL AND TRY_CAST({q(c)} AS TIMESTAMPTZ) IS NULL").fetchone()[0]
            if bad:
                problems.append(f"{t}.{c}: {bad} unparsable timestamps")
            if not (t == "enforcements" and c == "until"):
                late = con.execute(f"SELECT count(*) FROM {t} WHERE TRY_CAST({q(c)} AS TIMESTAMPTZ) >= TIMESTAMPTZ '{SNAPSHOT}'").fetchone()[0]
                if late:
                    problems.append(f"{t}.{c}: {late} timestamps at or after the snapshot")
        # Counts and ranks.
        for c in COUNTS.get(t, []):
            if c in cols:
                bad = con.execute(f"SELECT count(*) FROM {t} WHERE {q(c)} IS NOT NULL AND (TRY_CAST({q(c)} AS BIGINT) IS NULL OR TRY_CAST({q(c)} AS BIGINT) < 0)").fetchone()[0]
                if bad:
                    problems.append(f"{t}.{c}: {bad} values that are not integers >= 0")
        if t == "follows" and "follow_rank" in cols:
            bad = con.execute("SELECT count(*) FROM follows WHERE TRY_CAST(follow_rank AS BIGINT) IS NULL OR TRY_CAST(follow_rank AS BIGINT) < 1").fetchone()[0]
            if bad:
                problems.append(f"follows.follow_rank: {bad} values that are not integers >= 1")
            bad = con.execute("""SELECT count(*) FROM (SELECT followee_id, count(*) n, max(CAST(follow_rank AS BIGINT)) mx,
                                 count(DISTINCT follow_rank) nd FROM follows GROUP BY 1) WHERE n <> mx OR n <> nd""").fetchone()[0]
            if bad:
                problems.append(f"follows.follow_rank: {bad} followees whose ranks are not 1..n")
        if t == "accounts":
            if "verified" in cols:
                bad = con.execute("SELECT count(*) FROM accounts WHERE verified IS NOT NULL AND lower(CAST(verified AS VARCHAR)) NOT IN ('true','false','1','0','yes','no')").fetchone()[0]
                if bad:
                    problems.append(f"accounts.verified: {bad} values that are not booleans")
            if "avatar_hash" in cols:
                bad = con.execute(f"SELECT count(*) FROM accounts WHERE avatar_hash IS NOT NULL AND NOT regexp_matches(avatar_hash, '{HEX}')").fetchone()[0]
                if bad:
                    problems.append(f"accounts.avatar_hash: {bad} values that are not hex hashes")
        if t == "posts" and "image_hashes" in cols:
            expr = ("list_filter(string_split(image_hashes, ';'), lambda x: x <> '')" if fmt[t] == "csv" else "image_hashes")
            bad = con.execute(f"SELECT count(*) FROM (SELECT unnest({expr}) h FROM posts WHERE image_hashes IS NOT NULL) WHERE NOT regexp_matches(h, '{HEX}')").fetchone()[0]
            if bad:
                problems.append(f"posts.image_hashes: {bad} entries that are not hex hashes")
    # References to accounts.
    for t, cols in REFS.items():
        if t not in files:
            continue
        for c in cols:
            bad = con.execute(f"SELECT count(*) FROM {t} x ANTI JOIN accounts a ON x.{q(c)} = a.account_id").fetchone()[0]
            if bad:
                problems.append(f"{t}.{c}: {bad} references to unknown accounts")
    # Profile counts as derived from the tables.
    if "follows" in files:
        bad = con.execute("""
            SELECT count(*) FROM accounts a
            LEFT JOIN (SELECT followee_id, count(*) c FROM follows GROUP BY 1) f ON f.followee_id = a.account_id
            LEFT JOIN (SELECT follower_id, count(*) c FROM follows GROUP BY 1) g ON g.follower_id = a.account_id
            WHERE CAST(a.followers_count AS BIGINT) <> coalesce(f.c, 0) OR CAST(a.following_count AS BIGINT) <> coalesce(g.c, 0)
        """).fetchone()[0]
        if bad:
            problems.append(f"accounts: {bad} followers/following counts differ from follows")
    if "posts" in files:
        bad = con.execute("""
            SELECT count(*) FROM accounts a LEFT JOIN (SELECT account_id, count(*) c FROM posts GROUP BY 1) p USING (account_id)
            WHERE CAST(a.posts_count AS BIGINT) <> coalesce(p.c, 0)""").fetchone()[0]
        if bad:
            problems.append(f"accounts: {bad} posts_count differ from posts")
    # Life spans: nothing before registration, and activity no later than last_active_at.
    checks = {
        "follows (before follower or followee registered)": """
            SELECT count(*) FROM follows f JOIN accounts a ON a.account_id = f.follower_id
            JOIN accounts b ON b.account_id = f.followee_id
            WHERE CAST(f.followed_at AS TIMESTAMPTZ) < CAST(a.created_at AS TIMESTAMPTZ)
               OR CAST(f.followed_at AS TIMESTAMPTZ) < CAST(b.created_at AS TIMESTAMPTZ)""",
        "follows (after the follower's last_active_at)": """
            SELECT count(*) FROM follows f JOIN accounts a ON a.account_id = f.follower_id
            WHERE CAST(f.followed_at AS TIMESTAMPTZ) > CAST(a.last_active_at AS TIMESTAMPTZ)""",
        "posts (before the author registered or after last_active_at)": """
            SELECT count(*) FROM posts p JOIN accounts a USING (account_id)
            WHERE CAST(p.created_at AS TIMESTAMPTZ) < CAST(a.created_at AS TIMESTAMPTZ)
               OR CAST(p.created_at AS TIMESTAMPTZ) > CAST(a.last_active_at AS TIMESTAMPTZ)""",
        "interactions (before the actor registered, after last_active_at, or before the post)": """
            SELECT count(*) FROM interactions i JOIN accounts a ON a.account_id = i.actor_id
            LEFT JOIN posts p USING (post_id)
            WHERE CAST(i."at" AS TIMESTAMPTZ) < CAST(a.created_at AS TIMESTAMPTZ)
               OR CAST(i."at" AS TIMESTAMPTZ) > CAST(a.last_active_at AS TIMESTAMPTZ)
               OR CAST(i."at" AS TIMESTAMPTZ) < CAST(p.created_at AS TIMESTAMPTZ)""",
        "accounts (last_active_at before created_at)": """
            SELECT count(*) FROM accounts WHERE CAST(last_active_at AS TIMESTAMPTZ) < CAST(created_at AS TIMESTAMPTZ)""",
    }
    for what, sql in checks.items():
        table = what.split()[0]
        if table not in files or (table == "follows" and "followed_at" not in
                                  [r[0] for r in con.execute("DESCRIBE follows").fetchall()]):
            continue
        bad = con.execute(sql).fetchone()[0]
        if bad:
            problems.append(f"{what}: {bad} rows")
    return problems
