"""`qinglang audience`, `qinglang train fakefans`, `qinglang eval fakefans`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from qinglang.entrypoints.cli.common import HomeOpt, JsonOpt, err, get_app, out, print_json, progress_bar
from qinglang.entrypoints.cli.groups import eval_app, train_app
from qinglang.errors import InputError, QinglangError


def audience(
    account_id: Annotated[str, typer.Argument(help="The account whose followers to audit.")],
    html: Annotated[Optional[Path], typer.Option("--html", help="Also write a self-contained HTML report with charts.")] = None,
    sample: Annotated[int, typer.Option("--sample", help="Audit a uniform sample of this many followers when there are more.")] = 200_000,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Audience audit: fake-follower share with a 95% interval, quality score, bursts, lockstep groups."""
    from qinglang.services.audience import audit, write_html

    app = get_app(home)
    app.workspace.require_lake()
    rep = audit(app, account_id, sample=sample)
    if html:
        write_html(rep, html)
    if json_out:
        slim = {k: v for k, v in rep.items() if k not in ("scatter",)}
        print_json(slim)
        return
    lo, hi = rep["fake_share_ci"]
    out.print(f"Account 账号 {rep['account_id']} ({rep.get('nickname') or ''}): {rep['followers']:,} followers 粉丝")
    out.print(f"Fake share 虚假粉丝占比: {rep['fake_share'] * 100:.1f}% (95% CI {lo * 100:.1f}%–{hi * 100:.1f}%), "
              f"about {rep['fake_followers_estimate']:,} accounts")
    out.print(f"Quality score 质量分: {rep['quality_score']:.0f}/100  "
              + ", ".join(f"{k} {v:.2f}" for k, v in rep["components"].items()))
    out.print(f"Bursts 突增: {sum(1 for b in rep['bursts'] if b.get('score', 0) >= 0.5)}   "
              f"Lockstep groups 同步团伙: {len(rep['lockstep_groups'])}")
    if rep.get("note"):
        err.print(rep["note"])
    if html:
        out.print(f"HTML report 报告: {html}")


def train_fakefans(
    labels: Annotated[Path, typer.Option("--labels", help="CSV account_id,is_fake (0/1).")],
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Fit the fake-account model (LightGBM) on the platform's own labels; later scans use it."""
    from qinglang.detect.fakefans.training import train

    app = get_app(home)
    with progress_bar("train fakefans", not json_out) as progress:
        rep = train(app, labels, progress=progress)
    if json_out:
        print_json(rep)
        return
    out.print(f"Trained on {rep['labelled']:,} labelled accounts ({rep['fakes']:,} fake); "
              f"cross-validated F1 {rep['cv_f1']}, AUC {rep['cv_auc']}. Saved to {rep['path']}. 模型已保存。")


def eval_fakefans(
    snapshot: Annotated[Optional[Path], typer.Option("--snapshot", help="A simulator snapshot folder with truth/ (default: simulate one).")] = None,
    accounts: Annotated[int, typer.Option("--accounts", help="Accounts to simulate.")] = 100_000,
    seed: Annotated[int, typer.Option("--seed", help="Simulator seed (the detectors were tuned on seed 7: evaluate on another).")] = 11,
    follow_order: Annotated[str, typer.Option("--follow-order", help="time, rank or both.")] = "time",
    datasets: Annotated[Optional[Path], typer.Option("--datasets", help="The shared labelled data (default ../shared/datasets when present).")] = None,
    no_sim: Annotated[bool, typer.Option("--no-sim", help="Skip the simulator part.")] = False,
    no_datasets: Annotated[bool, typer.Option("--no-datasets", help="Skip the real labelled sets.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Precision, recall, F1 and AUC on simulator truth and the real labelled sets."""
    from qinglang.evaluation.fakefans import evaluate

    if follow_order not in ("time", "rank", "both"):
        raise QinglangError(f"--follow-order must be time, rank or both, not {follow_order!r}")
    if snapshot is not None and not snapshot.is_dir():
        raise QinglangError(f"--snapshot {snapshot} is not a folder")
    if datasets is None:
        guess = Path.cwd().parent / "shared" / "datasets"
        datasets = guess if guess.is_dir() else None
    elif not datasets.is_dir():
        raise QinglangError(f"--datasets {datasets} is not a folder")
    with progress_bar("eval fakefans", not json_out) as progress:
        res = evaluate(None if no_datasets else datasets, simulator=not no_sim, snapshot=snapshot, accounts=accounts,
                       seed=seed, follow_order=follow_order, progress=progress)
    if json_out:
        print_json(res)
        return
    print_summary(res)


def _cv_rows(t, name: str, r: dict, target: str) -> None:
    rep = r["repeated"]
    t.add_row(name, f"trainable 5-fold CV F1 (AUC), seed {r['fold_seed']}: qinglang vs forest",
              f"{r['qinglang_f1']:.4f} ({r['qinglang_auc']}) vs {r['random_forest_f1']:.4f} ({r['random_forest_auc']})", "")
    t.add_row("", f"mean F1, {len(rep['fold_seeds'])} fold seeds 重复交叉验证",
              f"{rep['qinglang_f1_mean']:.4f} ± {rep['qinglang_f1_sd']:.4f} vs "
              f"{rep['random_forest_f1_mean']:.4f} ± {rep['random_forest_f1_sd']:.4f} "
              f"(ahead {rep['qinglang_ahead']}/{len(rep['fold_seeds'])})", target)


def print_summary(res: dict) -> None:
    from rich.table import Table

    t = Table(title="eval fakefans 虚假粉丝检测评估", show_lines=False)
    for c in ("data 数据", "measure 指标", "value 数值", "target 目标"):
        t.add_column(c)
    sim = res.get("simulator")
    if sim:
        name = f"simulator seed {sim['seed']}, {sim['accounts']:,} accounts, {sim['follow_order']}"
        if sim.get("development_seed"):
            name += " (development seed)"
        fa = sim["fake_account"]
        t.add_row(name, "fake_account P / R / F1 @0.5", f"{fa['precision']:.4f} / {fa['recall']:.4f} / {fa['f1']:.4f}", "F1 >= 0.95")
        t.add_row("", "fake_account AUC", f"{fa['auc']}", "")
        t.add_row("", "dormant genuine flagged 沉睡真实粉丝误判", f"{sim['dormant_flagged'] * 100:.2f}%", "< 2%")
        lk = sim["lockstep"]
        t.add_row("", "lockstep best-match Jaccard (mean) 同步团伙", f"{lk['mean_best_jaccard']:.4f} ({lk['groups']} groups / {lk['farms']} farms)", ">= 0.9")
        b = sim["bursts"]
        t.add_row("", "purchases with a burst window 突增窗口", f"{b['recall'] * 100:.1f}% ({b['found']}/{b['purchases']})", ">= 95%")
        e = sim["engagement_fraud"]
        t.add_row("", "engagement_fraud P / R / F1 刷量", f"{e['precision']:.4f} / {e['recall']:.4f} / {e['f1']:.4f}", "F1 >= 0.9")
    for name in ("instafake", "weibo-microblogpcu"):
        r = res.get(name)
        if r:
            _cv_rows(t, name, r, ">= random forest")
    c = res.get("cresci15-e13-int")
    if c:
        u = c["unsupervised"]
        t.add_row("cresci15-e13-int", "unsupervised via ingest: AUC, F1 @0.5", f"{u['auc']}, {u['f1']:.4f}", "smoke test")
        _cv_rows(t, "", c["trainable_cv_on_lake_features"], "(reference)")
    y = res.get("yelpchi")
    if y:
        share = y["raised_spam_user_share"]
        t.add_row("yelpchi", "lockstep groups raised (spam share vs base)",
                  f"{y['lockstep_groups_raised']} ({'-' if share is None else f'{share:.3f}'} vs {y['base_spam_user_share']:.3f})",
                  "few or none")
        for b in y["densest_blocks_not_raised"][:3]:
            t.add_row("", "densest block (not raised): users x products, spam share",
                      f"{b['users']} x {b['products']}, {b['spam_user_share']:.3f}", "")
    out.print(t)
    for name, why in (res.get("skipped") or {}).items():
        err.print(f"skipped {name}: {why}")


def register(app: typer.Typer) -> None:
    app.command("audience")(audience)
    train_app.command("fakefans")(train_fakefans)
    eval_app.command("fakefans")(eval_fakefans)


__all__ = ["register", "InputError"]
