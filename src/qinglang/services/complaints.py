"""Netizen complaints (举报): intake, acknowledgement, routing to cases, handling deadline, answer to the complainant.

A complaint is acknowledged at once (an outbox event to the complainant) and
has a handling deadline. Complaints about one account and category are
weighed together (domain/complaints.py: distinct reporters, mass reporters
damped): their weight raises the priority of the account's open case, or opens
a case once it reaches the policy's threshold. When the case is decided, every
complaint linked to it is answered with the outcome.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any, Iterable

from qinglang.domain.cases import CaseSource, CaseStatus, Severity, Stage
from qinglang.domain.complaints import weight_of
from qinglang.domain.vocab import Category
from qinglang.errors import Conflict, NotFound, QinglangError
from qinglang.services import notices as N
from qinglang.services.governance import Governance, jsonable

OUTCOME_TEXT = {
    "sanctioned": ("经核查，被举报账号存在违规行为，平台已依规处置。", "The account was found in breach of the rules and has been sanctioned."),
    "guidance": ("经核查，平台已对被举报账号进行提醒指导或约谈。", "The account's operator has been given guidance or called to an interview."),
    "dismissed": ("经核查，暂未发现被举报账号存在违规行为。", "No violation by the account was found."),
}


def _ack_event(complaint_id: int, row: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """The outbox event acknowledging a complaint to its reporter (with the notice text)."""
    labels = N.category_labels(row["category"])
    notice = N.render("complaint_ack", complaint_id=complaint_id, account_id=row["account_id"],
                      due_at=N.beijing(row["due_at"]), **labels)
    return (f"complaint:{complaint_id}:acknowledged", "complaint.acknowledged", {
        "complaint_id": complaint_id, "report_id": row.get("report_id"), "reporter_id": row["reporter_id"],
        "account_id": row["account_id"], "due_at": jsonable(row["due_at"]), "notice": notice.as_dict(),
    })


def _prepare(uow, gov: Governance, row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row["category"] = row.get("category") or Category.OTHER.value
    if row["category"] not in {c.value for c in Category}:
        raise QinglangError(f"complaint category must be one of {', '.join(c.value for c in Category)}, not {row['category']!r}")
    received = row.get("received_at") or uow.now
    # the handling deadline runs from when qinglang took the complaint in (a snapshot's old reports start now)
    row.update(received_at=received, acknowledged_at=uow.now, status="received",
               due_at=max(received, uow.now) + timedelta(days=float(gov.policy.complaints["handle_days"])))
    return row


def _received(uow, cid: int, row: dict[str, Any]) -> None:
    uow.audit("complaint.received", "complaint", cid, None,
              jsonable({k: row.get(k) for k in ("report_id", "reporter_id", "account_id", "post_id", "category", "source", "due_at")}),
              row.get("text") or "")


def _insert(uow, gov: Governance, row: dict[str, Any]) -> int | None:
    row = _prepare(uow, gov, row)
    cid = uow.complaints.add(**row)
    if cid is None:
        return None
    uow.outbox.add(*_ack_event(cid, row), uow.now)
    _received(uow, cid, row)
    return cid


def _insert_many(uow, gov: Governance, rows: list[dict[str, Any]]) -> int:
    """`_insert` for many complaints: one statement for the rows, one for their acknowledgements."""
    rows = [_prepare(uow, gov, r) for r in rows]
    ids = uow.complaints.add_many(rows)
    events = []
    for cid, row in zip(ids, rows):
        if cid is not None:
            events.append(_ack_event(cid, row))
            _received(uow, cid, row)
    uow.outbox.add_many(events, uow.now)
    return len(events)


def route(uow, gov: Governance, pairs: Iterable[tuple[str, str]],
          tiers: dict[str, tuple[str, int]] | None = None) -> dict[str, int]:
    """Weigh complaints per (account, category); attach them to the open case, or open one at the threshold."""
    pairs = set(pairs)
    if not pairs:
        return {"cases_opened": 0, "cases_raised": 0}
    cfg = gov.policy.complaints
    window = timedelta(days=float(cfg["window_days"]))
    rows = [r for r in uow.complaints.for_accounts({a for a, _ in pairs}) if (r["account_id"], r["category"]) in pairs]
    by_pair: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_pair[(r["account_id"], r["category"])].append(r)
    # complaints count together within the window before the newest one about the pair
    per_account: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        per_account[r["account_id"]].append(r)
    anchors = {}
    for pair, items in by_pair.items():
        anchor = max(r["received_at"] for r in items)
        anchors[pair] = anchor
        # handled complaints were answered by an earlier decision and count no more
        by_pair[pair] = [r for r in items if r["received_at"] >= anchor - window and r["status"] != "handled"]
    targets: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
    for rep, acc, at in uow.complaints.reporter_targets({r["reporter_id"] for items in by_pair.values() for r in items}):
        targets[rep].append((acc, at))

    def breadth(anchor: datetime, reporters: set[str]) -> dict[str, int]:
        """How many accounts each of these reporters reported around the anchor (mass reporting)."""
        return {rep: len({a for a, at in targets.get(rep, ()) if anchor - window <= at <= anchor + window})
                for rep in reporters}

    open_cases = uow.cases.open_for(by_pair.keys(), for_update=True)
    opened = raised = 0
    for (account, category), items in sorted(by_pair.items()):
        anchor = anchors[(account, category)]
        repeats: dict[str, int] = defaultdict(int)
        for r in per_account[account]:
            if anchor - window <= r["received_at"] <= anchor:
                repeats[r["reporter_id"]] += 1
        reporters = [r["reporter_id"] for r in items]
        weight = weight_of(reporters, breadth(anchor, set(reporters)), int(cfg["mass_threshold"]), repeats)
        unlinked = [r["complaint_id"] for r in items if r["case_id"] is None and r["status"] != "handled"]
        case = open_cases.get((account, category))
        if case is not None:
            if unlinked:
                uow.complaints.link(unlinked, case.case_id)
            if weight != case.complaint_weight:
                sev = case.severity
                if case.status != CaseStatus.RESOLVED.value:
                    sev = max(Severity(case.severity), gov.policy.severity(category, case.score, case.finding_count, weight),
                              key=lambda s: Severity(s).rank)
                uow.cases.update(case.case_id, complaint_weight=weight, severity=sev,
                                 priority=gov.policy.priority(sev, case.tier, case.score, weight), updated_at=uow.now)
                uow.audit("case.complaints_weighed", "case", case.case_id,
                          {"complaint_weight": case.complaint_weight, "priority": case.priority},
                          {"complaint_weight": weight, "linked": unlinked}, f"{len(items)} complaint(s) in the window")
                raised += 1
            continue
        if weight < float(cfg["open_min_weight"]) or not unlinked:
            continue
        if tiers is None:
            tiers = gov.lake.tiers({a for a, _ in by_pair})
        tier = tiers.get(account, ("regular", 0))[0]
        sev = gov.policy.severity(category, 0.0, 0, weight)
        from qinglang.services.standing import points_and_credit

        points, credit = points_and_credit(uow, gov, account, uow.now)
        sug = gov.policy.suggest(category, sev.value, tier, points, credit)
        values = dict(account_id=account, category=category, tier=tier, status=CaseStatus.OPEN.value,
                      stage=Stage.REVIEW.value, severity=sev.value, priority=gov.policy.priority(sev, tier, 0.0, weight),
                      score=0.0, source=CaseSource.COMPLAINTS.value, title=f"{len(items)} complaints", opened_by="qinglang-complaints",
                      opened_at=uow.now, updated_at=uow.now, due_at=gov.policy.due(uow.now, sev, tier),
                      suggested=sug.as_dict(), automated=False, complaint_weight=weight, finding_count=0)
        case_id = uow.cases.add(**values)
        uow.complaints.link(unlinked, case_id)
        uow.audit("case.opened", "case", case_id, None, jsonable(values),
                  f"complaints from reporters weighing {weight} reached the threshold {cfg['open_min_weight']}")
        opened += 1
    return {"cases_opened": opened, "cases_raised": raised}


def submit_complaint(gov: Governance, *, reporter_id: str, account_id: str, category: str | None = None,
                     text: str | None = None, post_id: str | None = None, report_id: str | None = None,
                     by: str = "intake", source: str = "cli", now: datetime | None = None) -> dict[str, Any]:
    """Take in one complaint: record, acknowledge, route. Idempotent by report_id."""
    if not (reporter_id or "").strip() or not (account_id or "").strip():
        raise QinglangError("a complaint needs --reporter and the reported account")

    tiers = gov.lake.tiers([account_id])

    def work(uow):
        cid = _insert(uow, gov, {"report_id": report_id, "reporter_id": reporter_id, "account_id": account_id,
                                 "post_id": post_id, "category": category, "text": text, "source": source})
        if cid is None:
            return None, {}
        routed = route(uow, gov, [(account_id, category or Category.OTHER.value)], tiers)
        return cid, routed

    cid, routed = gov.store.run(work, actor=by, now=gov.now(now))
    if cid is None:
        with gov.store.read() as uow:
            existing = [r for r in uow.complaints.list(account_id=account_id) if r["report_id"] == report_id]
        out = jsonable(existing[0]) if existing else {}
        out["duplicate"] = True
        return out
    out = show_complaint(gov, cid)
    out["routing"] = routed
    return out


def import_reports(gov: Governance, reports: list[dict[str, Any]], actor: str = "qinglang-intake",
                   chunk: int = 500) -> dict[str, int]:
    """Take in the snapshot's `reports` table as complaints (only report_ids not seen before), then weigh them.

    All new complaints are recorded first and routed after, so the weights do not depend on the order
    of the reports. Each chunk is one transaction; a re-run after a crash skips what was recorded.
    """
    with gov.store.read() as uow:
        known = uow.complaints.known_report_ids(r["report_id"] for r in reports)
    fresh = [r for r in reports if r["report_id"] not in known]
    valid = {c.value for c in Category}
    received = 0
    for i in range(0, len(fresh), chunk):
        part = fresh[i:i + chunk]

        def work(uow, part=part):
            return _insert_many(uow, gov, [
                {"report_id": r["report_id"], "reporter_id": r["reporter_id"], "account_id": r["account_id"],
                 "post_id": r.get("post_id"),
                 "category": r.get("category") if r.get("category") in valid else Category.OTHER.value,
                 "text": r.get("text"), "source": "snapshot", "received_at": r.get("created_at")} for r in part])

        received += gov.store.run(work, actor=actor, now=gov.now())
    # route every pair with unhandled complaints not yet on a case (this import's, and any a crash left unrouted)
    with gov.store.read() as uow:
        pairs = sorted({(r["account_id"], r["category"]) for r in uow.complaints.list(status="received")
                        if r["case_id"] is None})
    tiers = gov.lake.tiers({a for a, _ in pairs}) if pairs else {}
    opened = raised = 0
    for i in range(0, len(pairs), chunk):
        routed = gov.store.run(lambda uow, part=pairs[i:i + chunk]: route(uow, gov, part, tiers), actor=actor,
                               now=gov.now())
        opened += routed["cases_opened"]
        raised += routed["cases_raised"]
    return {"complaints_received": received, "cases_opened_by_complaints": opened, "cases_raised_by_complaints": raised}


def answer_for_case(uow, case_id: int, outcome: str, decision: dict[str, Any],
                    complaints: list[dict[str, Any]] | None = None) -> int:
    """Answer every unhandled complaint linked to a decided case with its outcome."""
    n = 0
    zh, en = OUTCOME_TEXT.get(outcome, OUTCOME_TEXT["dismissed"])
    for c in uow.complaints.for_case(case_id) if complaints is None else complaints:
        if c["status"] == "handled":
            continue
        _answer(uow, c, zh, en, outcome)
        n += 1
    return n


def _answer(uow, c: dict[str, Any], zh: str, en: str, outcome: str) -> None:
    uow.complaints.update(c["complaint_id"], status="handled", outcome=outcome, handled_at=uow.now, handled_by=uow.actor)
    notice = N.render("complaint_outcome", complaint_id=c["complaint_id"], account_id=c["account_id"],
                      outcome_zh=zh, outcome_en=en)
    uow.outbox.add(f"complaint:{c['complaint_id']}:outcome", "complaint.outcome", {
        "complaint_id": c["complaint_id"], "report_id": c.get("report_id"), "reporter_id": c["reporter_id"],
        "account_id": c["account_id"], "outcome": outcome, "notice": notice.as_dict(),
    }, uow.now)
    uow.audit("complaint.handled", "complaint", c["complaint_id"], {"status": c["status"]},
              {"status": "handled", "outcome": outcome}, en)


def handle_complaint(gov: Governance, complaint_id: int, *, by: str, outcome: str, note: str | None = None,
                     now: datetime | None = None) -> dict[str, Any]:
    """Close a complaint by hand (e.g. one that needs no case): the complainant gets the outcome."""
    if outcome not in OUTCOME_TEXT:
        raise QinglangError(f"--outcome must be one of {', '.join(OUTCOME_TEXT)}, not {outcome!r}")

    def work(uow):
        c = uow.complaints.get(complaint_id, for_update=True)
        if c is None:
            raise NotFound(f"no complaint {complaint_id}")
        if c["status"] == "handled":
            raise Conflict(f"complaint {complaint_id} was already handled ({c['outcome']})")
        zh, en = OUTCOME_TEXT[outcome]
        if note:
            zh, en = f"{zh}{note}", f"{en} {note}"
        _answer(uow, c, zh, en, outcome)

    gov.store.run(work, actor=by, now=gov.now(now))
    return show_complaint(gov, complaint_id)


def show_complaint(gov: Governance, complaint_id: int) -> dict[str, Any]:
    with gov.store.read() as uow:
        c = uow.complaints.get(complaint_id)
    if c is None:
        raise NotFound(f"no complaint {complaint_id}")
    return jsonable(c)


def list_complaints(gov: Governance, status: str | None = None, account_id: str | None = None, overdue: bool = False,
                    limit: int | None = 100, now: datetime | None = None) -> list[dict[str, Any]]:
    t = gov.now(now)
    with gov.store.read() as uow:
        return [jsonable(r) for r in uow.complaints.list(status=status, account_id=account_id,
                                                        overdue_at=t if overdue else None, limit=limit)]
