"""Workspace statistics and account listings (read-only)."""

from __future__ import annotations

from typing import Any

from qinglang.lake import schema as S
from qinglang.lake.validate import q

_TIME_COLUMNS = {
    "accounts": "created_at",
    "follows": "followed_at",
    "posts": "created_at",
    "interactions": "at",
    "enforcements": "decided_at",
    "reports": "created_at",
}


def workspace_stats(app) -> dict[str, Any]:
    lake = app.workspace.require_lake()
    engine = app.engine("duckdb")
    try:
        names = engine.tables()
        tables = {t: lake.manifest().get("tables", {}).get(t, 0) for t in S.TABLES if t in names}
        tiers = {"head": 0, "large": 0, "regular": 0}
        if "tiers" in names:
            for r in engine.sql("SELECT tier, count(*) AS n FROM tiers GROUP BY 1").to_pylist():
                tiers[r["tier"]] = r["n"]
        ranges: dict[str, dict[str, str | None]] = {}
        for t, col in _TIME_COLUMNS.items():
            if t not in names:
                continue
            cols = engine.sql(f"SELECT * FROM {t} LIMIT 0").column_names
            if col not in cols:
                continue
            lo, hi = engine.sql(f"SELECT min({q(col)}) AS lo, max({q(col)}) AS hi FROM {t}").to_pylist()[0].values()
            ranges[t] = {"column": col, "from": lo.isoformat() if lo else None, "to": hi.isoformat() if hi else None}
        status = {}
        if "accounts" in names:
            status = {r["status"]: r["n"] for r in engine.sql("SELECT status, count(*) AS n FROM accounts GROUP BY 1 ORDER BY 1").to_pylist()}
    finally:
        engine.close()
    manifest = lake.manifest()
    return {
        "workspace": str(app.workspace.home),
        "lake_version": lake.current_name,
        "tables": tables,
        "tiers": tiers,
        "account_status": status,
        "date_ranges": ranges,
        "last_ingest": (manifest.get("ingests") or [{}])[-1].get("at"),
        "tier_config": manifest.get("tiers"),
    }


def list_accounts(app, tier: str | None, limit: int | None, order: str = "influence") -> list[dict[str, Any]]:
    app.workspace.require_lake()
    engine = app.engine("duckdb")
    try:
        where = f"WHERE t.tier = '{tier}'" if tier else ""
        lim = f"LIMIT {int(limit)}" if limit else ""
        rows = engine.sql(
            "SELECT t.account_id, a.nickname, a.status, t.tier, t.influence, t.followers, t.following, t.posts, "
            f"t.engagement, t.verified FROM tiers t JOIN accounts a USING (account_id) {where} "
            f"ORDER BY t.influence DESC, t.account_id {lim}"
        ).to_pylist()
    finally:
        engine.close()
    return rows
