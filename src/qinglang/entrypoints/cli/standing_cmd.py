"""`qinglang standing ACCOUNT`: an account's strikes, limits in force, bans and credit score with its history."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from qinglang.entrypoints.cli.common import DbOpt, HomeOpt, JsonOpt, out, print_json
from qinglang.entrypoints.cli.gov_common import gov


def standing(account: Annotated[str, typer.Argument(help="The account.")], home: HomeOpt = None, db: DbOpt = None,
             json_out: JsonOpt = False) -> None:
    """Account standing (账号信用): strikes, current limits, bans, credit score and its history."""
    from qinglang.services.standing import account_standing

    s = account_standing(gov(home, db), account)
    if json_out:
        print_json(s)
        return
    out.print(f"[bold]{s['account_id']}[/]  tier 层级 {s['tier'] or '?'}  followers 粉丝 {s['followers'] if s['followers'] is not None else '?'}"
              f"{'  CLOSED 已关闭' if s['closed'] else ''}")
    out.print(f"Credit score 信用分: [bold]{s['credit_score']}[/]   active strike points 有效记分: {s['active_strike_points']}")
    if s["limits_in_force"]:
        for lim in s["limits_in_force"]:
            out.print(f"  in force 生效中: {lim['describe']} / {lim['describe_zh']} until {(lim['until'] or '')[:16]}")
    for b in s["bans"]:
        out.print(f"  re-registration ban 禁止重新注册: {'permanent 永久' if b['permanent'] else 'until ' + (b['until'] or '')[:16]}")
    if s["strikes"]:
        t = Table("sanction", "category 类别", "points 记分", "issued 记分时间", "expires 到期", "state 状态")
        for k in s["strikes"]:
            t.add_row(f"S-{k['sanction_id']}", k["category"], str(k["points"]), k["issued_at"][:10], k["expires_at"][:10], k["state"])
        out.print(t)
    if s["credit_history"]:
        t = Table("when 时间", "score 信用分", "why 原因")
        for p in s["credit_history"]:
            t.add_row(p["at"][:16], f"{p['score']:.0f}", p["reason"])
        out.print(t)
    for g in s["guidance"]:
        out.print(f"  guidance 指导 {g['kind']} {g['created_at'][:10]} {g['status']}: {g['text'][:60]}")
    nxt = s["next_case"]
    out.print(f"Next {nxt['category']} case 下次违规建议: " + "; ".join(
        f"{sev}: {v['kind']} {v['sanction'] or ''}" for sev, v in nxt["by_severity"].items()))


def register(app: typer.Typer) -> None:
    app.command("standing")(standing)
