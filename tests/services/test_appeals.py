"""Appeals: once per sanction, within the window, by another reviewer; overturning reverses every effect."""

import pytest

from qinglang.errors import Conflict
from qinglang.services.appeals import claim_appeal, decide_appeal, file_appeal, list_appeals
from qinglang.services.enforcement import bans_table, show_sanction
from qinglang.services.outbox import pull
from qinglang.services.standing import account_standing
from tests.services.governance_support import (  # noqa: F401
    claim_and_decide, clock, gov, lake, open_case_for,
)


def sanction(gov, account="u1", action="suspend", **kw):
    if action == "suspend":
        kw.setdefault("days", 7)
    out = claim_and_decide(gov, open_case_for(gov, account, "rumor"), "alice", action, "decided", **kw)
    return out["sanctions"][0]["sanction_id"]


def test_overturning_reverses_the_sanction_and_all_its_effects(gov):
    gov.lake.add("h1", "head", followers=1000, fakes=[f"f{i}" for i in range(40)])
    cid = open_case_for(gov, "h1", "fake_fans", 0.9, tier="head")
    out = claim_and_decide(gov, cid, "alice", "limit", "bought fans", days=30, features=["no_new_followers"])
    sid = out["sanctions"][0]["sanction_id"]
    before = account_standing(gov, "h1")
    assert before["active_strike_points"] == 2 and before["limits_in_force"] and before["credit_score"] < 100
    a = file_appeal(gov, sid, text="the followers came from a TV appearance", filed_by="h1")
    d = decide_appeal(gov, a["appeal_id"], reviewer="bob", outcome="overturned", reason="TV appearance confirmed")
    assert d["outcome"] == "overturned" and d["effects"]["followers_restored"] == 40
    after = account_standing(gov, "h1")
    assert after["active_strike_points"] == 0 and after["limits_in_force"] == [] and after["credit_score"] == 100
    assert after["fake_followers_removed"] == 0
    s = show_sanction(gov, sid)
    assert s["status"] == "reversed" and s["reversed_by"] == "bob"
    assert [n["kind"] for n in s["notices"]] == ["sanction", "reversal"]
    types = [e["type"] for e in pull(gov, limit=100)]
    assert "sanction.reversed" in types and "audience.cleanup_reversed" in types and "appeal.decided" in types
    assert [e for e in pull(gov, limit=100)] == []  # all leased now
    from qinglang.services.cases import show_case

    c = show_case(gov, cid)
    assert c["decision"]["overturned_by_appeal"] == a["appeal_id"]
    assert "case.overturned_on_appeal" in [h["action"] for h in c["history"]]


def test_overturning_a_closure_lifts_the_ban(gov):
    sid = sanction(gov, "u1", "close", ban_days=365)
    assert "u1" in bans_table(gov)["account_id"].to_pylist()
    a = file_appeal(gov, sid, text="hacked account", filed_by="u1")
    decide_appeal(gov, a["appeal_id"], reviewer="bob", outcome="overturned", reason="account was hijacked")
    assert "u1" not in bans_table(gov)["account_id"].to_pylist()
    assert not account_standing(gov, "u1")["closed"]


def test_upholding_keeps_the_sanction(gov):
    sid = sanction(gov)
    a = file_appeal(gov, sid, text="unfair", filed_by="u1")
    d = decide_appeal(gov, a["appeal_id"], reviewer="bob", outcome="upheld", reason="evidence is clear")
    assert d["outcome"] == "upheld" and show_sanction(gov, sid)["status"] == "active"
    assert "维持" in d["effects"]["notice"]["zh"]["subject"]


def test_the_same_sanction_cannot_be_appealed_twice(gov):
    sid = sanction(gov)
    file_appeal(gov, sid, text="first", filed_by="u1")
    with pytest.raises(Conflict, match="already has appeal"):
        file_appeal(gov, sid, text="second", filed_by="u1")


def test_the_deciding_reviewer_cannot_judge_the_appeal_of_their_own_decision(gov):
    sid = sanction(gov)
    a = file_appeal(gov, sid, text="unfair", filed_by="u1")
    with pytest.raises(Conflict, match="took part in sanction"):
        decide_appeal(gov, a["appeal_id"], reviewer="alice", outcome="overturned", reason="I was wrong")
    with pytest.raises(Conflict, match="took part"):
        claim_appeal(gov, reviewer="alice", appeal_id=a["appeal_id"])
    assert claim_appeal(gov, reviewer="alice") is None  # the queue does not offer it to alice
    assert claim_appeal(gov, reviewer="bob")["appeal_id"] == a["appeal_id"]
    with pytest.raises(Conflict, match="claimed by bob"):
        decide_appeal(gov, a["appeal_id"], reviewer="carol", outcome="upheld", reason="x")


def test_the_second_reviewer_of_a_head_closure_cannot_judge_its_appeal_either(gov):
    cid = open_case_for(gov, "h1", "rumor", 0.95, tier="head")
    claim_and_decide(gov, cid, "alice", "close", "x")
    from qinglang.services.cases import claim_case, decide_case

    claim_case(gov, reviewer="bob", case_id=cid)
    sid = decide_case(gov, cid, reviewer="bob", confirm=True, reason="agree")["sanctions"][0]["sanction_id"]
    a = file_appeal(gov, sid, text="unfair", filed_by="h1")
    with pytest.raises(Conflict, match="bob took part"):
        decide_appeal(gov, a["appeal_id"], reviewer="bob", outcome="overturned", reason="x")
    decide_appeal(gov, a["appeal_id"], reviewer="carol", outcome="upheld", reason="closure stands")


def test_appeals_close_after_the_window(gov, clock):
    sid = sanction(gov)
    clock.advance(days=31)
    with pytest.raises(Conflict, match="appeal window"):
        file_appeal(gov, sid, text="late", filed_by="u1")
    assert list_appeals(gov) == []


def test_an_automated_sanction_can_be_appealed_to_any_reviewer(gov):
    from qinglang.services.intake import apply_findings
    from tests.services.governance_support import finding, table

    gov.lake.add("new1", "regular")
    apply_findings(gov, table(finding("reincarnation", "new1", 0.999, "reincarnation", related="old1")))
    [s] = account_standing(gov, "new1")["sanctions"]
    assert s["automated"] and s["decided_by"] == "qinglang-policy"
    a = file_appeal(gov, s["sanction_id"], text="I am a different person", filed_by="new1")
    d = decide_appeal(gov, a["appeal_id"], reviewer="alice", outcome="overturned", reason="different person, same campus IP")
    assert d["outcome"] == "overturned"
