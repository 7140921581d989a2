"""Complaints: intake with acknowledgement and deadline, weighing, cases, answers to complainants."""

import pytest

from qinglang.errors import Conflict, QinglangError
from qinglang.services.cases import list_cases, show_case
from qinglang.services.complaints import handle_complaint, import_reports, list_complaints, submit_complaint
from qinglang.services.outbox import pull
from tests.services.governance_support import (  # noqa: F401
    claim_and_decide, clock, gov, lake, open_case_for,
)


def test_a_complaint_is_acknowledged_with_a_deadline(gov, clock):
    c = submit_complaint(gov, reporter_id="r1", account_id="u1", category="abuse", text="骂人", report_id="rep-1")
    assert c["status"] == "received" and c["acknowledged_at"] and c["due_at"] > c["received_at"]
    [ack] = [e for e in pull(gov, limit=10) if e["type"] == "complaint.acknowledged"]
    assert ack["reporter_id"] == "r1" and "已受理" in ack["notice"]["zh"]["subject"]
    again = submit_complaint(gov, reporter_id="r1", account_id="u1", category="abuse", report_id="rep-1")
    assert again["duplicate"] and len(list_complaints(gov)) == 1
    clock.advance(days=8)
    assert [x["complaint_id"] for x in list_complaints(gov, overdue=True)] == [c["complaint_id"]]


def test_many_distinct_reporters_open_a_case_and_few_loud_ones_do_not(gov):
    gov.lake.add("victim", "large").add("target", "large")
    for i in range(6):
        submit_complaint(gov, reporter_id=f"citizen{i}", account_id="victim", category="rumor")
    for _ in range(30):
        for r in ("troll1", "troll2", "troll3"):
            submit_complaint(gov, reporter_id=r, account_id="target", category="rumor")
    cases = {c["account_id"]: c for c in list_cases(gov)}
    assert set(cases) == {"victim"}
    assert cases["victim"]["source"] == "complaints" and cases["victim"]["complaint_weight"] == 6.0
    assert len(show_case(gov, cases["victim"]["case_id"])["complaints"]) == 6


def test_complaints_raise_the_priority_of_an_open_case(gov):
    cid = open_case_for(gov, "u1", "rumor", 0.85)
    p0 = show_case(gov, cid)["priority"]
    for i in range(3):
        submit_complaint(gov, reporter_id=f"r{i}", account_id="u1", category="rumor")
    c = show_case(gov, cid)
    assert c["complaint_weight"] == 3.0 and c["priority"] > p0 and len(c["complaints"]) == 3


def test_complainants_are_told_the_outcome_when_the_case_is_decided(gov):
    cid = open_case_for(gov, "u1", "rumor", 0.85)
    for i in range(2):
        submit_complaint(gov, reporter_id=f"r{i}", account_id="u1", category="rumor")
    pull(gov, limit=100)
    claim_and_decide(gov, cid, "alice", "warning", "misleading")
    outcomes = [e for e in pull(gov, limit=100) if e["type"] == "complaint.outcome"]
    assert sorted(e["reporter_id"] for e in outcomes) == ["r0", "r1"]
    assert all(e["outcome"] == "sanctioned" for e in outcomes)
    assert all(c["status"] == "handled" for c in list_complaints(gov))


def test_a_complaint_can_be_handled_by_hand_once(gov):
    c = submit_complaint(gov, reporter_id="r1", account_id="u1", category="other")
    h = handle_complaint(gov, c["complaint_id"], by="alice", outcome="dismissed", note="no violation")
    assert h["status"] == "handled" and h["handled_by"] == "alice"
    with pytest.raises(Conflict, match="already handled"):
        handle_complaint(gov, c["complaint_id"], by="alice", outcome="dismissed")
    with pytest.raises(QinglangError, match="--outcome must be one of"):
        handle_complaint(gov, c["complaint_id"], by="alice", outcome="maybe")


def test_snapshot_reports_are_imported_once_and_weighed_independently_of_order(gov):
    from datetime import timedelta

    t = gov.clock()
    reports = [{"report_id": f"g{i}", "reporter_id": f"c{i}", "account_id": "v", "category": "abuse",
                "created_at": t - timedelta(days=i)} for i in range(7)]
    # a campaign: four reporters, many complaints each about one account across categories
    reports += [{"report_id": f"m{i}", "reporter_id": f"t{i % 4}", "account_id": "w",
                 "category": ["abuse", "rumor", "other"][i % 3], "created_at": t} for i in range(120)]
    gov.lake.report_rows = list(reversed(reports))
    first = import_reports(gov, gov.lake.reports(), chunk=25)
    assert first["complaints_received"] == 127 and first["cases_opened_by_complaints"] == 1
    assert import_reports(gov, gov.lake.reports())["complaints_received"] == 0
    assert [c["account_id"] for c in list_cases(gov)] == ["v"]


def test_a_bulk_import_records_each_report_once_with_its_acknowledgement_and_audit_entry(gov):
    t = gov.clock()
    row = {"report_id": "dup", "reporter_id": "c1", "account_id": "v", "category": "rumor", "created_at": t}
    reports = [row, dict(row), {**row, "report_id": "other", "category": "not-a-category"}]
    got = import_reports(gov, reports)
    assert got["complaints_received"] == 2
    complaints = list_complaints(gov, account_id="v")
    assert sorted(c["report_id"] for c in complaints) == ["dup", "other"]
    assert {c["category"] for c in complaints} == {"rumor", "other"}  # an unknown category is filed as other
    with gov.store.read() as uow:
        events = [e for e in uow.outbox.pending(gov.clock(), 100) if e["type"] == "complaint.acknowledged"]
        received = [e for e in uow.audit_log.entries() if e["action"] == "complaint.received"]
    assert sorted(e["key"] for e in events) == sorted(f"complaint:{c['complaint_id']}:acknowledged" for c in complaints)
    assert sorted(int(e["entity_id"]) for e in received) == sorted(c["complaint_id"] for c in complaints)
    assert import_reports(gov, reports)["complaints_received"] == 0
