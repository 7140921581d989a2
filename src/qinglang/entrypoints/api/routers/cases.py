"""Review cases: list, queue counts, show with evidence, open, claim, release, decide, notes, reassign."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from qinglang.entrypoints.api.auth import check, require
from qinglang.entrypoints.api.deps import ERRORS, IdQuery, Limit, Offset, gov, qapp
from qinglang.entrypoints.api.redact import redact
from qinglang.entrypoints.api.schemas import (MAX_ID, CaseListOut, CaseOpenIn, CaseOut, CategoryName, ClaimNextIn,
                                              ClaimOut, DecideIn, NoteIn, Open, ReassignIn, ReleaseIn, SeverityName,
                                              TierName)
from qinglang.errors import Conflict
from qinglang.services import cases as C
from qinglang.services.users import Principal

router = APIRouter(prefix="/api/cases", tags=["cases"], responses=ERRORS)
CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]


def P(permission: str):
    return Annotated[Principal, Depends(require(permission))]


@router.get("", response_model=CaseListOut, summary="List cases (案件列表)")
def list_cases(request: Request, who: P("read"),
               status: Annotated[list[Literal["open", "claimed", "resolved"]] | None, Query()] = None,
               category: CategoryName | None = None, severity: SeverityName | None = None,
               tier: TierName | None = None, account_id: IdQuery = None, claimed_by: IdQuery = None,
               stage: Literal["review", "second_review"] | None = None,
               overdue: Annotated[bool, Query(description="Only unresolved cases past their deadline.")] = False,
               limit: Limit = 100, offset: Offset = 0) -> dict:
    rows = C.list_cases(gov(request), status=status, category=category, severity=severity, account_id=account_id,
                        claimed_by=claimed_by, tier=tier, overdue=overdue, stage=stage, limit=limit, offset=offset)
    return {"cases": redact(rows), "limit": limit, "offset": offset}


@router.get("/queue", response_model=Open, summary="Open cases by category and severity, and SLA breaches")
def queue(request: Request, who: P("read")) -> dict:
    return C.queue_counts(gov(request))


@router.get("/{case_id}", response_model=CaseOut, summary="A case with its findings, notes, complaints, sanctions and history")
def show(case_id: CaseId, request: Request, who: P("read")) -> dict:
    return redact(C.show_case(gov(request), case_id))


@router.get("/{case_id}/evidence", response_model=Open,
            summary="A case's evidence side by side: posts with matched spans, accounts compared, audience audit")
def evidence(case_id: CaseId, request: Request, who: P("read"),
             audience: Annotated[bool, Query(description="Include the audience audit (slower for big accounts).")] = True) -> dict:
    from qinglang.services.casefile import case_evidence

    case = C.show_case(gov(request), case_id, with_history=False)
    return redact(case_evidence(qapp(request), case, with_audience=audience))


@router.post("", response_model=CaseOut, status_code=201, summary="Open a case by hand or on a referral (交办)")
def open_case(body: CaseOpenIn, request: Request, who: P("case.open")) -> dict:
    return redact(C.open_case(gov(request), account_id=body.account_id, category=body.category, by=who.name,
                              reason=body.reason, source=body.source, source_ref=body.source_ref,
                              severity=body.severity))


def _claim_next_review(g, who: Principal, body: ClaimNextIn) -> dict | None:
    """A reviewer without second-review rights takes the first claimable case at the review stage."""
    for _ in range(5):
        rows = C.list_cases(g, status=["open", "claimed"], stage="review", tier=body.tier, limit=50,
                            category=body.categories[0] if body.categories and len(body.categories) == 1 else None)
        from datetime import datetime, timezone

        now = datetime.now(timezone.utc)
        for r in rows:
            if body.categories and r["category"] not in body.categories:
                continue
            if body.severities and r["severity"] not in body.severities:
                continue
            if r["status"] == "claimed" and r.get("lease_until") and r["lease_until"] > now.isoformat():
                continue
            try:
                return C.claim_case(g, reviewer=who.name, case_id=r["case_id"])
            except Conflict:
                continue
        if len(rows) < 50:
            return None
    return None


@router.post("/claim-next", response_model=ClaimOut, summary="Claim the highest-priority case in the queue")
def claim_next(request: Request, who: P("case.claim"), body: ClaimNextIn | None = None) -> dict:
    body = body or ClaimNextIn()
    g = gov(request)
    from qinglang.entrypoints.api.auth import allowed

    if allowed(who.role, "case.second_review"):
        case = C.claim_case(g, reviewer=who.name, categories=body.categories, severities=body.severities, tier=body.tier)
    else:
        case = _claim_next_review(g, who, body)
    return {"claimed": case is not None, "case": redact(case) if case else None}


@router.post("/{case_id}/claim", response_model=CaseOut, summary="Claim a case (a lease; it lapses if left)")
def claim(case_id: CaseId, request: Request, who: P("case.claim")) -> dict:
    g = gov(request)
    current = C.show_case(g, case_id, with_history=False)
    if current["stage"] == "second_review":
        check(who, "case.second_review")
    return redact(C.claim_case(g, reviewer=who.name, case_id=case_id))


@router.post("/{case_id}/release", response_model=CaseOut, summary="Give a claimed case back to the queue")
def release(case_id: CaseId, request: Request, who: P("case.claim"), body: ReleaseIn | None = None) -> dict:
    return redact(C.release_case(gov(request), case_id, who.name, (body or ReleaseIn()).reason))


@router.post("/{case_id}/decide", response_model=CaseOut, summary="Decide a claimed case, or confirm/reject it in second review")
def decide(case_id: CaseId, body: DecideIn, request: Request, who: P("case.decide")) -> dict:
    """A decision that needs two humans (e.g. closing a head account) goes to second review, where a
    senior reviewer or admin other than the first confirms (`confirm: true`) or rejects (`reject: true`) it."""
    g = gov(request)
    current = C.show_case(g, case_id, with_history=False)
    if current["stage"] == "second_review" or body.confirm or body.reject:
        check(who, "case.second_review")
    out = C.decide_case(g, case_id, reviewer=who.name, action=body.action, reason=body.reason, days=body.days,
                        features=body.features, ban_days=body.ban_days, evidence=body.evidence,
                        corrections=body.corrections, cleanup=body.cleanup, confirm=body.confirm, reject=body.reject)
    if any(s.get("action") == "close" for s in out.get("sanctions") or []):
        request.app.state.runtime.refresh_registry_soon()  # a new ban for the registration check
    return redact(out)


@router.post("/{case_id}/notes", response_model=Open, status_code=201, summary="Add a note to a case")
def note(case_id: CaseId, body: NoteIn, request: Request, who: P("case.note")) -> dict:
    return C.add_note(gov(request), case_id, author=who.name, text=body.text)


@router.post("/{case_id}/reassign", response_model=CaseOut, summary="Hand a case to another reviewer")
def reassign(case_id: CaseId, body: ReassignIn, request: Request, who: P("case.reassign")) -> dict:
    from qinglang.entrypoints.api.auth import allowed
    from qinglang.errors import NotFound, QinglangError
    from qinglang.services.users import show_user

    try:
        target = show_user(request.app.state.runtime.store, body.to)
    except NotFound:
        raise QinglangError(f"no user {body.to!r} to hand the case to") from None
    if target["disabled"] or not allowed(target["role"], "case.decide"):
        raise QinglangError(f"{body.to} ({target['role']}{', disabled' if target['disabled'] else ''}) cannot decide cases")
    return redact(C.reassign_case(gov(request), case_id, to=body.to, by=who.name, reason=body.reason))
