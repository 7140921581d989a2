"""Review cases: open by hand or on referral, queue, claim with a lease, decide, second review, notes, reassignment.

Every function is one unit of work on the store with its actor recorded in the
audit log. Human decisions are final for automation: intake (services/intake.py)
only ever adds evidence to unresolved cases and never touches a decision.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qinglang.domain.cases import (
    AUTOMATION_ACTOR,
    Case,
    CaseSource,
    CaseStatus,
    DecisionKind,
    Outcome,
    Severity,
    Stage,
    check_claim,
    check_decide,
    require_reason,
)
from qinglang.domain.sanctions import Action, SanctionSpec
from qinglang.domain.vocab import Category, Tier
from qinglang.errors import Conflict, NotFound, QinglangError
from qinglang.services import complaints as complaints_service
from qinglang.services.enforcement import apply_sanction, cleanup_audience, evidence_summary
from qinglang.services.governance import Governance, jsonable
from qinglang.services.guidance import record_guidance
from qinglang.services.standing import points_and_credit

STATE_FIELDS = ("status", "stage", "severity", "priority", "claimed_by", "lease_until", "first_reviewer", "proposal",
                "decided_by", "second_reviewer", "outcome", "decision", "automated")


def case_state(case: Case) -> dict[str, Any]:
    return jsonable({k: getattr(case, k) for k in STATE_FIELDS})


def _check_category(category: str) -> str:
    if category not in {c.value for c in Category}:
        raise QinglangError(f"--category must be one of {', '.join(c.value for c in Category)}, not {category!r}")
    return category


def _check_severity(severity: str) -> str:
    if severity not in {s.value for s in Severity}:
        raise QinglangError(f"--severity must be one of {', '.join(s.value for s in Severity)}, not {severity!r}")
    return severity


def _get(uow, case_id: int, for_update: bool = False) -> Case:
    case = uow.cases.get(case_id, for_update=for_update)
    if case is None:
        raise NotFound(f"no case {case_id}; `qinglang cases list` shows the cases")
    return case


# --- opening ---------------------------------------------------------------
def open_case(gov: Governance, *, account_id: str, category: str, by: str, reason: str,
              source: str = CaseSource.MANUAL.value, source_ref: str | None = None, severity: str | None = None,
              tier: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Open a case by hand, e.g. on a referral from a regulator (交办) with its reference.

    If the account already has an unresolved case in this category, the referral is attached to
    it (a note, and the severity raised if asked) instead of opening a second one.
    """
    _check_category(category)
    if source not in (CaseSource.MANUAL.value, CaseSource.REFERRAL.value):
        raise QinglangError("--source must be manual or referral")
    if source == CaseSource.REFERRAL.value and not (source_ref or "").strip():
        raise QinglangError("a referral needs its reference (--ref), e.g. the regulator's document number")
    reason = require_reason(reason, "opening a case")
    if severity is not None:
        _check_severity(severity)
    tier = gov.tier_of(account_id, tier)
    t = gov.now(now)

    def work(uow) -> tuple[int, bool]:
        existing = uow.cases.open_for([(account_id, category)], for_update=True).get((account_id, category))
        note = f"{source}{' ' + source_ref if source_ref else ''}: {reason}"
        if existing is not None:
            changes: dict[str, Any] = {"updated_at": uow.now}
            if severity and Severity(severity).rank > Severity(existing.severity).rank:
                changes["severity"] = severity
                changes["priority"] = gov.policy.priority(severity, existing.tier, existing.score, existing.complaint_weight)
                changes["due_at"] = min(existing.due_at or uow.now, gov.policy.due(uow.now, severity, existing.tier))
            if source_ref and not existing.source_ref:
                changes["source_ref"] = source_ref
            uow.cases.update(existing.case_id, **changes)
            uow.cases.add_note(existing.case_id, by, uow.now, note)
            uow.audit("case.referral_attached", "case", existing.case_id, case_state(existing),
                      jsonable({k: v for k, v in changes.items() if k != "updated_at"}), note)
            return existing.case_id, True
        sev = severity or gov.policy.severity(category, 0.0)
        points, credit = points_and_credit(uow, gov, account_id, uow.now)
        sug = gov.policy.suggest(category, sev, tier, points, credit)
        values = dict(account_id=account_id, category=category, tier=tier, status=CaseStatus.OPEN.value,
                      stage=Stage.REVIEW.value, severity=sev, priority=gov.policy.priority(sev, tier, 0.0),
                      score=0.0, source=source, source_ref=source_ref, title=reason[:200], opened_by=by,
                      opened_at=uow.now, updated_at=uow.now, due_at=gov.policy.due(uow.now, sev, tier),
                      suggested=sug.as_dict(), automated=False, complaint_weight=0.0, finding_count=0)
        cid = uow.cases.add(**values)
        uow.cases.add_note(cid, by, uow.now, note)
        uow.audit("case.opened", "case", cid, None, jsonable(values), reason)
        return cid, False

    cid, attached = gov.store.run(work, actor=by, now=t)
    out = show_case(gov, cid, with_history=False)
    out["attached_to_existing"] = attached
    return out


# --- reading -----------------------------------------------------------------
def list_cases(gov: Governance, *, status: list[str] | None = None, category: str | None = None,
               severity: str | None = None, account_id: str | None = None, claimed_by: str | None = None,
               tier: str | None = None, overdue: bool = False, stage: str | None = None, limit: int | None = 100,
               offset: int = 0, now: datetime | None = None) -> list[dict[str, Any]]:
    if category:
        _check_category(category)
    if severity:
        _check_severity(severity)
    for s in status or []:
        if s not in {x.value for x in CaseStatus}:
            raise QinglangError(f"--status must be one of {', '.join(x.value for x in CaseStatus)}, not {s!r}")
    t = gov.now(now)
    with gov.store.read() as uow:
        rows = uow.cases.list(status=status, category=category, severity=severity, account_id=account_id,
                              claimed_by=claimed_by, tier=tier, overdue_at=t if overdue else None, stage=stage,
                              limit=limit, offset=offset)
    out = []
    for c in rows:
        d = c.as_dict()
        d["overdue"] = c.overdue(t)
        out.append(d)
    return out


def queue_counts(gov: Governance, now: datetime | None = None) -> dict[str, Any]:
    """Unresolved cases by category and severity, and how many are past their deadline."""
    t = gov.now(now)
    with gov.store.read() as uow:
        rows = uow.cases.count_by("category", "severity", "status", status=[CaseStatus.OPEN.value, CaseStatus.CLAIMED.value])
        overdue = len(uow.cases.list(status=[CaseStatus.OPEN.value, CaseStatus.CLAIMED.value], overdue_at=t))
    return {"queues": rows, "overdue": overdue}


def show_case(gov: Governance, case_id: int, with_history: bool = True, now: datetime | None = None) -> dict[str, Any]:
    t = gov.now(now)
    with gov.store.read() as uow:
        case = _get(uow, case_id)
        d = case.as_dict()
        d["overdue"] = case.overdue(t)
        d["findings"] = jsonable(uow.cases.findings(case_id))
        d["notes"] = jsonable(uow.cases.notes(case_id))
        d["complaints"] = jsonable(uow.complaints.for_case(case_id))
        d["sanctions"] = jsonable(uow.sanctions.for_case(case_id))
        if case.status != CaseStatus.RESOLVED.value:
            points, credit = points_and_credit(uow, gov, case.account_id, t)
            d["suggested_now"] = gov.policy.suggest(case.category, case.severity, case.tier, points, credit).as_dict()
            d["needs_second_review_if"] = [a.value for a in Action
                                           if gov.policy.needs_second_review(case.tier, SanctionSpec(a, days=1 if a in (Action.LIMIT, Action.SUSPEND) else None))]
        if with_history:
            d["history"] = jsonable(uow.audit_log.entity_history("case", str(case_id)))
    return d


# --- claiming ----------------------------------------------------------------
def claim_case(gov: Governance, *, reviewer: str, case_id: int | None = None, categories: list[str] | None = None,
               severities: list[str] | None = None, tier: str | None = None, now: datetime | None = None,
               detail: bool = True) -> dict[str, Any] | None:
    """Claim a case (or the next one in the queue) with a lease; None when the queue has nothing for this reviewer.

    Returns the case as `show_case` does, or with detail=False just {case_id, claimed_by, lease_until}.
    """
    reviewer = (reviewer or "").strip()
    if not reviewer:
        raise QinglangError("claiming needs --reviewer NAME")
    for c in categories or []:
        _check_category(c)
    for s in severities or []:
        _check_severity(s)

    def work(uow):
        if case_id is not None:
            case = _get(uow, case_id, for_update=True)
            check_claim(case, reviewer, uow.now)
        else:
            case = uow.cases.next_claimable(reviewer, uow.now, categories, severities, tier)
            if case is None:
                return None
        lease_until = uow.now + gov.policy.lease()
        uow.cases.update(case.case_id, status=CaseStatus.CLAIMED.value, claimed_by=reviewer, claimed_at=uow.now,
                         lease_until=lease_until, updated_at=uow.now)
        took_over = case.status == CaseStatus.CLAIMED.value and case.claimed_by not in (None, reviewer)
        uow.audit("case.claimed", "case", case.case_id,
                  {"status": case.status, "claimed_by": case.claimed_by, "lease_until": jsonable(case.lease_until)},
                  {"status": CaseStatus.CLAIMED.value, "claimed_by": reviewer, "lease_until": jsonable(lease_until)},
                  f"lease of {case.claimed_by} had lapsed" if took_over else "")
        return case.case_id, lease_until

    res = gov.store.run(work, actor=reviewer, now=gov.now(now))
    if res is None:
        return None
    if not detail:
        return {"case_id": res[0], "claimed_by": reviewer, "lease_until": res[1].isoformat()}
    return show_case(gov, res[0], with_history=False, now=now)


def release_case(gov: Governance, case_id: int, reviewer: str, reason: str = "", now: datetime | None = None) -> dict[str, Any]:
    """Give a claimed case back to the queue."""
    def work(uow):
        case = _get(uow, case_id, for_update=True)
        if case.status != CaseStatus.CLAIMED.value or case.claimed_by != reviewer:
            raise Conflict(f"case {case_id} is not claimed by {reviewer}")
        uow.cases.update(case_id, status=CaseStatus.OPEN.value, claimed_by=None, claimed_at=None, lease_until=None,
                         updated_at=uow.now)
        uow.audit("case.released", "case", case_id, {"status": case.status, "claimed_by": reviewer},
                  {"status": CaseStatus.OPEN.value, "claimed_by": None}, reason)

    gov.store.run(work, actor=reviewer, now=gov.now(now))
    return show_case(gov, case_id, with_history=False, now=now)


def reassign_case(gov: Governance, case_id: int, *, to: str, by: str, reason: str, now: datetime | None = None) -> dict[str, Any]:
    """Hand a case to another reviewer (a lead's action): it is claimed for them with a fresh lease."""
    reason = require_reason(reason, "reassigning a case")
    to = (to or "").strip()
    if not to:
        raise QinglangError("reassigning needs --to REVIEWER")

    def work(uow):
        case = _get(uow, case_id, for_update=True)
        if case.status == CaseStatus.RESOLVED.value:
            raise Conflict(f"case {case_id} is resolved; nothing to reassign")
        if case.stage == Stage.SECOND_REVIEW.value and case.first_reviewer == to:
            raise Conflict(f"case {case_id} awaits a second review of {to}'s decision; assign it to someone else")
        lease_until = uow.now + gov.policy.lease()
        uow.cases.update(case_id, status=CaseStatus.CLAIMED.value, claimed_by=to, claimed_at=uow.now,
                         lease_until=lease_until, updated_at=uow.now)
        uow.audit("case.reassigned", "case", case_id, {"status": case.status, "claimed_by": case.claimed_by},
                  {"status": CaseStatus.CLAIMED.value, "claimed_by": to, "lease_until": jsonable(lease_until)}, reason)

    gov.store.run(work, actor=by, now=gov.now(now))
    return show_case(gov, case_id, with_history=False, now=now)


def add_note(gov: Governance, case_id: int, *, author: str, text: str, now: datetime | None = None) -> dict[str, Any]:
    text = (text or "").strip()
    if not text:
        raise QinglangError("a note needs text (--text)")

    def work(uow):
        _get(uow, case_id)
        nid = uow.cases.add_note(case_id, author, uow.now, text)
        uow.audit("case.note", "case", case_id, None, {"note_id": nid}, text)
        return nid

    nid = gov.store.run(work, actor=author, now=gov.now(now))
    return {"case_id": case_id, "note_id": nid, "author": author, "text": text}


# --- deciding ----------------------------------------------------------------
def build_decision(gov: Governance, case: Case, kind: str, *, days: int | None = None, features: list[str] | None = None,
                   ban_days: int | None = None, points: int = 0, credit: float = 100.0) -> dict[str, Any]:
    """A reviewer's decision as data: {kind, sanction?} ('suggested' resolves to the policy's proposal now)."""
    try:
        k = DecisionKind(kind)
    except ValueError:
        raise QinglangError(f"--action must be one of {', '.join(d.value for d in DecisionKind)}, not {kind!r}") from None
    if k is DecisionKind.SUGGESTED:
        sug = gov.policy.suggest(case.category, case.severity, case.tier, points, credit)
        if sug.spec is None:
            return {"kind": DecisionKind.GUIDANCE.value, "from_policy": sug.note}
        return {"kind": sug.spec.action.value, "sanction": sug.spec.as_dict(), "from_policy": sug.note}
    if not k.is_sanction:
        if days is not None or features or ban_days is not None:
            raise QinglangError(f"--days, --features and --ban-days go with a sanction, not {k.value}")
        return {"kind": k.value}
    action = Action(k.value)
    rule = gov.policy.category(case.category)
    if action is Action.LIMIT:
        features = features or list(rule.limit_features)
        days = days or 30
    if action is Action.SUSPEND and days is None:
        raise QinglangError("a suspension needs its length (--days N)")
    spec = SanctionSpec(action, days=days, features=tuple(features or ()), ban_days=ban_days).validate()
    return {"kind": k.value, "sanction": spec.as_dict()}


def decide_case(gov: Governance, case_id: int, *, reviewer: str, action: str | None = None, reason: str,
                days: int | None = None, features: list[str] | None = None, ban_days: int | None = None,
                evidence: str | None = None, corrections: str | None = None, cleanup: bool | None = None,
                confirm: bool = False, reject: bool = False, now: datetime | None = None,
                detail: bool = True) -> dict[str, Any]:
    """Decide a claimed case; a decision needing two humans goes to second review, where another reviewer confirms or rejects it.

    Returns the case as `show_case` does plus `result`, or with detail=False just {case_id, result, sanction_id}.
    """
    reason = require_reason(reason)
    t = gov.now(now)
    if not (confirm or reject) and not action:
        raise QinglangError("--action is required: dismiss, guidance, warning, limit, suspend, close or suggested")
    # The audience clean-up needs the lake (fake followers), read outside the transaction: a case whose
    # category cleans up is decided in two steps, the others in one transaction.
    lake_info: dict[str, Any] = {}

    def cleanup_wanted(case: Case) -> bool:
        rule = gov.policy.category(case.category)
        return (rule.cleanup if cleanup is None else cleanup) and not reject and action != DecisionKind.DISMISS.value

    class _NeedLake(Exception):
        pass

    def work(uow) -> dict[str, Any]:
        case = _get(uow, case_id, for_update=True)
        if case.stage == Stage.SECOND_REVIEW.value:
            if confirm == reject:
                raise QinglangError(f"case {case_id} awaits a second review: use --confirm or --reject (with --reason)")
        elif confirm or reject:
            raise QinglangError(f"case {case_id} is not awaiting a second review; decide it with --action")
        check_decide(case, reviewer, uow.now)
        want_cleanup = cleanup_wanted(case)
        if want_cleanup and lake_info.get("account_id") != case.account_id:
            raise _NeedLake(case.account_id)
        followers = lake_info.get("followers", []) if want_cleanup else []
        followers_before = lake_info.get("followers_before")
        if case.stage == Stage.SECOND_REVIEW.value:
            if reject:
                uow.cases.update(case_id, status=CaseStatus.OPEN.value, stage=Stage.REVIEW.value, proposal=None,
                                 first_reviewer=None, claimed_by=None, claimed_at=None, lease_until=None,
                                 updated_at=uow.now)
                uow.cases.add_note(case_id, reviewer, uow.now, f"second review rejected {case.first_reviewer}'s decision: {reason}")
                uow.audit("case.second_review_rejected", "case", case_id, case_state(case),
                          {"status": CaseStatus.OPEN.value, "stage": Stage.REVIEW.value, "proposal": None}, reason)
                return {"case_id": case_id, "result": "returned to review"}
            decision = dict(case.proposal or {})
            return _finalize(uow, gov, case, decision, decided_by=case.first_reviewer, second_reviewer=reviewer,
                             reason=reason, followers=followers, followers_before=followers_before)
        points, credit = (points_and_credit(uow, gov, case.account_id, uow.now)
                          if action == DecisionKind.SUGGESTED.value else (0, 100.0))
        decision = build_decision(gov, case, action, days=days, features=features, ban_days=ban_days,
                                  points=points, credit=credit)
        if evidence:
            decision["evidence"] = evidence
        if corrections:
            decision["corrections"] = corrections
        decision["cleanup"] = bool(want_cleanup and decision["kind"] != DecisionKind.DISMISS.value)
        decision["reason"] = reason
        spec = SanctionSpec.from_dict(decision["sanction"]) if decision.get("sanction") else None
        if gov.policy.needs_second_review(case.tier, spec):
            uow.cases.update(case_id, status=CaseStatus.OPEN.value, stage=Stage.SECOND_REVIEW.value, proposal=decision,
                             first_reviewer=reviewer, claimed_by=None, claimed_at=None, lease_until=None,
                             updated_at=uow.now)
            uow.audit("case.decision_proposed", "case", case_id, case_state(case),
                      {"status": CaseStatus.OPEN.value, "stage": Stage.SECOND_REVIEW.value, "proposal": decision,
                       "first_reviewer": reviewer}, reason)
            return {"case_id": case_id, "result": "awaiting second review"}
        return _finalize(uow, gov, case, decision, decided_by=reviewer, second_reviewer=None, reason=reason,
                         followers=followers, followers_before=followers_before)

    try:
        result = gov.store.run(work, actor=reviewer, now=t)
    except _NeedLake as need:
        account = need.args[0]
        info = gov.lake.tiers([account]).get(account)
        lake_info.update(account_id=account, followers=gov.lake.fake_followers(account, gov.policy.fake_followers["min_score"]),
                         followers_before=info[1] if info else None)
        result = gov.store.run(work, actor=reviewer, now=t)
    if not detail:
        return {"case_id": case_id, "result": result["result"], "sanction_id": result.get("sanction_id")}
    out = show_case(gov, case_id, with_history=False, now=now)
    out["result"] = result["result"]
    return out


def _finalize(uow, gov: Governance, case: Case, decision: dict[str, Any], *, decided_by: str,
              second_reviewer: str | None, reason: str, followers: list[str], followers_before: int | None,
              automated: bool = False) -> dict[str, Any]:
    """Apply a decision: sanction, guidance, clean-up, complaint answers; resolve the case. Inside one unit of work."""
    kind = DecisionKind(decision["kind"])
    findings = uow.cases.findings(case.case_id)
    complaints = uow.complaints.for_case(case.case_id)
    ev = evidence_summary(findings, len(complaints), decision.get("evidence"))
    do_cleanup = bool(decision.get("cleanup")) and bool(followers)
    sanction_id = None
    if kind.is_sanction:
        spec = SanctionSpec.from_dict(decision["sanction"])
        sanction_id = apply_sanction(uow, gov, account_id=case.account_id, category=case.category, tier=case.tier,
                                     spec=spec, decided_by=decided_by, reason=reason, case_id=case.case_id,
                                     second_reviewer=second_reviewer, automated=automated, evidence=ev,
                                     cleanup_count=len(followers) if do_cleanup else 0)
        decision["sanction_id"] = sanction_id
    if kind is DecisionKind.GUIDANCE:
        decision["guidance_id"] = record_guidance(uow, gov, account_id=case.account_id, kind="interview",
                                                  text=reason, by=decided_by, case_id=case.case_id)
    if decision.get("corrections"):
        decision["correction_id"] = record_guidance(uow, gov, account_id=case.account_id, kind="correction",
                                                    text=reason, corrections=decision["corrections"],
                                                    by=decided_by, case_id=case.case_id)
    if do_cleanup:
        decision["cleanup_id"] = cleanup_audience(uow, account_id=case.account_id, followers=followers,
                                                  followers_before=followers_before, by=decided_by,
                                                  case_id=case.case_id, sanction_id=sanction_id, automated=automated)
        decision["followers_removed"] = len(followers)
    outcome = (Outcome.SANCTIONED if kind.is_sanction else Outcome.GUIDANCE if kind is DecisionKind.GUIDANCE
               else Outcome.DISMISSED)
    after = {"status": CaseStatus.RESOLVED.value, "outcome": outcome.value, "decision": decision,
             "decided_by": decided_by, "second_reviewer": second_reviewer, "automated": automated}
    uow.cases.update(case.case_id, status=CaseStatus.RESOLVED.value, outcome=outcome.value, decision=decision,
                     decided_by=decided_by, second_reviewer=second_reviewer, decided_at=uow.now, reason=reason,
                     automated=automated, lease_until=None, updated_at=uow.now)
    uow.audit("case.decided", "case", case.case_id, case_state(case), jsonable(after), reason, automated=automated,
              actor=AUTOMATION_ACTOR if automated else (second_reviewer or decided_by))
    complaints_service.answer_for_case(uow, case.case_id, outcome.value, decision, complaints)
    return {"case_id": case.case_id, "result": outcome.value, "sanction_id": sanction_id}


def auto_decide(uow, gov: Governance, case: Case, spec: SanctionSpec, note: str) -> dict[str, Any]:
    """Apply a sanction the policy marks as certain, marked as automated (never a head account's closure)."""
    if case.tier == Tier.HEAD.value and spec.action is Action.CLOSE:
        raise Conflict("a head account is never closed automatically")
    decision = {"kind": spec.action.value, "sanction": spec.as_dict(), "from_policy": note, "cleanup": False,
                "reason": "certain case applied automatically by policy"}
    return _finalize(uow, gov, case, decision, decided_by=AUTOMATION_ACTOR, second_reviewer=None,
                     reason=f"automatic: {note}", followers=[], followers_before=None, automated=True)
