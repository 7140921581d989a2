"""`qinglang sanctions list|show|expire`: sanctions in force and the timed job that ends them."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from qinglang.entrypoints.cli.common import DbOpt, HomeOpt, JsonOpt, out, print_json
from qinglang.entrypoints.cli.gov_common import gov

sanctions_app = typer.Typer(help="Sanctions (处置): list, show, and end those whose period is over.", no_args_is_help=True)


@sanctions_app.command("list")
def list_cmd(account: Annotated[Optional[str], typer.Option("--account")] = None,
             status: Annotated[Optional[str], typer.Option("--status", help="active, expired, reversed.")] = None,
             limit: Annotated[int, typer.Option("--limit")] = 100,
             home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    from qinglang.services.enforcement import list_sanctions

    rows = list_sanctions(gov(home, db), account_id=account, status=status, limit=limit)
    if json_out:
        print_json(rows)
        return
    t = Table("sanction", "account 账号", "category 类别", "action 措施", "status 状态", "decided 决定", "ends 结束", "by 决定人")
    for s in rows:
        t.add_row(f"S-{s['sanction_id']}", s["account_id"], s["category"], s["action"], s["status"], s["decided_at"][:16],
                  (s.get("ends_at") or s.get("ban_until") or "")[:16],
                  s["decided_by"] + (" (auto)" if s["automated"] else ""))
    out.print(t)


@sanctions_app.command("show")
def show_cmd(sanction_id: int, home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """A sanction with its notices (Chinese and English), clean-ups and appeal."""
    from qinglang.services.enforcement import show_sanction

    s = show_sanction(gov(home, db), sanction_id)
    if json_out:
        print_json(s)
        return
    out.print(f"[bold]S-{s['sanction_id']}[/] {s['account_id']} {s['category']} {s['action']} {s['spec']} — {s['status']}")
    for n in s["notices"]:
        out.print(f"\n[bold]{n['subject_zh']}[/]\n{n['body_zh']}\n\n[bold]{n['subject_en']}[/]\n{n['body_en']}", markup=True)


@sanctions_app.command("expire")
def expire_cmd(home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """End limits and suspensions whose period is over (run it regularly, e.g. from cron)."""
    from qinglang.services.enforcement import expire_sanctions

    r = expire_sanctions(gov(home, db))
    print_json(r) if json_out else out.print(f"Ended {r['ended']} sanction(s). 已到期解除。")


def register(app: typer.Typer) -> None:
    app.add_typer(sanctions_app, name="sanctions")
