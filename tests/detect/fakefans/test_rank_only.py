"""Exports with follow order but no follow times (follow_order="rank"): the whole fake-fan path still works."""

from __future__ import annotations

import json

import pytest

from qinglang.bootstrap import build


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    from qinglang.lake.ingest import ingest
    from qinglang.services.scan import run_scan
    from qinglang.sim import SimConfig, simulate

    root = tmp_path_factory.mktemp("ff-rank")
    snap = root / "snap"
    simulate(SimConfig(out=snap, accounts=8000, seed=5, follow_order="rank"))
    app = build(root / "ws")
    ingest(app.settings, snap)
    eng = app.engine()
    try:
        counts = eng.sql("SELECT count(followed_at) AS t, count(follow_rank) AS r FROM follows").to_pylist()[0]
    finally:
        eng.close()
    assert counts["t"] == 0 and counts["r"] > 0  # the snapshot really has ranks only
    run_scan(app, only="fakefans")
    return app, snap / "truth"


def test_fakes_farms_and_purchases_are_found_from_follow_ranks(platform):
    from qinglang.evaluation.fakefans import simulator_metrics

    app, truth = platform
    m = simulator_metrics(app.findings.read(), truth)
    assert m["fake_account"]["f1"] >= 0.93, m["fake_account"]
    assert m["dormant_flagged"] < 0.02
    assert m["lockstep"]["mean_best_jaccard"] >= 0.9, m["lockstep"]
    assert m["bursts"]["recall"] >= 0.95, m["bursts"]  # matched on follow-rank ranges
    assert m["engagement_fraud"]["f1"] >= 0.9


def test_windows_are_given_in_follow_ranks(platform):
    app, _ = platform
    bursts = app.findings.read(["follower_burst"]).to_pylist()
    assert bursts
    for r in bursts[:20]:
        ev = json.loads(r["evidence"])
        assert ev["basis"] == "rank" and isinstance(ev["start"], int) and ev["start"] <= ev["end"]
    groups = [json.loads(r["evidence"]) for r in app.findings.read(["lockstep_group"]).to_pylist() if r["score"] >= 0.5]
    assert groups and all(g["window"]["basis"] == "rank" for g in groups)


def test_audience_audit_on_rank_only_data(platform, tmp_path):
    import numpy as np
    import pyarrow.csv as pcsv

    from qinglang.services.audience import audit, write_html

    app, truth = platform
    bt = pcsv.read_csv(truth / "bursts.csv").to_pydict()
    buyer = max(set(bt["account_id"]), key=bt["account_id"].count)
    rep = audit(app, buyer)
    assert rep["basis"] == "rank" and rep["growth"] and rep["bursts"]
    eng = app.engine()
    try:
        fol = eng.sql(f"SELECT follower_id FROM follows WHERE followee_id = '{buyer}'").column(0).to_pylist()
    finally:
        eng.close()
    tr = pcsv.read_csv(truth / "fake_accounts.csv").to_pydict()
    fake = dict(zip(tr["account_id"], tr["is_fake"]))
    lo, hi = rep["fake_share_ci"]
    assert lo <= np.mean([fake[a] for a in fol]) <= hi
    write_html(rep, tmp_path / "r.html")
    assert "follow rank" in (tmp_path / "r.html").read_text(encoding="utf-8")
