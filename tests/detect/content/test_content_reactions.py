"""Readers' reactions: a rumour model trained on posts with their first reposts' comments, used by
`screen --reaction`, by files with a `reactions` column and by `scan --only content`, which gathers
each post's reposts from the lake."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from qinglang.detect.content import classifier
from qinglang.detect.content.classifier import join_reactions
from qinglang.detect.content.pack import load_default_pack
from qinglang.detect.content.screener import Screener
from qinglang.entrypoints.cli.app import app as cli

DOUBT = ["假的吧", "求辟谣", "这是真的吗", "别传了，谣言", "官方都说不实了", "又是谣言"]
BELIEF = ["转发", "加油", "支持", "好消息", "恭喜", "太好了"]
TOPICS = ["市里的水厂", "明天的地铁", "本地的学校", "附近的医院", "新开的商场", "城东的公园"]


def corpus(n: int, seed: int):
    """Posts whose text says nothing about truth (same wording either way); only reactions differ."""
    rng = random.Random(seed)
    texts, labels, reactions = [], [], []
    for _ in range(n):
        rumour = rng.random() < 0.5
        texts.append(f"听说{rng.choice(TOPICS)}要有大变化了，第{rng.randint(1, 999)}条消息")
        labels.append("rumor" if rumour else "none")
        pool = DOUBT if rumour else BELIEF
        reactions.append([rng.choice(pool) + "！" for _ in range(rng.randint(3, 8))])
    return texts, labels, reactions


def test_join_reactions_keeps_the_comment_of_a_repost_in_a_canonical_order():
    assert join_reactions(["转发微博//@张三:原文", " 假的吧 "]) == "假的吧\n转发微博"
    assert join_reactions("假的吧 ||| 求辟谣") == join_reactions(["求辟谣", "假的吧"])
    assert join_reactions(None) == join_reactions([]) == join_reactions(["//@x:y"]) == ""
    assert len(join_reactions(["很长的评论" * 200] * 5)) == classifier.MAX_REACTION_CHARS


def test_a_reaction_model_judges_posts_that_have_reactions():
    sc = Screener(load_default_pack())
    texts, labels, reactions = corpus(200, seed=1)
    rules, norms = sc.rule_matrix(texts, with_norm=True)
    model = classifier.train(texts, labels, rules, sc.categories, norm_texts=norms,
                             reactions=sc.normalized_reactions(reactions))
    assert model.uses_reactions and set(model.reaction_models) == {"rumor"}
    t_te, l_te, r_te = corpus(80, seed=2)
    y = np.asarray([x == "rumor" for x in l_te])
    rm, nm = sc.rule_matrix(t_te, with_norm=True)
    with_r = model.predict(t_te, rm, norm_texts=nm, reactions=sc.normalized_reactions(r_te))["rumor"] >= 0.5
    text_only = model.predict(t_te, rm, norm_texts=nm)["rumor"] >= 0.5
    assert (with_r == y).mean() >= 0.95
    assert (text_only == y).mean() < 0.75  # the text alone carries no signal here
    # a post without reactions falls back to the text model
    mixed = sc.normalized_reactions([r_te[0], None])
    p = model.predict(t_te[:2], rm[:2], norm_texts=nm[:2], reactions=mixed)["rumor"]
    assert p[1] == model.predict(t_te[1:2], rm[1:2], norm_texts=nm[1:2])["rumor"][0]


def run(home: Path, *args: str):
    return CliRunner().invoke(cli, [*args, "--home", str(home)])


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_screen_and_scan_use_reactions(home, tmp_path):
    texts, labels, reactions = corpus(160, seed=3)
    f = tmp_path / "labels.jsonl"
    f.write_text("\n".join(json.dumps({"text": t, "category": c, "reactions": r}, ensure_ascii=False)
                           for t, c, r in zip(texts, labels, reactions)) + "\n", encoding="utf-8")
    res = run(home, "train", "content", "--labels", str(f), "--json")
    assert res.exit_code == 0, res.output
    assert "rumor" in json.loads(res.stdout)["reaction_models"]

    post = "听说城东的公园要有大变化了，新消息"
    doubted = json.loads(CliRunner().invoke(cli, ["screen", post, "--reaction", "假的吧！", "--reaction", "求辟谣！",
                                                  "--reaction", "又是谣言！", "--json", "--home", str(home)]).stdout)
    believed = json.loads(CliRunner().invoke(cli, ["screen", post, "--reaction", "太好了！", "--reaction", "支持！",
                                                   "--json", "--home", str(home)]).stdout)
    assert doubted["categories"].get("rumor", 0) >= 0.5
    assert doubted["signals"]["rumor"]["model_input"] == "post + reactions"
    assert believed["categories"].get("rumor", 0) < 0.5
    posts_file = tmp_path / "posts.csv"
    write_csv(posts_file, ["text", "reactions"], [[post, "假的吧！ ||| 求辟谣！ ||| 又是谣言！"], [post, ""]])
    out = [json.loads(x) for x in run(home, "screen", "--file", str(posts_file), "--json").stdout.splitlines()]
    assert out[0]["categories"].get("rumor", 0) >= 0.5

    # the lake: two posts with the same wording, one doubted and one cheered by its reposts
    snap = tmp_path / "snap"
    snap.mkdir()
    write_csv(snap / "accounts.csv", ["account_id", "nickname", "created_at"],
              [[f"u{i}", f"用户{i}", "2024-01-01T00:00:00"] for i in range(10)])
    rows = [["p1", "u0", "2024-03-01T08:00:00", post, ""], ["p2", "u1", "2024-03-01T08:00:00", post, ""]]
    for k, text in enumerate(["假的吧！", "求辟谣！", "又是谣言！", "这是真的吗！"]):
        rows.append([f"r1{k}", f"u{k + 2}", f"2024-03-01T09:0{k}:00", f"{text}//@用户0:{post}", "p1"])
    for k, text in enumerate(["太好了！", "支持！", "恭喜！"]):
        rows.append([f"r2{k}", f"u{k + 2}", f"2024-03-01T09:0{k}:00", f"{text}//@用户1:{post}", "p2"])
    write_csv(snap / "posts.csv", ["post_id", "account_id", "created_at", "text", "repost_of"], rows)
    res = run(home, "ingest", str(snap))
    assert res.exit_code == 0, res.output
    res = run(home, "scan", "--only", "content", "--json")
    assert res.exit_code == 0, res.output
    out_csv = tmp_path / "findings.csv"
    assert run(home, "export", "findings", "--out", str(out_csv)).exit_code == 0
    with open(out_csv, encoding="utf-8") as fh:
        found = {(r["subject_id"], r["category"]): r for r in csv.DictReader(fh) if r["kind"] == "content_violation"}
    assert float(found[("p1", "rumor")]["score"]) >= 0.5
    assert json.loads(found[("p1", "rumor")]["evidence"])["signals"]["model_input"] == "post + reactions"
    assert ("p2", "rumor") not in found or float(found[("p2", "rumor")]["score"]) < 0.5
