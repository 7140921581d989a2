"""The regulator report: totals equal the store's counts; Beijing-time periods with an exclusive end;
pre-qinglang sanctions apart (not twice); overturned sanctions shown; every format renders."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from qinglang.errors import QinglangError
from qinglang.services.appeals import decide_appeal, file_appeal
from qinglang.services.complaints import handle_complaint, submit_complaint
from qinglang.services.guidance import add_guidance
from qinglang.services.registrations import record_check
from qinglang.services.report_render import render
from qinglang.services.reports import COLUMNS, SUMMABLE, regulator_report
from qinglang.store.sql import tables as T
from tests.services.governance_support import (  # noqa: F401
    claim_and_decide, clock, gov, lake, open_case_for,
)

UTC = timezone.utc


def _activity(gov, clock):
    """Sanctions (one overturned, one upheld), clean-up, complaints, guidance, registration checks."""
    gov.lake.add("h1", "head", followers=500, fakes=[f"f{i}" for i in range(40)], nickname="头部甲")
    a = claim_and_decide(gov, open_case_for(gov, "u1", "rumor"), "alice", "warning", "造谣")
    b = claim_and_decide(gov, open_case_for(gov, "u2", "rumor"), "alice", "warning", "造谣")
    c = claim_and_decide(gov, open_case_for(gov, "h1", "fake_fans", tier="head"), "alice", "suspend", "买粉", days=7)
    clock.advance(hours=1)
    ap = file_appeal(gov, b["sanctions"][0]["sanction_id"], text="不服", filed_by="u2")
    decide_appeal(gov, ap["appeal_id"], reviewer="bob", outcome="overturned", reason="证据不足")
    ap2 = file_appeal(gov, a["sanctions"][0]["sanction_id"], text="不服", filed_by="u1")
    decide_appeal(gov, ap2["appeal_id"], reviewer="bob", outcome="upheld", reason="证据充分")
    k = submit_complaint(gov, reporter_id="r1", account_id="u3", category="abuse", by="intake")
    submit_complaint(gov, reporter_id="r2", account_id="u4", category="rumor", by="intake")
    handle_complaint(gov, k["complaint_id"], by="carol", outcome="dismissed")
    add_guidance(gov, account_id="h1", kind="interview", text="约谈", by="lead")
    record_check(gov, {"decision": "block", "ban_expired": False, "matches": [{"banned_account_id": "old", "score": 0.99}]})
    record_check(gov, {"decision": "block", "ban_expired": False, "matches": [{"banned_account_id": "old", "score": 0.98}]})
    record_check(gov, {"decision": "pass", "matches": []})
    return {"warning_upheld": a, "warning_overturned": b, "suspend": c}


def _store_counts(gov, since, until) -> dict[str, int]:
    s, a, k, g, x, cl = (T.sanctions.c, T.appeals.c, T.complaints.c, T.guidance.c, T.registration_checks.c,
                         T.cleanups.c)
    with gov.store.read() as uow:
        q = lambda stmt: uow.conn.execute(stmt).scalar() or 0  # noqa: E731
        return {
            "sanctions": q(sa.select(sa.func.count()).where(s.decided_at >= since, s.decided_at < until)),
            "automated": q(sa.select(sa.func.count()).where(s.decided_at >= since, s.decided_at < until, s.automated)),
            "reversed": q(sa.select(sa.func.count()).where(s.decided_at >= since, s.decided_at < until, s.status == "reversed")),
            "appeals_upheld": q(sa.select(sa.func.count()).where(a.decided_at >= since, a.decided_at < until, a.outcome == "upheld")),
            "appeals_overturned": q(sa.select(sa.func.count()).where(a.decided_at >= since, a.decided_at < until, a.outcome == "overturned")),
            "complaints_received": q(sa.select(sa.func.count()).where(k.received_at >= since, k.received_at < until)),
            "complaints_handled": q(sa.select(sa.func.count()).where(k.handled_at >= since, k.handled_at < until)),
            "guidance_actions": q(sa.select(sa.func.count()).where(g.created_at >= since, g.created_at < until, g.revoked_at.is_(None))),
            "fake_followers_removed": q(sa.select(sa.func.sum(cl.followers_removed)).where(cl.at >= since, cl.at < until, cl.reversed_at.is_(None))),
            "registrations_blocked": q(sa.select(sa.func.count()).where(x.at >= since, x.at < until, x.decision == "block")),
        }


def test_report_totals_equal_the_store_counts(gov, clock):
    t0 = clock()
    _activity(gov, clock)
    since, until = t0 - timedelta(days=2), t0 + timedelta(days=2)
    prior = [{"account_id": "old1", "action": "close", "category": "rumor", "decided_at": t0 - timedelta(days=1), "tier": "head"},
             {"account_id": "old2", "action": "restrict", "category": "abuse", "decided_at": t0 - timedelta(hours=5), "tier": "large"}]
    rep = regulator_report(gov, since, until, "month", prior=prior)
    want = _store_counts(gov, since, until)
    for k, v in want.items():
        assert rep["totals"][k] == v, k
    assert want["sanctions"] == 3 and want["reversed"] == 1 and want["fake_followers_removed"] == 40
    assert want["registrations_blocked"] == 2 and want["complaints_handled"] == 1
    assert rep["totals"]["prior_sanctions"] == 2 and rep["headline"]["prior_accounts"] == 2
    assert rep["headline"]["accounts_sanctioned"] == 3
    assert rep["headline"]["head_accounts_closed_or_suspended"] == 1  # h1 suspended
    assert rep["headline"]["prior_head_accounts_closed_or_suspended"] == 1
    # the rows add up to the totals, and each row is one (period, category, action, tier)
    for c in SUMMABLE:
        assert sum(r[c] for r in rep["rows"]) == rep["totals"][c]
    keys = [(r["period"], r["category"], r["action"], r["tier"]) for r in rep["rows"]]
    assert len(keys) == len(set(keys))
    by = {(r["category"], r["action"], r["tier"]): r for r in rep["rows"]}
    assert by[("rumor", "close", "head")]["prior_sanctions"] == 1 and by[("rumor", "close", "head")]["sanctions"] == 0
    assert by[("abuse", "limit", "large")]["prior_sanctions"] == 1  # the contract's `restrict` is a limit


def test_overturned_sanctions_are_shown_not_dropped(gov, clock):
    t0 = clock()
    done = _activity(gov, clock)
    rep = regulator_report(gov, t0 - timedelta(days=1), t0 + timedelta(days=1), "month")
    sid = done["warning_overturned"]["sanctions"][0]["sanction_id"]
    assert [o["sanction_id"] for o in rep["overturned"]] == [sid]
    assert rep["overturned"][0]["reversal_reason"] == "证据不足"
    w = next(r for r in rep["rows"] if (r["category"], r["action"]) == ("rumor", "warning"))
    assert w["sanctions"] == 2 and w["reversed"] == 1 and w["appeals_overturned"] == 1 and w["appeals_upheld"] == 1
    assert sid not in [c["sanction_id"] for c in rep["typical_cases"]]
    assert rep["headline"]["accounts_by_action"]["warning"] == 1  # u1 only: u2's warning was overturned


def test_periods_are_beijing_time_and_the_end_is_exclusive(gov, clock):
    # 2025-01-31 17:30 UTC is 2025-02-01 01:30 in Beijing: a February sanction
    clock.t = datetime(2025, 1, 31, 17, 30, tzinfo=UTC)
    claim_and_decide(gov, open_case_for(gov, "u9", "abuse"), "alice", "warning", "辱骂")
    bj = timezone(timedelta(hours=8))
    rep = regulator_report(gov, datetime(2025, 1, 1, tzinfo=bj), datetime(2025, 3, 1, tzinfo=bj), "month")
    assert [(r["period"], r["sanctions"]) for r in rep["rows"] if r["sanctions"]] == [("2025-02", 1)]
    # --to exactly at the decision time leaves it out; one microsecond later takes it in
    at = datetime(2025, 1, 31, 17, 30, tzinfo=UTC)
    assert regulator_report(gov, at - timedelta(days=1), at)["totals"]["sanctions"] == 0
    assert regulator_report(gov, at - timedelta(days=1), at + timedelta(microseconds=1))["totals"]["sanctions"] == 1
    assert regulator_report(gov, at, at + timedelta(days=1))["totals"]["sanctions"] == 1


def test_trends_compare_with_the_previous_window_of_the_same_length(gov, clock):
    clock.t = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)
    claim_and_decide(gov, open_case_for(gov, "p1", "rumor"), "alice", "warning", "x")
    clock.t = datetime(2025, 4, 10, 4, 0, tzinfo=UTC)
    for acc in ("q1", "q2", "q3"):
        claim_and_decide(gov, open_case_for(gov, acc, "rumor"), "alice", "warning", "x")
    bj = timezone(timedelta(hours=8))
    rep = regulator_report(gov, datetime(2025, 4, 1, tzinfo=bj), datetime(2025, 5, 1, tzinfo=bj), "month")
    t = rep["trend"]["sanctions"]
    assert (t["current"], t["previous"], t["change"], t["change_pct"]) == (3, 1, 2, 200.0)
    assert rep["previous"]["from_local"].startswith("2025-03-02")  # 30 days before April 1


def test_pre_qinglang_rows_that_record_a_qinglang_sanction_are_not_counted_twice(gov, clock):
    t0 = clock()
    out = claim_and_decide(gov, open_case_for(gov, "u5", "rumor"), "alice", "warning", "x")
    own = {"account_id": "u5", "action": "warning", "category": "rumor", "decided_at": t0 + timedelta(minutes=5), "tier": "regular"}
    other = {"account_id": "u6", "action": "warning", "category": "rumor", "decided_at": t0, "tier": "regular"}
    rep = regulator_report(gov, t0 - timedelta(days=1), t0 + timedelta(days=1), prior=[own, other])
    assert rep["totals"]["prior_sanctions"] == 1 and rep["prior_deduplicated"] == 1
    assert out["sanctions"]


def test_bad_windows_are_refused_clearly(gov):
    t = datetime(2025, 1, 1, tzinfo=UTC)
    with pytest.raises(QinglangError, match="after --from"):
        regulator_report(gov, t, t)
    with pytest.raises(QinglangError, match="20 years"):
        regulator_report(gov, t, t + timedelta(days=366 * 25))
    with pytest.raises(QinglangError, match="period"):
        regulator_report(gov, t, t + timedelta(days=1), "fortnight")


def test_csv_has_the_documented_columns_and_one_row_per_key(gov, clock):
    t0 = clock()
    _activity(gov, clock)
    rep = regulator_report(gov, t0 - timedelta(days=1), t0 + timedelta(days=1))
    rows = list(csv.DictReader(io.StringIO(render(rep, "csv").decode("utf-8"))))
    assert list(rows[0].keys()) == COLUMNS
    assert len(rows) == len(rep["rows"])
    assert sum(int(r["sanctions"]) for r in rows) == rep["totals"]["sanctions"]
    assert sum(int(r["fake_followers_removed"]) for r in rows) == 40


def test_xlsx_html_and_pdf_carry_the_same_figures_in_both_languages(gov, clock):
    from openpyxl import load_workbook

    t0 = clock()
    _activity(gov, clock)
    rep = regulator_report(gov, t0 - timedelta(days=1), t0 + timedelta(days=1))
    wb = load_workbook(io.BytesIO(render(rep, "xlsx")))
    assert wb.sheetnames == ["Summary 摘要", "Figures 数据", "Typical cases 典型案例", "Overturned 已撤销处置"]
    fig = wb["Figures 数据"]
    header = [c.value for c in fig[1]]
    assert header == COLUMNS
    data = [dict(zip(header, [c.value for c in row])) for row in fig.iter_rows(min_row=3, max_row=2 + len(rep["rows"]))]
    assert sum(r["sanctions"] for r in data) == rep["totals"]["sanctions"]
    assert wb["Overturned 已撤销处置"].max_row == 2
    html = render(rep, "html").decode("utf-8")
    for text in ("重点账号治理情况报告", "Report on the governance", "与上期比较", "Trends against the previous period",
                 "典型案例", "Typical cases", "已撤销的处置", "证据不足", "头部甲"):
        assert text in html, text
    from qinglang.services.report_render import chinese_font_available

    if not chinese_font_available():
        pytest.skip("no Chinese font installed (fonts-wqy-microhei or fonts-noto-cjk): PDF output is refused")
    pdf = render(rep, "pdf")
    assert pdf.startswith(b"%PDF")
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Typical cases" in text and "证据" in text
