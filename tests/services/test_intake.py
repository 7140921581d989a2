"""Findings become cases by the case policy: grouped per account, idempotent, never overriding humans."""

from qinglang.services.cases import list_cases, show_case
from qinglang.services.intake import apply_findings
from tests.services.governance_support import (  # noqa: F401  (fixtures)
    claim_and_decide, clock, content, finding, gov, lake, table,
)


def cases_of(gov, **kw):
    return list_cases(gov, limit=None, **kw)


def test_findings_are_grouped_per_account_and_category(gov):
    gov.lake.add("h1", "head").add("h2", "head")
    s = apply_findings(gov, table(content("p1", "h1", "rumor", 0.7), content("p2", "h1", "rumor", 0.95),
                                  content("p3", "h1", "abuse", 0.6), content("p4", "h2", "rumor", 0.55)))
    assert s["cases_opened"] == 3 and s["findings_attached"] == 4
    rows = {(c["account_id"], c["category"]): c for c in cases_of(gov)}
    assert set(rows) == {("h1", "rumor"), ("h1", "abuse"), ("h2", "rumor")}
    c = rows[("h1", "rumor")]
    assert c["finding_count"] == 2 and c["score"] == 0.95 and c["severity"] == "high" and c["tier"] == "head"
    assert c["status"] == "open" and c["source"] == "findings" and c["due_at"]
    # head accounts and severe cases come first in the queue
    assert cases_of(gov)[0]["case_id"] == c["case_id"]


def test_rerunning_a_scan_duplicates_nothing_and_new_evidence_attaches(gov):
    gov.lake.add("h1", "head")
    t = table(content("p1", "h1", "rumor", 0.7))
    apply_findings(gov, t)
    again = apply_findings(gov, t)
    assert again == {"cases_opened": 0, "cases_updated": 0, "auto_applied": 0, "findings_attached": 0}
    more = apply_findings(gov, table(content("p1", "h1", "rumor", 0.7), content("p9", "h1", "rumor", 0.92)))
    assert more["cases_updated"] == 1 and more["findings_attached"] == 1
    [c] = cases_of(gov)
    assert c["finding_count"] == 2 and c["score"] == 0.92 and c["severity"] == "high"
    assert [e["action"] for e in show_case(gov, c["case_id"])["history"]] == ["case.opened", "case.evidence_added"]


def test_tier_thresholds_decide_what_opens_a_case(gov):
    gov.lake.add("h1", "head").add("u1", "regular")
    apply_findings(gov, table(content("p1", "h1", "rumor", 0.55), content("p2", "u1", "rumor", 0.55),
                              content("p3", "u1", "abuse", 0.85)))
    assert {(c["account_id"], c["category"]) for c in cases_of(gov)} == {("h1", "rumor"), ("u1", "abuse")}


def test_human_decisions_are_never_overwritten_and_decided_findings_do_not_reopen(gov):
    gov.lake.add("h1", "head")
    apply_findings(gov, table(content("p1", "h1", "rumor", 0.8)))
    [c] = cases_of(gov)
    claim_and_decide(gov, c["case_id"], "alice", "dismiss", "satire, not a rumour")
    s = apply_findings(gov, table(content("p1", "h1", "rumor", 0.99)))
    assert s["cases_opened"] == 0 and s["cases_updated"] == 0
    [c2] = cases_of(gov)
    assert c2["status"] == "resolved" and c2["outcome"] == "dismissed" and c2["decided_by"] == "alice"
    # a new post is new evidence: a new case
    assert apply_findings(gov, table(content("p2", "h1", "rumor", 0.9)))["cases_opened"] == 1


def test_certain_cases_are_applied_automatically_and_marked_as_such(gov):
    gov.lake.add("new1", "regular").add("h9", "head")
    s = apply_findings(gov, table(finding("reincarnation", "new1", 0.995, "reincarnation", related="old1"),
                                  finding("reincarnation", "h9", 0.999, "reincarnation", related="old2")))
    assert s["auto_applied"] == 1
    by = {c["account_id"]: c for c in cases_of(gov)}
    auto = by["new1"]
    assert auto["status"] == "resolved" and auto["automated"] and auto["decided_by"] == "qinglang-policy"
    assert auto["decision"]["sanction"]["action"] == "close"
    # a head account is never closed automatically: it waits for reviewers
    assert by["h9"]["status"] == "open" and not by["h9"]["automated"]


def test_lockstep_groups_open_cases_for_their_targets(gov):
    gov.lake.add("h1", "head").add("h2", "large")
    apply_findings(gov, table(finding("lockstep_group", "lg_1", 0.9, "fake_fans", members=["f1", "f2"], targets=["h1", "h2"])))
    assert {c["account_id"] for c in cases_of(gov, category="fake_fans")} == {"h1", "h2"}


def test_fake_followers_are_counted_into_the_followed_accounts_case(gov):
    fakes = [f"f{i}" for i in range(300)]
    gov.lake.add("h1", "head", followers=1000, fakes=fakes).add("h2", "head", followers=100000, fakes=fakes[:30])
    s = apply_findings(gov, table(finding("fake_account", "f1", 0.97, "fake_fans")))
    assert s["cases_opened"] == 1  # h2's 0.03% share is below min_share; fake accounts get no cases themselves
    [c] = cases_of(gov)
    assert c["account_id"] == "h1" and c["category"] == "fake_fans"
    [f] = show_case(gov, c["case_id"])["findings"]
    assert f["kind"] == "fake_followers" and f["evidence"]["fake"] == 300 and f["evidence"]["share"] == 0.3


def test_content_findings_open_cases_about_the_author(gov):
    gov.lake.add("author1", "head")
    apply_findings(gov, table(finding("content_violation", "post77", 0.9, "soft_porn", author="author1")))
    [c] = cases_of(gov)
    assert c["account_id"] == "author1" and c["category"] == "soft_porn"
