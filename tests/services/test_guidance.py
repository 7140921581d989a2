"""Guidance before punishment: records, notices, credit score."""

import pytest

from qinglang.errors import Conflict, QinglangError
from qinglang.services.guidance import add_guidance, complete_guidance, list_guidance, revoke_guidance
from qinglang.services.outbox import pull
from qinglang.services.standing import account_standing
from tests.services.governance_support import (  # noqa: F401
    claim_and_decide, clock, gov, lake, open_case_for,
)


def test_interview_correction_and_recognition_move_the_credit_score(gov, clock):
    gov.lake.add("h1", "head", nickname="某大V")
    add_guidance(gov, account_id="h1", kind="interview", text="约谈：直播内容低俗", by="lead")
    assert account_standing(gov, "h1")["credit_score"] == 97
    clock.advance(days=1)
    g = add_guidance(gov, account_id="h1", kind="correction", text="限期整改", corrections="删除低俗视频", by="lead",
                     due_days=10)
    assert g["status"] == "open" and g["due_at"]
    assert account_standing(gov, "h1")["credit_score"] == 92
    clock.advance(days=3)
    complete_guidance(gov, g["guidance_id"], by="lead")
    assert account_standing(gov, "h1")["credit_score"] == 97
    clock.advance(days=1)
    add_guidance(gov, account_id="h1", kind="recognition", text="示范账号：抗洪救灾正能量传播", by="lead")
    assert account_standing(gov, "h1")["credit_score"] == 100
    hist = account_standing(gov, "h1")["credit_history"]
    assert [p["score"] for p in hist] == [97, 92, 97, 100]
    events = [e["type"] for e in pull(gov, limit=20)]
    assert events == ["guidance.interview", "guidance.correction", "guidance.recognition"]


def test_recognition_can_be_revoked_and_the_platform_is_told(gov):
    g = add_guidance(gov, account_id="h1", kind="recognition", text="model account", by="lead")
    pull(gov, limit=20)
    revoke_guidance(gov, g["guidance_id"], by="lead", reason="later violations")
    [e] = pull(gov, limit=20)
    assert e["type"] == "guidance.recognition_revoked" and e["badge"] == {"model_account": False}
    with pytest.raises(Conflict):
        revoke_guidance(gov, g["guidance_id"], by="lead", reason="again")


def test_bad_guidance_is_refused(gov):
    with pytest.raises(QinglangError, match="--kind must be one of"):
        add_guidance(gov, account_id="h1", kind="scolding", text="x", by="lead")
    with pytest.raises(QinglangError, match="corrections required"):
        add_guidance(gov, account_id="h1", kind="correction", text="x", by="lead")
    g = add_guidance(gov, account_id="h1", kind="interview", text="x", by="lead")
    with pytest.raises(Conflict, match="only correction orders"):
        complete_guidance(gov, g["guidance_id"], by="lead")


def test_a_guidance_decision_and_a_warning_with_corrections(gov):
    cid = open_case_for(gov, "h1", "rumor", 0.8, tier="head")
    out = claim_and_decide(gov, cid, "alice", "suggested", "first time: interview")
    assert out["outcome"] == "guidance" and out["decision"]["guidance_id"]
    cid2 = open_case_for(gov, "h1", "abuse", 0.8, tier="head")
    out2 = claim_and_decide(gov, cid2, "alice", "warning", "insulted a journalist", corrections="delete the posts")
    assert out2["outcome"] == "sanctioned" and out2["decision"]["correction_id"]
    kinds = sorted(g["kind"] for g in list_guidance(gov, account_id="h1"))
    assert kinds == ["correction", "interview"]
