"""Appeals: list, show, file, claim, decide (upheld keeps the sanction, overturned reverses it)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request

from qinglang.entrypoints.api.auth import require
from qinglang.entrypoints.api.deps import ERRORS, IdQuery, Limit, gov
from qinglang.entrypoints.api.schemas import MAX_ID, AppealDecideIn, AppealIn, AppealOut, Open
from qinglang.services import appeals as A
from qinglang.services.users import Principal

router = APIRouter(prefix="/api/appeals", tags=["appeals"], responses=ERRORS)
AppealId = Annotated[int, Path(ge=1, le=MAX_ID)]


def P(permission: str):
    return Annotated[Principal, Depends(require(permission))]


@router.get("", response_model=list[AppealOut], summary="List appeals")
def list_appeals(request: Request, who: P("read"), status: Literal["pending", "claimed", "decided"] | None = None,
                 account_id: IdQuery = None, limit: Limit = 100) -> list[dict]:
    return A.list_appeals(gov(request), status=status, account_id=account_id, limit=limit)


@router.get("/{appeal_id}", response_model=AppealOut, summary="An appeal with its sanction")
def show(appeal_id: AppealId, request: Request, who: P("read")) -> dict:
    return A.show_appeal(gov(request), appeal_id)


@router.post("", response_model=AppealOut, status_code=201, summary="File an account's appeal against a sanction")
def file(body: AppealIn, request: Request, who: P("appeal.file")) -> dict:
    return A.file_appeal(gov(request), body.sanction_id, text=body.text, filed_by=who.name)


@router.post("/claim-next", response_model=Open, summary="Claim the next appeal this reviewer may judge")
def claim_next(request: Request, who: P("appeal.decide")) -> dict:
    a = A.claim_appeal(gov(request), reviewer=who.name)
    return {"claimed": a is not None, "appeal": a}


@router.post("/{appeal_id}/claim", response_model=AppealOut, summary="Claim an appeal")
def claim(appeal_id: AppealId, request: Request, who: P("appeal.decide")) -> dict:
    return A.claim_appeal(gov(request), reviewer=who.name, appeal_id=appeal_id)


@router.post("/{appeal_id}/decide", response_model=AppealOut,
             summary="Decide an appeal (by someone who took no part in the sanction)")
def decide(appeal_id: AppealId, body: AppealDecideIn, request: Request, who: P("appeal.decide")) -> dict:
    out = A.decide_appeal(gov(request), appeal_id, reviewer=who.name, outcome=body.outcome, reason=body.reason)
    if body.outcome == "overturned" and (out.get("sanction") or {}).get("action") == "close":
        request.app.state.runtime.refresh_registry_soon()  # a lifted ban
    return out
