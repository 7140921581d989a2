"""`qinglang eval content`: the simulated set (always) and a real set (when ../shared/datasets is present)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from qinglang.entrypoints.cli.app import app as cli
from qinglang.evaluation.content import eval_sim


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory):
    from qinglang.sim import SimConfig, simulate

    d = tmp_path_factory.mktemp("sim")
    simulate(SimConfig(out=d, accounts=3000, seed=11))
    return d


def test_eval_on_simulated_posts_reports_disguised_and_undisguised(sim_dir):
    rows = {r["category"]: r for r in eval_sim(sim_dir)["rows"]}
    assert rows["any (violating vs not)"]["precision"] >= 0.8
    assert rows["any (violating vs not)"]["recall"] >= 0.5
    dis, undis = rows["disguised posts"], rows["same posts undisguised"]
    assert dis["n"] == undis["n"] > 0
    # disguise costs little: the normaliser and the pinyin channel undo most of it
    assert dis["recall"] >= undis["recall"] - 0.15
    assert any(k.startswith("disguise: ") for k in rows)


def test_eval_cli_json(sim_dir, home):
    res = CliRunner().invoke(cli, ["eval", "content", "--only", "sim", "--sim", str(sim_dir), "--json",
                                   "--home", str(home)])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)
    assert {"set", "category", "precision", "recall", "f1"} <= set(rep["rows"][0])
    bad = CliRunner().invoke(cli, ["eval", "content", "--only", "nope", "--home", str(home)])
    assert bad.exit_code == 2


def test_eval_on_a_real_set(shared_datasets):
    from qinglang.detect.content.pack import load_default_pack
    from qinglang.detect.content.screener import Screener
    from qinglang.evaluation.content import eval_ced

    rows = eval_ced(shared_datasets, Screener(load_default_pack()), seed=13, limit=800, folds=3)
    r = rows[0]
    assert r["n"] == 800
    assert r["f1"] is not None and r["f1"] > 0.6
