"""Report figures: counts by period, category, action and tier match what happened."""

from datetime import timedelta

from qinglang.services.appeals import decide_appeal, file_appeal
from qinglang.services.complaints import submit_complaint
from qinglang.services.figures import figures, totals
from qinglang.services.guidance import add_guidance
from qinglang.services.registrations import list_checks, record_check
from tests.services.governance_support import (  # noqa: F401
    claim_and_decide, clock, gov, lake, open_case_for,
)


def test_figures_count_sanctions_appeals_complaints_guidance_cleanups_and_blocks(gov, clock):
    t0 = clock()
    gov.lake.add("h1", "head", followers=500, fakes=[f"f{i}" for i in range(50)])
    a = claim_and_decide(gov, open_case_for(gov, "u1", "rumor"), "alice", "warning", "x")
    b = claim_and_decide(gov, open_case_for(gov, "u2", "rumor"), "alice", "warning", "x")
    claim_and_decide(gov, open_case_for(gov, "h1", "fake_fans", tier="head"), "alice", "suspend", "x", days=7)
    ap = file_appeal(gov, b["sanctions"][0]["sanction_id"], text="no", filed_by="u2")
    decide_appeal(gov, ap["appeal_id"], reviewer="bob", outcome="overturned", reason="x")
    submit_complaint(gov, reporter_id="r1", account_id="u3", category="abuse")
    add_guidance(gov, account_id="h1", kind="interview", text="x", by="lead")
    record_check(gov, {"decision": "block", "ban_expired": False, "matches": [{"banned_account_id": "old", "score": 0.99}]},
                 nickname="王欢")
    record_check(gov, {"decision": "pass", "matches": []})
    rows = figures(gov, t0 - timedelta(days=1), t0 + timedelta(days=1), "month")
    by = {(r["category"], r["action"], r["tier"]): r for r in rows}
    w = by[("rumor", "warning", "regular")]
    assert w["sanctions"] == 2 and w["accounts"] == 2 and w["reversed"] == 1 and w["appeals_overturned"] == 1
    assert by[("fake_fans", "suspend", "head")]["sanctions"] == 1
    assert by[("fake_fans", "cleanup", "head")]["fake_followers_removed"] == 50
    assert by[("abuse", "complaint", "")]["complaints_received"] == 1
    assert by[("", "interview", "")]["guidance_actions"] == 1
    assert by[("reincarnation", "registration_check", "")]["registrations_blocked"] == 1
    tot = totals(rows)
    assert tot["sanctions"] == 3 and tot["appeals_overturned"] == 1 and tot["fake_followers_removed"] == 50
    assert {r["period"] for r in rows} == {t0.strftime("%Y-%m")}
    assert figures(gov, t0 + timedelta(days=1), t0 + timedelta(days=2)) == []
    assert a["sanctions"][0]["sanction_id"]
    checks = list_checks(gov)
    assert [c["decision"] for c in checks] == ["pass", "block"] and checks[1]["banned_account_id"] == "old"
