"""The content commands end to end: screen (contract shape), policy, rumours, image banks, train,
and `scan --only content` over an ingested simulated platform."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qinglang.entrypoints.cli.app import app as cli


def run(home: Path, *args: str, input: str | None = None):
    return CliRunner().invoke(cli, [*args, "--home", str(home)], input=input)


def lines(res) -> list[dict]:
    return [json.loads(x) for x in res.stdout.splitlines() if x.strip()]


def test_screen_json_matches_the_data_contract(home):
    text = "你就是个傻*逼"
    res = run(home, "screen", text, "--json")
    assert res.exit_code == 0, res.output
    (r,) = lines(res)
    assert r["index"] == 0 and r["decision"] in ("pass", "review", "block")
    assert r["categories"]["abuse"] >= 0.5
    span = r["spans"][0]
    assert text[span["start"]:span["end"]] == span["matched"] == "傻*逼"
    assert span["term"] == "傻逼" and span["category"] == "abuse"
    assert r["normalized"] == "你就是个傻逼"


@pytest.mark.parametrize("suffix", [".txt", ".csv", ".jsonl"])
def test_screen_file_keeps_input_order(home, tmp_path, suffix):
    posts = ["今天天气很好", "同城约，包夜800", "加我vx abc12345"]
    f = tmp_path / f"posts{suffix}"
    if suffix == ".txt":
        f.write_text("\n".join(posts) + "\n", encoding="utf-8")
    elif suffix == ".csv":
        with open(f, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["id", "text"])
            w.writerows([[i, p] for i, p in enumerate(posts)])
    else:
        f.write_text("\n".join(json.dumps({"text": p}, ensure_ascii=False) for p in posts) + "\n", encoding="utf-8")
    res = run(home, "screen", "--file", str(f), "--json")
    assert res.exit_code == 0, res.output
    out = lines(res)
    assert [r["index"] for r in out] == [0, 1, 2]
    assert out[0]["decision"] == "pass"
    assert out[1]["categories"]["soft_porn"] >= 0.5


def test_screen_bad_input_exits_2_naming_the_problem(home, tmp_path):
    f = tmp_path / "posts.csv"
    f.write_text("id,body\n1,hello\n", encoding="utf-8")
    res = run(home, "screen", "--file", str(f))
    assert res.exit_code == 2
    assert "text" in res.output and "posts.csv" in res.output
    assert run(home, "screen").exit_code == 2
    assert run(home, "screen", "x", "--tier", "vip").exit_code == 2


def test_policy_validate_and_install(home, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("qinglang_policy: 1\nname: p\nversion: '1'\ncategories:\n  abuse:\n    terms: [坏蛋]\n    weight: 2\n",
                   encoding="utf-8")
    res = run(home, "policy", "validate", str(bad))
    assert res.exit_code == 1
    assert "line 7" in res.output and "bad.yaml" in res.output
    good = tmp_path / "good.yaml"
    good.write_text("qinglang_policy: 1\nname: mine\nversion: '1'\ncategories:\n  abuse:\n    terms: [坏蛋]\n"
                    "    weight: 0.95\ntests:\n  - {text: 你个坏蛋, expect: {abuse: block}}\n", encoding="utf-8")
    assert run(home, "policy", "validate", str(good)).exit_code == 0
    assert run(home, "policy", "test", str(good)).exit_code == 0
    assert run(home, "policy", "install", str(bad)).exit_code == 2  # refused, nothing installed
    assert run(home, "policy", "install", str(good)).exit_code == 0
    r = lines(run(home, "screen", "你个坏蛋", "--json"))[0]
    assert r["decision"] == "block"
    assert "abuse" not in lines(run(home, "screen", "你就是个傻逼", "--json"))[0]["categories"]
    assert run(home, "policy", "reset").exit_code == 0
    assert lines(run(home, "screen", "你就是个傻逼", "--json"))[0]["categories"]["abuse"] >= 0.5


def test_default_pack_passes_its_own_tests(home):
    res = run(home, "policy", "test")
    assert res.exit_code == 0, res.output


def test_rumour_base_matches_reposts_and_light_rewrites(home, tmp_path):
    f = tmp_path / "rumors.csv"
    f.write_text("id,text,source\nr1,吃完小龙虾再喝啤酒会中毒，已经有好几个人进医院了,辟谣平台\n", encoding="utf-8")
    res = run(home, "rumors", "add", str(f), "--json")
    assert res.exit_code == 0 and json.loads(res.stdout)["added"] == 1
    assert json.loads(run(home, "rumors", "add", str(f), "--json").stdout)["added"] == 0  # idempotent
    posts = ["转发微博//@小王: 吃完小龙虾再喝啤酒会中毒，已经有好几个人进医院了！！",
             "吃完小龍蝦再喝啤酒會中毒，已經有好几個人進醫院了",
             "小龙虾配啤酒真好吃"]
    out = [lines(run(home, "screen", p, "--json"))[0] for p in posts]
    assert out[0]["categories"]["rumor"] >= 0.5
    assert out[0]["signals"]["rumor"]["rumor_base"]["rumor_id"] == "r1"
    assert out[1]["categories"]["rumor"] >= 0.5
    assert out[2]["categories"].get("rumor", 0) < 0.5


def test_image_banks_match_by_hamming_distance(home, tmp_path):
    f = tmp_path / "bank.txt"
    f.write_text("ef0435dcb2a78e28\n", encoding="utf-8")
    res = run(home, "image-bank", "add", "porn1", str(f), "--kind", "phash", "--threshold", "8",
              "--category", "soft_porn", "--json")
    assert res.exit_code == 0, res.output
    near = "ef0435dcb2a78e2b"  # 2 bits away
    far = "10fbca234d5871d7"
    got = json.loads(run(home, "image-bank", "match", near, far, "--json").stdout)
    assert [g["image_hash"] for g in got] == [near]
    assert got[0]["distance"] == 2 and got[0]["category"] == "soft_porn"
    posts = tmp_path / "posts.jsonl"
    posts.write_text(json.dumps({"text": "今天的照片", "image_hashes": [near]}, ensure_ascii=False) + "\n", encoding="utf-8")
    r = lines(run(home, "screen", "--file", str(posts), "--json"))[0]
    assert r["categories"]["soft_porn"] >= 0.5
    bad = tmp_path / "bad.txt"
    bad.write_text("xyz\n", encoding="utf-8")
    res = run(home, "image-bank", "add", "porn1", str(bad))
    assert res.exit_code == 2 and "row 1" in res.output


def test_train_content_changes_later_screens(home, tmp_path):
    rows = []
    for i in range(60):
        rows.append((f"这个瓜皮{i}号真的是个臭瓜皮", "abuse"))
        rows.append((f"今天第{i}天去公园散步，天气很好", "none"))
    f = tmp_path / "labels.csv"
    with open(f, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "category"])
        w.writerows(rows)
    res = run(home, "train", "content", "--labels", str(f), "--json")
    assert res.exit_code == 0, res.output
    meta = json.loads(res.stdout)
    assert "abuse" in meta["categories"]
    r = lines(run(home, "screen", "你真是个臭瓜皮", "--json"))[0]
    assert r["categories"]["abuse"] >= 0.5
    assert "model" in r["signals"]["abuse"]
    assert lines(run(home, "screen", "今天去公园散步", "--json"))[0]["categories"].get("abuse", 0) < 0.5
    bad = tmp_path / "bad.csv"
    bad.write_text("text,category\nhello,spam\n", encoding="utf-8")
    res = run(home, "train", "content", "--labels", str(bad))
    assert res.exit_code == 2 and "row 1" in res.output


def test_scan_content_produces_findings(home, tmp_path):
    from qinglang.sim import SimConfig, simulate

    snap = tmp_path / "snap"
    simulate(SimConfig(out=snap, accounts=1500, seed=3))
    assert run(home, "ingest", str(snap)).exit_code == 0
    res = run(home, "scan", "--only", "content", "--json")
    assert res.exit_code == 0, res.output
    out = tmp_path / "findings.csv"
    assert run(home, "export", "findings", "--out", str(out)).exit_code == 0
    with open(out, encoding="utf-8") as fh:
        found = [r for r in csv.DictReader(fh) if r["kind"] == "content_violation"]
    assert found
    truth = {r["post_id"]: r["category"] for r in csv.DictReader(open(snap / "truth" / "posts.csv", encoding="utf-8"))}
    flagged = [r for r in found if float(r["score"]) >= 0.5]
    assert flagged
    correct = sum(truth.get(r["subject_id"]) == r["category"] for r in flagged)
    assert correct / len(flagged) >= 0.7
    ev = json.loads(flagged[0]["evidence"])
    assert ev["author"] and "spans" in ev and ev["tier"] in ("head", "large", "regular")
    # re-running the scan replaces, not duplicates
    assert run(home, "scan", "--only", "content", "--json").exit_code == 0
    assert run(home, "export", "findings", "--out", str(out)).exit_code == 0
    with open(out, encoding="utf-8") as fh:
        again = [r for r in csv.DictReader(fh) if r["kind"] == "content_violation"]
    assert len(again) == len(found)
