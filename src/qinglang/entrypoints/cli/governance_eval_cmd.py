"""`qinglang eval governance`: the case policy measured on simulator truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from qinglang.entrypoints.cli.common import JsonOpt, out, print_json, progress_bar
from qinglang.entrypoints.cli.groups import eval_app


def eval_governance(
    snapshot: Annotated[Optional[Path], typer.Option("--snapshot", help="A simulated snapshot folder with truth/ (default: simulate one).")] = None,
    accounts: Annotated[int, typer.Option("--accounts", help="Accounts to simulate when no --snapshot is given.")] = 5000,
    seed: Annotated[int, typer.Option("--seed")] = 1,
    json_out: JsonOpt = False,
) -> None:
    """Scan a simulated platform end to end and compare the cases opened with its truth."""
    from qinglang.evaluation.governance import evaluate

    with progress_bar("eval governance", not json_out) as progress:
        r = evaluate(snapshot, accounts, seed, progress)
    if json_out:
        print_json(r)
        return
    t = Table("category 类别", "cases 案件", "violators 违规账号", "precision", "recall", "recall head", "recall large")
    fmt = lambda v: "" if v is None else f"{v:.3f}"  # noqa: E731
    for cat, row in r["by_category"].items():
        t.add_row(cat, str(row["cases"]), str(row["violators"]), fmt(row["precision"]), fmt(row["recall"]),
                  fmt(row["recall_head"]), fmt(row["recall_large"]))
    out.print(t)
    o, a, c = r["overall"], r["automated"], r["complaints"]
    out.print(f"Overall 总体: {o['cases']} cases, precision {o['precision']:.3f}, recall {o['recall']:.3f}, "
              f"head-account recall {o['recall_head']:.3f}")
    out.print(f"Automated 自动处置: {a['decisions']} decisions, precision {fmt(a['precision'])}, head closures {a['head_closures']}")
    out.print(f"Complaints 举报: {c['cases_opened']} cases opened by complaints, precision {fmt(c['precision_any_violation'])}; "
              f"mass-reporting targets {c['mass_report_targets']}, of which given a case by complaints "
              f"{c['mass_report_targets_with_complaint_case']}")


def register(app: typer.Typer) -> None:
    eval_app.command("governance")(eval_governance)
