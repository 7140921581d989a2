"""Review workflow: claims with leases, decisions, second review for head closures, reassignment, notes, referrals."""

import pytest

from qinglang.errors import Conflict, NotFound, QinglangError
from qinglang.services.cases import (
    add_note, claim_case, decide_case, list_cases, open_case, reassign_case, release_case, show_case,
)
from tests.services.governance_support import (  # noqa: F401
    claim_and_decide, clock, gov, lake, open_case_for,
)


def test_claim_next_takes_the_most_urgent_case_and_leases_it(gov):
    low = open_case_for(gov, "u1", "other", 0.85)
    high = open_case_for(gov, "h1", "rumor", 0.95, tier="head")
    c = claim_case(gov, reviewer="alice")
    assert c["case_id"] == high and c["claimed_by"] == "alice" and c["status"] == "claimed"
    c2 = claim_case(gov, reviewer="bob")
    assert c2["case_id"] == low
    assert claim_case(gov, reviewer="carol") is None  # nothing left for carol


def test_two_reviewers_never_hold_the_same_case_until_the_lease_lapses(gov, clock):
    cid = open_case_for(gov, "u1")
    claim_case(gov, reviewer="alice", case_id=cid)
    with pytest.raises(Conflict, match="claimed by alice"):
        claim_case(gov, reviewer="bob", case_id=cid)
    with pytest.raises(Conflict, match="claimed by alice"):
        decide_case(gov, cid, reviewer="bob", action="dismiss", reason="x")
    clock.advance(minutes=31)
    c = claim_case(gov, reviewer="bob")  # the lapsed case is back in the queue
    assert c["case_id"] == cid and c["claimed_by"] == "bob"
    with pytest.raises(Conflict, match="claimed by bob"):
        decide_case(gov, cid, reviewer="alice", action="dismiss", reason="late")


def test_deciding_an_unclaimed_case_is_refused(gov):
    cid = open_case_for(gov, "u1")
    with pytest.raises(Conflict, match="not claimed"):
        decide_case(gov, cid, reviewer="alice", action="warning", reason="x")


def test_a_decision_needs_a_reason_and_a_valid_action(gov):
    cid = open_case_for(gov, "u1")
    claim_case(gov, reviewer="alice", case_id=cid)
    with pytest.raises(QinglangError, match="needs a reason"):
        decide_case(gov, cid, reviewer="alice", action="warning", reason=" ")
    with pytest.raises(QinglangError, match="--action must be one of"):
        decide_case(gov, cid, reviewer="alice", action="banish", reason="x")
    with pytest.raises(QinglangError, match="length"):
        decide_case(gov, cid, reviewer="alice", action="suspend", reason="x")
    assert show_case(gov, cid)["status"] == "claimed"  # nothing changed


def test_decide_with_the_ladder_suggestion_applies_a_sanction(gov):
    cid = open_case_for(gov, "u1", "rumor", 0.85)
    out = claim_and_decide(gov, cid, "alice", "suggested", "spread a false flood warning")
    assert out["status"] == "resolved" and out["outcome"] == "sanctioned" and out["result"] == "sanctioned"
    [s] = out["sanctions"]
    assert s["action"] == "limit" and s["decided_by"] == "alice" and s["strike_points"] == 2


def test_closing_a_head_account_needs_a_second_different_reviewer(gov):
    cid = open_case_for(gov, "h1", "heroes_martyrs", 0.97, tier="head")
    out = claim_and_decide(gov, cid, "alice", "close", "repeated insults to martyrs", ban_days=365)
    assert out["result"] == "awaiting second review" and out["status"] == "open" and out["stage"] == "second_review"
    assert out["sanctions"] == []
    with pytest.raises(Conflict, match="different reviewer"):
        claim_case(gov, reviewer="alice", case_id=cid)
    assert claim_case(gov, reviewer="alice") is None  # alice's queue does not offer it
    claim_case(gov, reviewer="bob", case_id=cid)
    with pytest.raises(QinglangError, match="--confirm or --reject"):
        decide_case(gov, cid, reviewer="bob", action="close", reason="agree")
    done = decide_case(gov, cid, reviewer="bob", confirm=True, reason="agree with alice")
    assert done["status"] == "resolved" and done["decided_by"] == "alice" and done["second_reviewer"] == "bob"
    [s] = done["sanctions"]
    assert s["action"] == "close" and s["second_reviewer"] == "bob" and s["ban_until"]


def test_a_rejected_second_review_returns_the_case_to_review(gov):
    cid = open_case_for(gov, "h1", "rumor", 0.97, tier="head")
    claim_and_decide(gov, cid, "alice", "close", "too much")
    claim_case(gov, reviewer="bob", case_id=cid)
    back = decide_case(gov, cid, reviewer="bob", reject=True, reason="a suspension is enough")
    assert back["status"] == "open" and back["stage"] == "review" and back["proposal"] is None
    out = claim_and_decide(gov, cid, "alice", "suspend", "suspend instead", days=7)
    assert out["outcome"] == "sanctioned" and out["sanctions"][0]["action"] == "suspend"


def test_release_reassign_and_notes(gov):
    cid = open_case_for(gov, "u1")
    claim_case(gov, reviewer="alice", case_id=cid)
    with pytest.raises(Conflict):
        release_case(gov, cid, "bob")
    release_case(gov, cid, "alice", "need a Cantonese speaker")
    assert show_case(gov, cid)["status"] == "open"
    reassign_case(gov, cid, to="bob", by="lead", reason="speaks Cantonese")
    c = show_case(gov, cid)
    assert c["claimed_by"] == "bob" and c["status"] == "claimed"
    add_note(gov, cid, author="bob", text="checked the video")
    hist = [h["action"] for h in show_case(gov, cid)["history"]]
    assert hist[-3:] == ["case.released", "case.reassigned", "case.note"]
    assert show_case(gov, cid)["notes"][-1]["text"] == "checked the video"
    with pytest.raises(QinglangError, match="needs a reason"):
        reassign_case(gov, cid, to="carol", by="lead", reason="")


def test_cases_opened_by_hand_and_on_referral(gov):
    c = open_case(gov, account_id="h5", category="illegal_conduct", by="analyst", reason="tax evasion notice",
                  source="referral", source_ref="国家税务总局 2025-17号", tier="head")
    assert c["source"] == "referral" and c["source_ref"] == "国家税务总局 2025-17号" and not c["attached_to_existing"]
    again = open_case(gov, account_id="h5", category="illegal_conduct", by="analyst", reason="second notice",
                      source="referral", source_ref="网信办 2025-3", severity="critical", tier="head")
    assert again["case_id"] == c["case_id"] and again["attached_to_existing"] and again["severity"] == "critical"
    with pytest.raises(QinglangError, match="needs its reference"):
        open_case(gov, account_id="h5", category="rumor", by="analyst", reason="x", source="referral")
    with pytest.raises(QinglangError, match="--category must be one of"):
        open_case(gov, account_id="h5", category="gossip", by="analyst", reason="x")


def test_overdue_cases_are_listed(gov, clock):
    cid = open_case_for(gov, "h1", "rumor", 0.95, tier="head")  # high, head: 12 hours
    assert list_cases(gov, overdue=True) == []
    clock.advance(hours=13)
    [c] = list_cases(gov, overdue=True)
    assert c["case_id"] == cid and c["overdue"]


def test_unknown_case_is_not_found(gov):
    with pytest.raises(NotFound):
        show_case(gov, 999)
