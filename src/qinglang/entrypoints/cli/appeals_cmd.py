"""`qinglang appeals ...`: file, list, show, claim, decide appeals against sanctions."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from qinglang.entrypoints.cli.common import DbOpt, HomeOpt, JsonOpt, err, out, print_json
from qinglang.entrypoints.cli.gov_common import ByOpt, actor, gov, short
from qinglang.errors import QinglangError

appeals_app = typer.Typer(help="Appeals (申诉): one per sanction, decided by a reviewer who took no part in it.", no_args_is_help=True)
ReviewerOpt = Annotated[Optional[str], typer.Option("--reviewer", help="The reviewer acting (default $QINGLANG_ACTOR or your login name).", show_default=False)]


def _print(a: dict) -> None:
    s = a.get("sanction", {})
    out.print(f"[bold]Appeal 申诉 {a['appeal_id']}[/] against sanction S-{a['sanction_id']} ({s.get('action')}, {s.get('category')}) "
              f"of {a['account_id']}: {a['status']}{' — ' + a['outcome'] if a.get('outcome') else ''}")
    out.print(f"  filed 提出 {a['filed_at'][:19]} by {a['filed_by']}; due 期限 {a['due_at'][:19]}")
    out.print(f"  statement 陈述: {a['text']}")
    if a.get("decided_by"):
        out.print(f"  decided 决定 by {a['decided_by']}: {a.get('reason')}")


@appeals_app.command("file")
def file_cmd(sanction_id: int, text: Annotated[str, typer.Option("--text", help="The account's statement.")] = "",
             by: ByOpt = None, home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """File an appeal against a sanction (once, within the appeal window)."""
    from qinglang.services.appeals import file_appeal

    a = file_appeal(gov(home, db), sanction_id, text=text, filed_by=actor(by))
    print_json(a) if json_out else _print(a)


@appeals_app.command("list")
def list_cmd(status: Annotated[Optional[str], typer.Option("--status", help="pending, claimed, decided.")] = None,
             account: Annotated[Optional[str], typer.Option("--account")] = None,
             limit: Annotated[int, typer.Option("--limit")] = 100,
             home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """List appeals, oldest deadline first."""
    from qinglang.services.appeals import list_appeals

    rows = list_appeals(gov(home, db), status=status, account_id=account, limit=limit)
    if json_out:
        print_json(rows)
        return
    t = Table("appeal", "sanction", "account 账号", "status 状态", "outcome 结果", "due 期限", "statement 陈述")
    for a in rows:
        t.add_row(str(a["appeal_id"]), f"S-{a['sanction_id']}", a["account_id"], a["status"], a.get("outcome") or "",
                  a["due_at"][:16], short(a["text"], 40))
    out.print(t)


@appeals_app.command("show")
def show_cmd(appeal_id: int, home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    from qinglang.services.appeals import show_appeal

    a = show_appeal(gov(home, db), appeal_id)
    print_json(a) if json_out else _print(a)


@appeals_app.command("claim")
def claim_cmd(appeal_id: Annotated[Optional[int], typer.Argument()] = None,
              next_: Annotated[bool, typer.Option("--next", help="Take the appeal with the nearest deadline you may judge.")] = False,
              reviewer: ReviewerOpt = None, home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Claim an appeal to decide it."""
    from qinglang.services.appeals import claim_appeal

    if (appeal_id is None) == (not next_):
        raise QinglangError("give an APPEAL_ID or --next (not both)")
    a = claim_appeal(gov(home, db), reviewer=actor(reviewer), appeal_id=appeal_id)
    if json_out:
        print_json(a)
    if a is None:
        err.print("No appeal you may judge is waiting. 暂无可复核的申诉。")
    elif not json_out:
        _print(a)


@appeals_app.command("decide")
def decide_cmd(appeal_id: int,
               outcome: Annotated[str, typer.Option("--outcome", help="upheld (the sanction stands) or overturned (it is reversed with all its effects).")],
               reason: Annotated[str, typer.Option("--reason")] = "", reviewer: ReviewerOpt = None,
               home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Decide an appeal (not by anyone who took part in the sanction)."""
    from qinglang.services.appeals import decide_appeal

    a = decide_appeal(gov(home, db), appeal_id, reviewer=actor(reviewer), outcome=outcome, reason=reason)
    if json_out:
        print_json(a)
        return
    _print(a)
    if a.get("effects", {}).get("effects"):
        out.print("  reversed 已撤销: " + ", ".join(a["effects"]["effects"]))


def register(app: typer.Typer) -> None:
    app.add_typer(appeals_app, name="appeals")
