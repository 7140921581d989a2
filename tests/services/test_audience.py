"""`qinglang audience`: the audit of one account's followers on a small scanned platform (detection itself is
tested in tests/detect/fakefans/)."""

import json

import numpy as np
import pyarrow.csv as pcsv
import pytest

from qinglang.errors import QinglangError


@pytest.fixture()
def scanned(fakefans_platform):
    app, truth, _ = fakefans_platform
    return app, truth


def _truth(truth):
    t = pcsv.read_csv(truth / "fake_accounts.csv").to_pydict()
    return {a: (f == 1, r) for a, f, r in zip(t["account_id"], t["is_fake"], t["role"])}


def test_audit_interval_contains_true_share_and_html_renders(scanned, tmp_path):
    from qinglang.services.audience import audit, write_html

    app, truth = scanned
    bursts = pcsv.read_csv(truth / "bursts.csv").to_pydict()
    buyer = max(set(bursts["account_id"]), key=bursts["account_id"].count)
    rep = audit(app, buyer)
    eng = app.engine()
    fol = eng.sql(f"SELECT follower_id FROM follows WHERE followee_id = '{buyer}'").column(0).to_pylist()
    eng.close()
    tr = _truth(truth)
    true_share = np.mean([tr[a][0] for a in fol])
    lo, hi = rep["fake_share_ci"]
    assert lo <= true_share <= hi
    assert 0 <= rep["quality_score"] <= 100 and set(rep["components"]) >= {"real_followers", "organic_growth"}
    assert rep["bursts"] and rep["lockstep_groups"]
    out = tmp_path / "r.html"
    write_html(rep, out)
    text = out.read_text(encoding="utf-8")
    assert text.count("<svg") == 3 and "<script src" not in text and "http" not in text.split("<body>")[1][:200]


def test_bad_input_gives_clear_messages(scanned):
    from qinglang.services.audience import audit

    app, _ = scanned
    with pytest.raises(QinglangError, match="no account 'nobody'"):
        audit(app, "nobody")
    eng = app.engine()
    lonely = eng.sql("SELECT account_id FROM accounts WHERE account_id NOT IN (SELECT followee_id FROM follows) LIMIT 1").column(0)[0].as_py()
    eng.close()
    with pytest.raises(QinglangError, match="no followers"):
        audit(app, lonely)


def _followers(app, account):
    eng = app.engine()
    try:
        return eng.sql(f"SELECT follower_id FROM follows WHERE followee_id = '{account}'").column(0).to_pylist()
    finally:
        eng.close()


def test_intervals_contain_the_true_fake_share_across_accounts_and_when_sampled(scanned):
    from qinglang.services.audience import audit

    app, truth = scanned
    tr = _truth(truth)
    eng = app.engine()
    try:
        top = eng.sql("SELECT followee_id, count(*) AS n FROM follows GROUP BY 1 ORDER BY n DESC, 1 LIMIT 25").column(0).to_pylist()
    finally:
        eng.close()
    inside = 0
    for acc in top:
        rep = audit(app, acc)
        share = np.mean([tr[a][0] for a in _followers(app, acc)])
        inside += rep["fake_share_ci"][0] <= share <= rep["fake_share_ci"][1]
    assert inside >= 0.9 * len(top)
    rep = audit(app, top[0], sample=300)  # a huge account is audited on a uniform sample
    share = np.mean([tr[a][0] for a in _followers(app, top[0])])
    assert rep["sampled"] and rep["audited"] == 300 and rep["fake_share_ci"][0] <= share <= rep["fake_share_ci"][1]


def test_bought_audiences_score_lower_than_organic_ones(scanned):
    from qinglang.services.audience import audit

    app, truth = scanned
    bt = pcsv.read_csv(truth / "bursts.csv").to_pydict()
    tr = pcsv.read_csv(truth / "fake_accounts.csv").to_pydict()
    buyers = set(bt["account_id"])
    heads = [a for a, h in zip(tr["account_id"], tr["is_head"]) if h == 1]
    organic = [a for a in heads if a not in buyers][:5]
    bought = sorted(buyers & set(heads), key=bt["account_id"].count, reverse=True)[:5]
    q_org = [audit(app, a)["quality_score"] for a in organic]
    q_bought = [audit(app, a)["quality_score"] for a in bought]
    assert min(q_org) > max(q_bought)


def test_audience_command_json_and_html(scanned, tmp_path):
    from typer.testing import CliRunner

    from qinglang.entrypoints.cli.app import app as cli

    app, truth = scanned
    bt = pcsv.read_csv(truth / "bursts.csv").to_pydict()
    buyer = bt["account_id"][0]
    html = tmp_path / "audit.html"
    res = CliRunner().invoke(cli, ["audience", buyer, "--json", "--html", str(html), "--home", str(app.workspace.home)])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)
    assert {"fake_share", "fake_share_ci", "quality_score", "components", "bursts", "lockstep_groups"} <= set(rep)
    assert html.exists() and html.read_text(encoding="utf-8").count("<svg") == 3
    res = CliRunner().invoke(cli, ["audience", "nobody", "--home", str(app.workspace.home)])
    assert res.exit_code == 2 and "no account 'nobody'" in res.output
