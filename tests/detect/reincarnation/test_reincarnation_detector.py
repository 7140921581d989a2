"""The batch detector on a small simulated platform: comebacks found, decoys left alone, evidence readable."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
import pytest

from qinglang.detect.base import DetectContext
from qinglang.detect.reincarnation.detectors import DETECTORS, run_reincarnation
from qinglang.detect.reincarnation.evidence import findings_from_links
from qinglang.detect.reincarnation.linking import AccountTables, link_accounts
from qinglang.domain.findings import FINDINGS_SCHEMA

from .conftest import read_truth


@pytest.fixture(scope="module")
def findings(rein_platform):
    snap, app = rein_platform
    engine = app.engine()
    try:
        ctx = DetectContext(engine=engine, settings=app.settings, workspace=app.workspace, extra={})
        table = run_reincarnation(ctx)
    finally:
        engine.close()
    rows = []
    for r in table.to_pylist():
        r["ev"] = json.loads(r["evidence"])
        rows.append(r)
    return rows


def test_detectors_are_registered():
    names = {d.name: d for d in DETECTORS}
    assert set(names) == {"reincarnation", "watchlist_match"}
    assert all(d.group == "reincarnation" for d in DETECTORS)


def test_findings_follow_the_contract(findings):
    assert findings
    for f in findings:
        assert f["kind"] == "reincarnation" and f["category"] == "reincarnation"
        assert f["subject_id"] != f["related_id"] and f["related_id"]
        assert 0.05 <= f["score"] <= 1.0
        assert f["account_id"] == f["subject_id"]
    pa.Table.from_pylist([{k: f[k] for k in FINDINGS_SCHEMA.names} for f in findings], schema=FINDINGS_SCHEMA)


def test_comebacks_are_linked(rein_platform, findings):
    snap, _ = rein_platform
    truth = {(t["new_account_id"], t["banned_account_id"]) for t in read_truth(snap, "reincarnations.csv")}
    linked = {(f["subject_id"], f["related_id"]) for f in findings if f["ev"]["match_probability"] >= 0.5}
    tp = len(linked & truth)
    precision, recall = tp / max(1, len(linked)), tp / len(truth)
    assert precision >= 0.9 and recall >= 0.8, (precision, recall, sorted(truth - linked))


def test_decoys_are_not_linked(rein_platform, findings):
    snap, _ = rein_platform
    decoys = read_truth(snap, "decoys.csv")
    assert {d["decoy_kind"] for d in decoys} == {"fan_club", "common_name", "shared_campus_ip"}
    flagged = {f["subject_id"] for f in findings if f["ev"]["match_probability"] >= 0.5}
    wrongly = [d for d in decoys if d["account_id"] in flagged]
    assert not wrongly, wrongly


def test_a_comeback_after_the_ban_ended_is_reported_as_such(rein_platform, findings):
    snap, _ = rein_platform
    after = {(t["new_account_id"], t["banned_account_id"]) for t in read_truth(snap, "reincarnations.csv")
             if t["during_ban"] == "0"}
    assert after, "the test platform should hold comebacks registered after their ban ended"
    by_pair = {(f["subject_id"], f["related_id"]): f for f in findings}
    seen = [by_pair[p] for p in after if p in by_pair]
    assert seen, "comebacks after the ban should still be found and reported"
    for f in seen:
        assert f["ev"]["ban_expired"] is True and f["ev"]["violation"] is False
        assert f["ev"]["tier"] == "ban_expired" and f["ev"]["proposed_action"] == "none"
        assert f["score"] == pytest.approx(0.05)  # below every case threshold: reported, not a violation
    during = [f for f in findings if not f["ev"]["ban_expired"]]
    assert all(f["score"] == pytest.approx(f["ev"]["match_probability"]) for f in during)


def test_waterfall_weights_add_up_to_the_score(findings):
    for f in findings:
        ev = f["ev"]
        total = sum(w["weight"] for w in ev["waterfall"])
        assert total == pytest.approx(ev["match_weight"], abs=0.01)
        assert 1 / (1 + 2 ** -total) == pytest.approx(ev["match_probability"], abs=1e-3)
        signals = [w["signal"] for w in ev["waterfall"]]
        assert signals[0] == "prior" and {"nickname", "avatar", "identity", "followers"} <= set(signals)


def test_tiers_follow_the_probability(findings):
    for f in findings:
        ev, p = f["ev"], f["ev"]["match_probability"]
        if ev["ban_expired"]:
            continue
        expected = "certain" if p >= 0.99 else "review" if p >= 0.5 else "no_action"
        assert ev["tier"] == expected
        assert ev["proposed_action"] == {"certain": "close", "review": "review", "no_action": "none"}[expected]


def test_qinglangs_own_bans_count_like_the_lakes(rein_platform):
    """A ban decided in qinglang (ctx.extra['bans'], filled by governance) links comebacks like a lake ban."""
    snap, app = rein_platform
    from qinglang.detect.reincarnation.load import conform_bans, read_tables

    engine = app.engine()
    try:
        base = read_tables(engine)
    finally:
        engine.close()
    pair = next((t["new_account_id"], t["banned_account_id"]) for t in read_truth(snap, "reincarnations.csv")
                if t["during_ban"] == "1" and t["difficulty"] == "shared_identity")
    lake_bans = base.bans.filter(pa.compute.not_equal(base.bans["account_id"], pair[1]))
    own = base.bans.filter(pa.compute.equal(base.bans["account_id"], pair[1]))
    assert own.num_rows >= 1
    without = link_accounts(AccountTables(base.accounts, lake_bans, base.identities, base.follower_rows,
                                          base.followee_rows))
    assert pair[1] not in set(without.banned["account_id"].to_pylist())
    gov_rows = pa.table({"account_id": own["account_id"], "action": own["action"], "category": own["category"],
                         "decided_at": own["decided_at"], "until": own["until"]})
    res = link_accounts(AccountTables(base.accounts, pa.concat_tables([lake_bans, conform_bans(gov_rows)]),
                                      base.identities, base.follower_rows, base.followee_rows))
    ids = res.new_ids
    banned = res.banned["account_id"].to_pylist()
    links = {(str(ids[i]), banned[j]) for i, j, p in zip(res.predictions.i, res.predictions.j, res.predictions.prob)
             if p >= 0.5}
    assert pair in links


def test_no_bans_no_findings():
    acc = pa.table({"account_id": ["a", "b"], "nickname": ["x", "y"],
                    "created_at": pa.array([0, 10], pa.timestamp("s", tz="UTC"))})
    bans = pa.table({"account_id": pa.array([], pa.string()), "action": pa.array([], pa.string()),
                     "category": pa.array([], pa.string()), "decided_at": pa.array([], pa.timestamp("s", tz="UTC")),
                     "until": pa.array([], pa.timestamp("s", tz="UTC"))})
    res = link_accounts(AccountTables(acc, bans))
    assert res is None
    assert findings_from_links(res, acc, {"threshold": 0.5, "certain": 0.99}).num_rows == 0


@pytest.mark.slow
def test_spark_engine_gives_the_same_findings(rein_platform, findings, java_available):
    """The detector reads the lake through portable SQL: DuckDB and Spark give the same links."""
    _, app = rein_platform
    engine = app.engine("spark", master="local[2]")
    try:
        table = run_reincarnation(DetectContext(engine=engine, settings=app.settings, workspace=app.workspace, extra={}))
    finally:
        engine.close()
    spark = sorted(zip(table["subject_id"].to_pylist(), table["related_id"].to_pylist(),
                       [round(x, 6) for x in table["score"].to_pylist()]))
    duck = sorted((f["subject_id"], f["related_id"], round(f["score"], 6)) for f in findings)
    assert spark == duck


def test_a_nickname_or_bio_that_announces_a_comeback_is_declared():
    import numpy as np

    from qinglang.detect.reincarnation.config import DECLARED_PATTERN
    from qinglang.detect.reincarnation.linking import declared_accounts

    acc = pa.table({"account_id": ["a", "b", "c", "d"],
                    "nickname": ["晚风的浮生新号", "晚风的浮生", "晚风的浮生", "小明同学"],
                    "bio": [None, "号被封了，老粉们重新关注", "热爱生活", None]})
    got = declared_accounts(acc, np.arange(4), None, DECLARED_PATTERN)
    assert got.tolist() == [True, True, False, False]
