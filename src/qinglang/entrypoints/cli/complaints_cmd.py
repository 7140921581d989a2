"""`qinglang complaints ...`: netizen complaints (举报): add, list, show, handle."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from qinglang.entrypoints.cli.common import DbOpt, HomeOpt, JsonOpt, out, print_json
from qinglang.entrypoints.cli.gov_common import ByOpt, actor, gov, short

complaints_app = typer.Typer(help="Netizen complaints (举报): intake, acknowledgement, deadline, outcome to the complainant.", no_args_is_help=True)


@complaints_app.command("add")
def add_cmd(account: Annotated[str, typer.Argument(help="The reported account.")],
            reporter: Annotated[str, typer.Option("--reporter", help="Who complains (their account id).")],
            category: Annotated[Optional[str], typer.Option("--category")] = None,
            text: Annotated[Optional[str], typer.Option("--text")] = None,
            post: Annotated[Optional[str], typer.Option("--post", help="The reported post.")] = None,
            report_id: Annotated[Optional[str], typer.Option("--report-id", help="The platform's id of the report (makes intake idempotent).")] = None,
            by: ByOpt = None, home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Take in a complaint: recorded, acknowledged to the complainant, weighed with others about the account."""
    from qinglang.services.complaints import submit_complaint

    c = submit_complaint(gov(home, db), reporter_id=reporter, account_id=account, category=category, text=text,
                         post_id=post, report_id=report_id, by=actor(by))
    if json_out:
        print_json(c)
        return
    if c.get("duplicate"):
        out.print(f"Report {report_id} was already taken in as complaint {c.get('complaint_id')}. 该举报已受理。")
        return
    out.print(f"Complaint 举报 R-{c['complaint_id']} received and acknowledged; due 处理期限 {c['due_at'][:16]}."
              + (f" Linked to case {c['case_id']}." if c.get("case_id") else ""))


@complaints_app.command("list")
def list_cmd(status: Annotated[Optional[str], typer.Option("--status", help="received or handled.")] = None,
             account: Annotated[Optional[str], typer.Option("--account")] = None,
             overdue: Annotated[bool, typer.Option("--overdue", help="Unhandled past their deadline.")] = False,
             limit: Annotated[int, typer.Option("--limit")] = 100,
             home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    from qinglang.services.complaints import list_complaints

    rows = list_complaints(gov(home, db), status=status, account_id=account, overdue=overdue, limit=limit)
    if json_out:
        print_json(rows)
        return
    t = Table("complaint", "account 账号", "reporter 举报人", "category 类别", "status 状态", "due 期限", "case", "text")
    for c in rows:
        t.add_row(f"R-{c['complaint_id']}", c["account_id"], c["reporter_id"], c["category"], c["status"],
                  c["due_at"][:16], str(c.get("case_id") or ""), short(c.get("text"), 30))
    out.print(t)


@complaints_app.command("show")
def show_cmd(complaint_id: int, home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    from qinglang.services.complaints import show_complaint

    c = show_complaint(gov(home, db), complaint_id)
    print_json(c) if json_out else out.print(c)


@complaints_app.command("handle")
def handle_cmd(complaint_id: int,
               outcome: Annotated[str, typer.Option("--outcome", help="sanctioned, guidance or dismissed.")],
               note: Annotated[Optional[str], typer.Option("--note", help="Added to the answer.")] = None,
               by: ByOpt = None, home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Close a complaint by hand; the complainant is told the outcome."""
    from qinglang.services.complaints import handle_complaint

    c = handle_complaint(gov(home, db), complaint_id, by=actor(by), outcome=outcome, note=note)
    print_json(c) if json_out else out.print(f"Complaint R-{complaint_id} handled: {outcome}. 已处理并告知举报人。")


def register(app: typer.Typer) -> None:
    app.add_typer(complaints_app, name="complaints")
