"""`qinglang cases ...`: the review queue: list, show, claim, release, decide, open, note, reassign, queue, policy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, List, Optional

import typer
import yaml
from rich.table import Table

from qinglang.entrypoints.cli.common import DbOpt, HomeOpt, JsonOpt, err, out, print_json
from qinglang.entrypoints.cli.gov_common import ByOpt, actor, gov, short, split_list
from qinglang.errors import QinglangError

cases_app = typer.Typer(help="Review cases (案件): queue, claim, decide, second review, notes, referrals.", no_args_is_help=True)

ReviewerOpt = Annotated[Optional[str], typer.Option("--reviewer", help="The reviewer acting (default $QINGLANG_ACTOR or your login name).", show_default=False)]


def _print_case_row_table(rows: list[dict]) -> None:
    t = Table("case", "account 账号", "category 类别", "tier 层级", "severity 严重度", "status 状态", "priority", "due 期限", "claimed by 认领")
    for c in rows:
        due = (c.get("due_at") or "")[:16] + (" ⚠" if c.get("overdue") else "")
        status = c["status"] + (" (2nd)" if c.get("stage") == "second_review" else "")
        t.add_row(str(c["case_id"]), c["account_id"], c["category"], c["tier"], c["severity"], status,
                  str(c["priority"]), due, c.get("claimed_by") or "")
    out.print(t)


def _print_case(c: dict) -> None:
    out.print(f"[bold]Case 案件 {c['case_id']}[/]  {c['account_id']}  {c['category']}  tier {c['tier']}  "
              f"severity {c['severity']}  status {c['status']} ({c['stage']})")
    out.print(f"  opened 开启 {c['opened_at'][:19]} by {c.get('opened_by') or ''} ({c['source']}{' ' + c['source_ref'] if c.get('source_ref') else ''}); "
              f"due 期限 {(c.get('due_at') or '')[:19]}{'  OVERDUE 已超期' if c.get('overdue') else ''}")
    if c.get("claimed_by"):
        out.print(f"  claimed by 认领人 {c['claimed_by']} until {(c.get('lease_until') or '')[:19]}")
    if c.get("proposal"):
        out.print(f"  awaiting second review 待复核: {c.get('first_reviewer')} proposed {c['proposal'].get('kind')} "
                  f"{c['proposal'].get('sanction') or ''}")
    sug = c.get("suggested_now")
    if sug:
        out.print(f"  suggested now 建议处置: {sug['kind']} {sug.get('sanction') or ''} — {sug['note']}")
    if c.get("decision"):
        out.print(f"  decision 决定: {c['outcome']} {c['decision']} by {c.get('decided_by')}"
                  f"{' + ' + c['second_reviewer'] if c.get('second_reviewer') else ''}{' (automated 自动)' if c.get('automated') else ''}")
    if c.get("findings"):
        t = Table("kind", "subject", "related", "score", "evidence 证据")
        for f in c["findings"][:30]:
            t.add_row(f["kind"], f["subject_id"], f["related_id"], f"{f['score']:.3f}", short(f.get("evidence"), 70))
        out.print(t)
    if c.get("complaints"):
        out.print(f"  complaints 举报: {len(c['complaints'])} (weight {c.get('complaint_weight')})")
    for n in c.get("notes", []):
        out.print(f"  note {n['at'][:16]} {n['author']}: {n['text']}")
    for h in c.get("history", []):
        out.print(f"  [dim]#{h['seq']} {h['at'][:19]} {h['actor']} {h['action']} {short(h['reason'], 60)}[/]")


@cases_app.command("list")
def list_cmd(
    status: Annotated[Optional[List[str]], typer.Option("--status", help="open, claimed, resolved (repeat or comma-separate).")] = None,
    category: Annotated[Optional[str], typer.Option("--category")] = None,
    severity: Annotated[Optional[str], typer.Option("--severity", help="low, medium, high, critical.")] = None,
    account: Annotated[Optional[str], typer.Option("--account")] = None,
    reviewer: Annotated[Optional[str], typer.Option("--reviewer", help="Cases claimed by this reviewer.")] = None,
    tier: Annotated[Optional[str], typer.Option("--tier")] = None,
    stage: Annotated[Optional[str], typer.Option("--stage", help="review or second_review.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only unresolved cases past their deadline (SLA).")] = False,
    limit: Annotated[int, typer.Option("--limit")] = 100,
    offset: Annotated[int, typer.Option("--offset")] = 0,
    home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False,
) -> None:
    """List cases, most urgent first (a JSON list with --json)."""
    from qinglang.services.cases import list_cases

    rows = list_cases(gov(home, db), status=split_list(status), category=category, severity=severity, account_id=account,
                      claimed_by=reviewer, tier=tier, overdue=overdue, stage=stage, limit=limit, offset=offset)
    if json_out:
        print_json(rows)
        return
    _print_case_row_table(rows)
    out.print(f"{len(rows)} case(s) 案件")


@cases_app.command("show")
def show_cmd(case_id: int, home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """A case with its findings, complaints, notes, sanctions, suggestion and history."""
    from qinglang.services.cases import show_case

    c = show_case(gov(home, db), case_id)
    if json_out:
        print_json(c)
    else:
        _print_case(c)


@cases_app.command("claim")
def claim_cmd(
    case_id: Annotated[Optional[int], typer.Argument(help="The case to claim (or --next).")] = None,
    next_: Annotated[bool, typer.Option("--next", help="Take the most urgent case you may take.")] = False,
    reviewer: ReviewerOpt = None,
    category: Annotated[Optional[List[str]], typer.Option("--category", help="With --next: only these categories.")] = None,
    severity: Annotated[Optional[List[str]], typer.Option("--severity", help="With --next: only these severities.")] = None,
    tier: Annotated[Optional[str], typer.Option("--tier", help="With --next: only this tier.")] = None,
    home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False,
) -> None:
    """Claim a case with a lease (others cannot take it until you decide, release, or the lease lapses)."""
    from qinglang.services.cases import claim_case

    if (case_id is None) == (not next_):
        raise QinglangError("give a CASE_ID or --next (not both)")
    c = claim_case(gov(home, db), reviewer=actor(reviewer), case_id=case_id, categories=split_list(category),
                   severities=split_list(severity), tier=tier)
    if json_out:
        print_json(c)
        if c is None:
            err.print("The queue has no case you may take. 队列中没有可认领的案件。")
        return
    if c is None:
        out.print("The queue has no case you may take. 队列中没有可认领的案件。")
        return
    _print_case(c)


@cases_app.command("release")
def release_cmd(case_id: int, reviewer: ReviewerOpt = None,
                reason: Annotated[str, typer.Option("--reason")] = "",
                home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Give a claimed case back to the queue."""
    from qinglang.services.cases import release_case

    c = release_case(gov(home, db), case_id, actor(reviewer), reason)
    print_json(c) if json_out else out.print(f"Case {case_id} is back in the queue. 案件已退回队列。")


@cases_app.command("decide")
def decide_cmd(
    case_id: int,
    reviewer: ReviewerOpt = None,
    action: Annotated[Optional[str], typer.Option("--action", help="dismiss, guidance, warning, limit, suspend, close, or suggested (the ladder's proposal).")] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (required; shown in the audit log and the notice).")] = "",
    days: Annotated[Optional[int], typer.Option("--days", help="Length of a limit or suspension.")] = None,
    features: Annotated[Optional[List[str]], typer.Option("--features", help="Limit: no_new_followers, no_monetisation, no_live_streaming, derank.")] = None,
    ban_days: Annotated[Optional[int], typer.Option("--ban-days", help="Close: re-registration ban in days (0 = permanent).")] = None,
    evidence: Annotated[Optional[str], typer.Option("--evidence", help="Evidence the reviewer adds (links, screenshots' ids).")] = None,
    corrections: Annotated[Optional[str], typer.Option("--corrections", help="Corrections the account must make (a correction order with a deadline).")] = None,
    cleanup: Annotated[Optional[bool], typer.Option("--cleanup/--no-cleanup", help="Remove the fake followers found (default: per category policy, on for fake_fans).")] = None,
    confirm: Annotated[bool, typer.Option("--confirm", help="Second review: confirm the first reviewer's decision.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="Second review: reject it (the case returns to review).")] = False,
    home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False,
) -> None:
    """Decide a case you claimed (closing a head account goes to a second reviewer)."""
    from qinglang.services.cases import decide_case

    c = decide_case(gov(home, db), case_id, reviewer=actor(reviewer), action=action, reason=reason, days=days,
                    features=split_list(features), ban_days=ban_days, evidence=evidence, corrections=corrections,
                    cleanup=cleanup, confirm=confirm, reject=reject)
    if json_out:
        print_json(c)
        return
    out.print(f"Case {case_id}: {c['result']}")
    _print_case(c)


@cases_app.command("open")
def open_cmd(
    account: Annotated[str, typer.Argument(help="The account the case is about.")],
    category: Annotated[str, typer.Option("--category", help="fake_fans, reincarnation, heroes_martyrs, rumor, soft_porn, vulgar_marketing, illegal_conduct, abuse, other.")],
    reason: Annotated[str, typer.Option("--reason", help="What the case is about.")] = "",
    source: Annotated[str, typer.Option("--source", help="manual, or referral (交办) from a regulator or other authority.")] = "manual",
    ref: Annotated[Optional[str], typer.Option("--ref", help="The referral's reference (document number).")] = None,
    severity: Annotated[Optional[str], typer.Option("--severity", help="low, medium, high, critical (default: the category's).")] = None,
    tier: Annotated[Optional[str], typer.Option("--tier", help="The account's tier if the lake does not know it.")] = None,
    by: ByOpt = None, home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False,
) -> None:
    """Open a case by hand, e.g. on a referral (交办); attaches to the account's open case in that category if any."""
    from qinglang.services.cases import open_case

    c = open_case(gov(home, db), account_id=account, category=category, by=actor(by), reason=reason, source=source,
                  source_ref=ref, severity=severity, tier=tier)
    if json_out:
        print_json(c)
        return
    out.print(("Attached to open case " if c["attached_to_existing"] else "Opened case ") + str(c["case_id"]))
    _print_case(c)


@cases_app.command("note")
def note_cmd(case_id: int, text: Annotated[str, typer.Option("--text")] = "", by: ByOpt = None,
             home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Add a note to a case."""
    from qinglang.services.cases import add_note

    n = add_note(gov(home, db), case_id, author=actor(by), text=text)
    print_json(n) if json_out else out.print(f"Note {n['note_id']} added to case {case_id}. 已添加备注。")


@cases_app.command("reassign")
def reassign_cmd(case_id: int, to: Annotated[str, typer.Option("--to", help="The reviewer who takes the case.")],
                 reason: Annotated[str, typer.Option("--reason")] = "", by: ByOpt = None,
                 home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Hand a case to another reviewer (claimed for them with a fresh lease)."""
    from qinglang.services.cases import reassign_case

    c = reassign_case(gov(home, db), case_id, to=to, by=actor(by), reason=reason)
    print_json(c) if json_out else out.print(f"Case {case_id} is now with {to}. 已改派。")


@cases_app.command("queue")
def queue_cmd(home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Unresolved cases by category, severity and status, and how many are overdue."""
    from qinglang.services.cases import queue_counts

    q = queue_counts(gov(home, db))
    if json_out:
        print_json(q)
        return
    t = Table("category 类别", "severity 严重度", "status 状态", "cases 案件数")
    for r in q["queues"]:
        t.add_row(r["category"], r["severity"], r["status"], str(r["n"]))
    out.print(t)
    out.print(f"Overdue 超期: {q['overdue']}")


@cases_app.command("policy")
def policy_cmd(check: Annotated[Optional[Path], typer.Option("--check", help="Validate this case-policy file (merged over the default) instead of showing the one in force.")] = None,
               home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Show the case policy in force (default merged with <home>/governance/case_policy.yaml), or --check a file."""
    from qinglang.config import resolve_home
    from qinglang.services.governance import load_case_policy

    if check is not None:
        try:
            load_case_policy(None, check)
        except QinglangError as e:  # a failed check exits 1, like `audit verify`
            typer.echo(f"qinglang: check failed: {e}", err=True)
            raise typer.Exit(1)
        out.print(f"{check}: valid case policy. 案件策略有效。")
        return
    p = load_case_policy(resolve_home(home))
    if json_out:
        print_json(p.as_dict())
    else:
        out.print(f"# source: {p.source}")
        out.print(yaml.safe_dump(p.as_dict(), allow_unicode=True, sort_keys=False), markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(cases_app, name="cases")
