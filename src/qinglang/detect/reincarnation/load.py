"""Reading what account linking needs from the lake, through the batch engine (portable SQL)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from qinglang.detect.reincarnation import config as C
from qinglang.detect.reincarnation.linking import AccountTables
from qinglang.lake.validate import lit

BANS_SCHEMA = pa.schema([("account_id", pa.string()), ("action", pa.string()), ("category", pa.string()),
                         ("decided_at", pa.timestamp("us", tz="UTC")), ("until", pa.timestamp("us", tz="UTC"))])


def _cols(engine, table: str) -> set[str]:
    t = engine.sql(f"SELECT * FROM {table} LIMIT 0")
    return set(t.column_names)


def _ts(t: pa.Table, name: str) -> pa.Array:
    col = t[name] if name in t.column_names else pa.nulls(t.num_rows, pa.timestamp("us", tz="UTC"))
    if pa.types.is_timestamp(col.type):
        return pc.cast(col, pa.timestamp("us", tz="UTC"))
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        return pc.cast(pc.strptime(col, "%Y-%m-%dT%H:%M:%S", "us", error_is_null=True), pa.timestamp("us", tz="UTC"))
    return pc.cast(col, pa.timestamp("us", tz="UTC"))


def conform_bans(t: pa.Table | None) -> pa.Table:
    """Ban rows (enforcements, or governance's own sanctions) in one schema."""
    if t is None or t.num_rows == 0:
        return BANS_SCHEMA.empty_table()
    return pa.table({
        "account_id": pc.cast(t["account_id"], pa.string()),
        "action": pc.cast(t["action"], pa.string()),
        "category": pc.cast(t["category"], pa.string()) if "category" in t.column_names
        else pa.nulls(t.num_rows, pa.string()),
        "decided_at": _ts(t, "decided_at"),
        "until": _ts(t, "until"),
    }, schema=BANS_SCHEMA)


def read_bans(engine, extra_bans: pa.Table | None = None) -> pa.Table:
    parts = []
    if "enforcements" in engine.tables():
        parts.append(conform_bans(engine.sql(
            "SELECT account_id, action, category, decided_at, until FROM enforcements "
            "WHERE action IN ('close', 'suspend')")))
    if extra_bans is not None and extra_bans.num_rows:
        parts.append(conform_bans(extra_bans))
    return pa.concat_tables(parts) if parts else BANS_SCHEMA.empty_table()


def read_tables(engine, extra_bans: pa.Table | None = None, opts: dict | None = None) -> AccountTables | None:
    """Accounts, bans, identities, follows (as account rows) and self-declared comebacks, read into this process
    (the registration check and the evaluation; the scan links on the engine: engine_linking)."""
    opts = C.options(opts)
    bans = read_bans(engine, extra_bans)
    if bans.num_rows == 0:
        return None
    have = _cols(engine, "accounts")
    extra = [c for c in ("bio", "avatar_hash") if c in have]
    accounts = engine.sql("SELECT account_id, nickname, created_at"
                          + "".join(f", {c}" for c in extra) + " FROM accounts ORDER BY account_id")
    engine.register("__rein_ids", pa.table({"account_id": accounts["account_id"],
                                            "row_idx": pa.array(np.arange(accounts.num_rows, dtype=np.int64))}))
    identities = None
    if "identities" in engine.tables():
        identities = engine.sql("SELECT account_id, kind, value FROM identities")
    fr = fe = None
    if "follows" in engine.tables():
        parts_r, parts_e = [], []
        for b in engine.batches("SELECT a.row_idx AS r, b.row_idx AS e FROM follows f "
                                "JOIN __rein_ids a ON f.follower_id = a.account_id "
                                "JOIN __rein_ids b ON f.followee_id = b.account_id"):
            parts_r.append(b.column(0).to_numpy(zero_copy_only=False))
            parts_e.append(b.column(1).to_numpy(zero_copy_only=False))
        fr = np.concatenate(parts_r).astype(np.int64) if parts_r else np.zeros(0, np.int64)
        fe = np.concatenate(parts_e).astype(np.int64) if parts_e else np.zeros(0, np.int64)
    declared = None
    pattern = str(opts["declared_pattern"])
    if "posts" in engine.tables() and pattern:
        first_ban = pc.min(bans["decided_at"]).as_py()
        since = f" AND a.created_at >= TIMESTAMP {lit(first_ban.strftime('%Y-%m-%d %H:%M:%S'))}" if first_ban else ""
        declared = engine.sql(
            "SELECT DISTINCT p.account_id FROM posts p JOIN accounts a ON p.account_id = a.account_id "
            f"WHERE regexp_matches(lower(p.text), {lit(pattern)}){since}")["account_id"]
    return AccountTables(accounts, bans, identities, fr, fe, declared)
