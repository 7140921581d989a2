"""`qinglang guidance ...`: guidance, interviews (约谈), correction orders, recognition."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from qinglang.entrypoints.cli.common import DbOpt, HomeOpt, JsonOpt, out, print_json
from qinglang.entrypoints.cli.gov_common import ByOpt, actor, gov, short

guidance_app = typer.Typer(help="Guidance before punishment: guidance, interviews (约谈), correction orders, recognition.", no_args_is_help=True)


@guidance_app.command("add")
def add_cmd(account: Annotated[str, typer.Argument()],
            kind: Annotated[str, typer.Option("--kind", help="guidance, interview (约谈), correction (限期整改), recognition (示范账号等正面激励).")],
            text: Annotated[str, typer.Option("--text", help="The record: what was said, asked or recognised.")] = "",
            corrections: Annotated[Optional[str], typer.Option("--corrections", help="correction: what must be corrected.")] = None,
            due_days: Annotated[Optional[int], typer.Option("--due-days", help="correction: days to correct (default 15).")] = None,
            case: Annotated[Optional[int], typer.Option("--case", help="The case this belongs to.")] = None,
            by: ByOpt = None, home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Record a guidance action; the account gets a notice and its standing reflects it."""
    from qinglang.services.guidance import add_guidance

    g = add_guidance(gov(home, db), account_id=account, kind=kind, text=text, by=actor(by), corrections=corrections,
                     due_days=due_days, case_id=case)
    print_json(g) if json_out else out.print(f"Recorded {g['kind']} G-{g['guidance_id']} for {account}. 已记录。")


@guidance_app.command("list")
def list_cmd(account: Annotated[Optional[str], typer.Option("--account")] = None,
             kind: Annotated[Optional[str], typer.Option("--kind")] = None,
             status: Annotated[Optional[str], typer.Option("--status", help="open, done, revoked.")] = None,
             limit: Annotated[int, typer.Option("--limit")] = 100,
             home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    from qinglang.services.guidance import list_guidance

    rows = list_guidance(gov(home, db), account_id=account, kind=kind, status=status, limit=limit)
    if json_out:
        print_json(rows)
        return
    t = Table("id", "account 账号", "kind 类型", "status 状态", "when 时间", "due 期限", "record 记录")
    for g in rows:
        t.add_row(f"G-{g['guidance_id']}", g["account_id"], g["kind"], g["status"], g["created_at"][:16],
                  (g.get("due_at") or "")[:16], short(g["text"], 40))
    out.print(t)


@guidance_app.command("complete")
def complete_cmd(guidance_id: int, note: Annotated[Optional[str], typer.Option("--note")] = None, by: ByOpt = None,
                 home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Mark a correction order done."""
    from qinglang.services.guidance import complete_guidance

    g = complete_guidance(gov(home, db), guidance_id, by=actor(by), note=note)
    print_json(g) if json_out else out.print(f"G-{guidance_id} done. 整改完成。")


@guidance_app.command("revoke")
def revoke_cmd(guidance_id: int, reason: Annotated[str, typer.Option("--reason")] = "", by: ByOpt = None,
               home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Withdraw a record (e.g. a recognition)."""
    from qinglang.services.guidance import revoke_guidance

    g = revoke_guidance(gov(home, db), guidance_id, by=actor(by), reason=reason)
    print_json(g) if json_out else out.print(f"G-{guidance_id} revoked. 已撤销。")


def register(app: typer.Typer) -> None:
    app.add_typer(guidance_app, name="guidance")
