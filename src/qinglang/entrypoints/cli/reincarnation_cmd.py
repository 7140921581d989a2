"""`qinglang check-registration`, `qinglang watchlist add|list`, `qinglang eval reincarnation`,
`qinglang train reincarnation`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from qinglang.entrypoints.cli.common import DbOpt, HomeOpt, JsonOpt, err, get_app, out, print_json, progress_bar
from qinglang.entrypoints.cli.groups import eval_app, train_app
from qinglang.errors import QinglangError

watchlist_app = typer.Typer(help="The watch list: persons or entities named by other authorities (e.g. tax-evasion "
                                 "notices); scans link accounts to it (watchlist_match findings). 监察名单。",
                            no_args_is_help=True)


def _read_requests(text: str) -> list:
    text = text.strip()
    if not text:
        raise QinglangError("stdin is empty: give one JSON object {nickname, avatar_hash, identities: [{kind, value}]}")
    try:
        return [json.loads(text)]
    except json.JSONDecodeError:
        pass
    reqs = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            reqs.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise QinglangError(f"stdin line {n}: not valid JSON ({e.msg}); give one JSON object per line") from None
    return reqs


def check_registration(
    home: HomeOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
    no_record: Annotated[bool, typer.Option("--no-record", help="Do not record this check (tests, dry runs).")] = False,
) -> None:
    """Check a new or renamed account (one JSON object on stdin) against the banned registry.

    Input: {"nickname": "...", "avatar_hash": "16 or 64 hex", "identities": [{"kind": "phone", "value": "raw"}]}
    (raw identity values are hashed like ingest). Several objects, one per line, give one result per line.
    Output: {decision: pass|review|block, ban_expired, matches: [{banned_account_id, score, evidence}]}.
    """
    from qinglang.services.registration import RegistrationService

    reqs = _read_requests(sys.stdin.read())
    app = get_app(home, db)
    app.workspace.require_lake()
    svc = RegistrationService(app, source="cli")
    results = []
    for k, req in enumerate(reqs):
        try:
            results.append(svc.check(req, record=not no_record))
        except QinglangError as e:
            where = f"stdin line {k + 1}: " if len(reqs) > 1 else "stdin: "
            raise QinglangError(where + str(e)) from None
    if json_out:
        for r in results:
            print_json(r)
        return
    for req, r in zip(reqs, results):
        label = {"pass": "pass 通过", "review": "review 人工复核", "block": "block 拦截"}[r["decision"]]
        out.print(f"{req.get('nickname')}: [bold]{label}[/]" + ("  (ban expired 封禁期已满)" if r["ban_expired"] else ""))
        if r["matches"]:
            t = Table("banned account 封禁账号", "nickname 昵称", "score 分数", "tier 等级", "ban until 封禁至", "top signals 主要信号")
            for m in r["matches"]:
                ev = m["evidence"]
                top = sorted((w for w in ev["waterfall"] if w["signal"] != "prior"), key=lambda w: -abs(w["weight"]))[:3]
                t.add_row(m["banned_account_id"], str(ev.get("banned_nickname") or ""), f"{m['score']:.3f}", ev["tier"],
                          str(ev.get("ban_until") or "permanent 永久"),
                          "; ".join(f"{w['signal']}: {w['level']} ({w['weight']:+.1f})" for w in top))
            out.print(t)


def watchlist_add(
    file: Annotated[Path, typer.Argument(help="CSV or JSONL: name, handles, kind, category, source, and raw identity "
                                              "values (phone, id_document, payment, email, device, ip), hashed at load.")],
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Add (or update, by entry_id) watch-list entries; the next scan links accounts to them."""
    from qinglang.services.watchlist import add

    if not file.exists():
        raise QinglangError(f"{file} does not exist")
    app = get_app(home)
    rep = add(app, file)
    if json_out:
        print_json(rep)
        return
    out.print(f"Watch list 监察名单: {rep['added']} added 新增, {rep['updated']} updated 更新, "
              f"{rep['entries']} entries in total 共计. Run `qinglang scan --only reincarnation` to match accounts.")


def watchlist_list(home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """List the watch-list entries (identity values are stored hashed and never shown)."""
    from qinglang.services.watchlist import list_entries

    rows = list_entries(get_app(home))
    if json_out:
        print_json(rows)
        return
    t = Table("entry_id", "name 名称", "kind", "category", "source 来源", "handles 账号名", "identities 身份")
    for r in rows:
        t.add_row(r["entry_id"], r["name"], r["kind"], r["category"], r.get("source") or "",
                  ", ".join(r.get("handles") or []), ", ".join(r["identity_kinds"]))
    out.print(t)


def eval_reincarnation(
    snapshot: Annotated[Optional[Path], typer.Option("--snapshot", help="A simulator snapshot folder with truth/ (default: simulate one).")] = None,
    accounts: Annotated[int, typer.Option("--accounts", help="Accounts to simulate.")] = 100_000,
    seed: Annotated[int, typer.Option("--seed", help="Simulator seed (developed on seed 7: evaluate on another).")] = 11,
    closed: Annotated[Optional[int], typer.Option("--closed", help="Closed accounts to simulate (default: the simulator's).")] = None,
    datasets: Annotated[Optional[Path], typer.Option("--datasets", help="The shared labelled data (default ../shared/datasets when present).")] = None,
    no_sim: Annotated[bool, typer.Option("--no-sim", help="Skip the simulator part.")] = False,
    no_linkage: Annotated[bool, typer.Option("--no-linkage", help="Skip the person-record linkage sets.")] = False,
    no_splink: Annotated[bool, typer.Option("--no-splink", help="Skip the Splink side-by-side runs.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Precision/recall/F1 on simulator truth (by difficulty, decoys, false matches per 10,000 innocent
    accounts) and on the linkage sets side by side with Splink (same records, same run)."""
    from qinglang.evaluation.reincarnation import evaluate, render

    if datasets is None:
        guess = Path.cwd().parent / "shared" / "datasets"
        datasets = guess if guess.is_dir() else None
    elif not datasets.is_dir():
        raise QinglangError(f"--datasets {datasets} is not a folder")
    with progress_bar("eval reincarnation", not json_out) as progress:
        res = evaluate(datasets=None if no_linkage else datasets, simulator=not no_sim, snapshot=snapshot,
                       accounts=accounts, seed=seed, closed=closed, splink=not no_splink, progress=progress,
                       linkage_skipped="--no-linkage" if no_linkage else None)
    if json_out:
        print_json(res)
        return
    render(res, out)


def train_reincarnation(
    labels: Annotated[Path, typer.Option("--labels", help="CSV new_account_id,banned_account_id (confirmed reincarnations).")],
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Calibrate the linkage model on confirmed reincarnations (m from labels instead of EM); later scans use it."""
    from qinglang.evaluation.reincarnation import train

    app = get_app(home)
    with progress_bar("train reincarnation", not json_out) as progress:
        rep = train(app, labels, progress=progress)
    if json_out:
        print_json(rep)
        return
    out.print(f"Trained on {rep['labelled']} confirmed reincarnations ({rep['found_by_blocking']} reached by blocking). "
              f"Saved to {rep['path']}. 模型已保存。")


def register(app: typer.Typer) -> None:
    app.command("check-registration")(check_registration)
    watchlist_app.command("add")(watchlist_add)
    watchlist_app.command("list")(watchlist_list)
    app.add_typer(watchlist_app, name="watchlist")
    eval_app.command("reincarnation")(eval_reincarnation)
    train_app.command("reincarnation")(train_reincarnation)


__all__ = ["register", "err"]
