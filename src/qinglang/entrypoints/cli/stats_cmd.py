"""`qinglang stats` and `qinglang accounts`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from qinglang.domain.vocab import Tier
from qinglang.entrypoints.cli.common import DbOpt, HomeOpt, JsonOpt, get_app, out, print_json
from qinglang.errors import QinglangError


def stats(home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Row counts per table, accounts per tier, date ranges of the workspace."""
    from qinglang.services.stats import workspace_stats

    s = workspace_stats(get_app(home, db))
    if json_out:
        print_json(s)
        return
    out.print(f"Workspace 工作区: {s['workspace']}  (lake version {s['lake_version']}, last ingest {s['last_ingest']})")
    t = Table("table 表", "rows 行数", "from 起", "to 止")
    for name, n in s["tables"].items():
        r = s["date_ranges"].get(name, {})
        t.add_row(name, f"{n:,}", str(r.get("from") or ""), str(r.get("to") or ""))
    out.print(t)
    out.print("Tiers 分层: " + ", ".join(f"{k} {v:,}" for k, v in s["tiers"].items()))
    if s["account_status"]:
        out.print("Account status 账号状态: " + ", ".join(f"{k} {v:,}" for k, v in s["account_status"].items()))


def accounts(
    tier: Annotated[Optional[str], typer.Option("--tier", help="head, large or regular.")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", help="Show at most this many (most influential first).")] = None,
    home: HomeOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """List accounts with their influence score and tier, most influential first."""
    from qinglang.services.stats import list_accounts

    if tier is not None and tier not in {t.value for t in Tier}:
        raise QinglangError(f"--tier must be head, large or regular, not {tier!r}")
    rows = list_accounts(get_app(home, db), tier, limit)
    if json_out:
        print_json(rows)
        return
    t = Table("account_id", "nickname 昵称", "tier 层级", "influence 影响力", "followers 粉丝", "status 状态")
    for r in rows:
        t.add_row(r["account_id"], r["nickname"], r["tier"], f"{r['influence']:.2f}", f"{r['followers']:,}", r["status"])
    out.print(t)
    out.print(f"{len(rows):,} accounts")


def register(app: typer.Typer) -> None:
    app.command("stats")(stats)
    app.command("accounts")(accounts)
